package org.redisalerts.relay;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.redisalerts.common.DeadLetter;
import org.redisalerts.common.JsonCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Joins the Redis side and the WebSocket side. For each key with connections it runs a pump: claim
 * a batch, write it to every connection of the key, wait until the bytes are on the sockets, then
 * settle the batch and claim the next in one step, until the list is empty. One batch per key is in
 * flight at a time, so order per key holds; keys run independently, so a slow key stalls only
 * itself.
 *
 * <p>A written batch is settled together with the key's next claim. When the list is empty the pump
 * parks with it and settles it with the claim its next watch entry or identify starts, or alone
 * after the settle delay (5 ms by default): a steady trickle of alerts then costs one Redis step
 * per batch instead of two. Until settled, written alerts stay in the claim list, so a relay killed
 * in that window delivers them again after a restart (a duplicate, never a loss).
 *
 * <p>Pumps run on the dispatcher's own threads ({@code relay-dispatch-N}), which are the only ones
 * that make Redis calls for delivery; WebSocket threads only enqueue work here.
 */
final class Dispatcher implements ClientEvents, WatchEvents, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

  /** A key's delivery loop. Fields guarded by {@link #pumps}. */
  private static final class Pump {
    final String key;

    /** Work arrived while a step was in flight: claim again. */
    boolean again;

    boolean recover;

    /** No step in flight: waiting with {@link #unsettled} for a request or the settle delay. */
    boolean parked;

    long parkedAt;

    /** A written batch not yet settled in Redis; the next step settles it. */
    Settlement unsettled;

    Pump(String key) {
      this.key = key;
    }
  }

  /** A claimed batch, split into what is forwarded and what is dead-lettered. */
  private record Batch(
      AlertFrames alerts,
      int[] alertPositions,
      int size,
      List<DeadRecord> dead,
      long claimedAt,
      long leftInList) {

    /**
     * How many entries from the head of the claim are finished when {@code written} alerts were
     * written.
     */
    int done(int written) {
      return written >= alerts.count() ? size : alertPositions[written];
    }

    List<DeadRecord> deadBefore(int done) {
      List<DeadRecord> before = new ArrayList<>(dead.size());
      for (DeadRecord d : dead) {
        if (d.position() < done) {
          before.add(d);
        }
      }
      return before;
    }
  }

  private record DeadRecord(int position, String reason, byte[] record) {}

  /**
   * What became of a batch, to be recorded in Redis by the key's next step.
   *
   * @param done entries from the head of the claim that are finished (written or dead)
   * @param written alerts written to at least one connection
   * @param dead dead letters among the finished entries
   * @param connections how many connections the batch went to
   */
  private record Settlement(int done, int written, List<DeadRecord> dead, int connections) {

    static final Settlement NONE = new Settlement(0, 0, List.of(), 0);

    List<byte[]> deadRecords() {
      List<byte[]> records = new ArrayList<>(dead.size());
      for (DeadRecord d : dead) {
        records.add(d.record());
      }
      return records;
    }
  }

  private final ConnectionRegistry registry;
  private final RedisQueues queues;
  private final JsonCodec codec;
  private final RelayConfig config;
  private final ExecutorService executor;
  private final ScheduledExecutorService timer;
  private final WriteDeadlines deadlines;

  /**
   * Keys with a pump running, about to, or parked. Guarded by itself, as are {@link #stopping} and
   * {@link #settleScheduled}.
   */
  private final Map<String, Pump> pumps = new HashMap<>();

  private boolean stopping;
  private boolean settleScheduled;

  /** Keys whose pump stopped on a Redis error; retried while Redis is reachable. */
  private final Set<String> stalled = ConcurrentHashMap.newKeySet();

  private final RelayMetrics metrics;

  Dispatcher(
      ConnectionRegistry registry,
      RedisQueues queues,
      JsonCodec codec,
      RelayConfig config,
      ScheduledExecutorService timer,
      RelayMetrics metrics) {
    this.timer = timer;
    this.deadlines = new WriteDeadlines(config.writeTimeout(), timer, metrics);
    this.metrics = metrics;
    this.registry = registry;
    this.queues = queues;
    this.codec = codec;
    this.config = config;
    AtomicInteger n = new AtomicInteger();
    this.executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "relay-dispatch-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  // ---- WebSocket side ----

  @Override
  public void identified(ClientConnection connection, String previous, String key) {
    if (previous != null) {
      int left = registry.leave(previous, connection);
      log.info(
          "client left key={} last={} client={} (identified again)",
          previous,
          left == 0,
          connection);
    }
    int count = registry.join(key, connection);
    log.info(
        "client ready key={} first={} connections={} client={}",
        key,
        count == 1,
        count,
        connection);
    request(key, false);
  }

  @Override
  public void closed(ClientConnection connection, int code, String reason) {
    String key = connection.key();
    if (key == null) {
      log.info(
          "client closed before identifying code={} reason=\"{}\" client={}",
          code,
          reason,
          connection);
      return;
    }
    int left = registry.leave(key, connection);
    log.info(
        "client closed key={} last={} code={} reason=\"{}\" client={}",
        key,
        left == 0,
        code,
        reason,
        connection);
  }

  // ---- Redis side ----

  @Override
  public void watched(Collection<String> keys) {
    for (String key : keys) {
      if (registry.hasConnections(key)) {
        request(key, false);
      }
      // No connection: the alerts stay queued in their list until one identifies.
    }
  }

  @Override
  public void redisAvailable(Collection<String> claimedKeys) {
    queues.dropIdleConnections();
    // Clear first: a pump started below may fail again and must stay marked for retry.
    stalled.clear();
    for (String key : claimedKeys) {
      request(key, true);
    }
    for (String key : registry.keys()) {
      request(key, false);
    }
  }

  @Override
  public void redisStillAvailable() {
    if (stalled.isEmpty()) {
      return;
    }
    List<String> retry = new ArrayList<>(stalled);
    stalled.removeAll(retry);
    for (String key : retry) {
      request(key, false);
    }
  }

  // ---- the pumps ----

  /** Makes sure the key's pump runs (again) soon. */
  void request(String key, boolean recover) {
    Pump start = null;
    synchronized (pumps) {
      if (stopping) {
        return;
      }
      Pump pump = pumps.get(key);
      if (pump == null) {
        pump = new Pump(key);
        pump.recover = recover;
        pumps.put(key, pump);
        start = pump;
      } else if (pump.parked) {
        pump.parked = false;
        pump.recover |= recover;
        start = pump;
      } else {
        pump.again = true;
        pump.recover |= recover;
      }
    }
    if (start != null) {
      Pump p = start;
      executor.execute(() -> step(p));
    }
  }

  /**
   * One step: settle what the last step wrote and claim the next batch, and send it; or, with no
   * connection left (or when stopping), only settle and end.
   */
  private void step(Pump pump) {
    boolean recover;
    boolean stop;
    Settlement last;
    synchronized (pumps) {
      stop = stopping;
      recover = pump.recover;
      pump.recover = false;
      pump.again = false;
      last = pump.unsettled;
      pump.unsettled = null;
    }
    String key = pump.key;
    Settlement settling = last == null ? Settlement.NONE : last;
    try {
      List<ClientConnection> targets = stop ? List.of() : registry.connections(key);
      if (targets.isEmpty()) {
        if (last != null || recover) {
          settled(key, last, queues.settle(key, settling.done(), settling.deadRecords()));
        }
        finish(pump, !stop);
        return;
      }
      RedisQueues.Claim claim =
          queues.settleAndClaim(
              key,
              settling.done(),
              settling.deadRecords(),
              config.claimBatch(),
              config.claimBatchBytes());
      settled(key, last, claim.back());
      List<byte[]> claimed = claim.entries();
      if (claimed.isEmpty()) {
        finish(pump, true);
        return;
      }
      metrics.claimed(claimed.size());
      Batch batch = inspect(key, claimed, System.nanoTime(), claim.left());
      if (batch.alerts().count() == 0) {
        written(pump, batch, 0, 0);
        return;
      }
      List<CompletableFuture<Integer>> sends = new ArrayList<>(targets.size());
      for (ClientConnection target : targets) {
        sends.add(deadlines.watch(target, target.send(key, batch.alerts())));
      }
      CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
          .whenComplete(
              (ignored, error) -> written(pump, batch, mostWritten(sends), targets.size()));
    } catch (JedisException e) {
      redisFailed(pump, e);
    } catch (RuntimeException e) {
      log.error("unexpected failure delivering key={}", key, e);
      finish(pump, false);
    }
  }

  private static int mostWritten(List<CompletableFuture<Integer>> sends) {
    int most = 0;
    for (CompletableFuture<Integer> send : sends) {
      most = Math.max(most, send.getNow(0));
    }
    return most;
  }

  /**
   * Called once a batch's sends are over (on the selector thread, or the sender's): keeps what
   * became of it for the next step, and runs that step now if there is more to do, otherwise parks
   * the pump. Makes no Redis call.
   */
  private void written(Pump pump, Batch batch, int written, int connections) {
    int done = batch.done(written);
    if (written > 0) {
      metrics.claimToWrite(System.nanoTime() - batch.claimedAt());
    }
    Settlement settlement = new Settlement(done, written, batch.deadBefore(done), connections);
    boolean next;
    synchronized (pumps) {
      pump.unsettled = settlement;
      next = pump.again || stopping || done < batch.size() || batch.leftInList() > 0;
      if (!next) {
        pump.parked = true;
        pump.parkedAt = System.nanoTime();
        scheduleSettle();
      }
    }
    if (next) {
      executor.execute(() -> step(pump));
    }
  }

  /** Records in logs and metrics what a step settled. */
  private void settled(String key, Settlement settlement, long back) {
    if (settlement != null) {
      metrics.delivered(settlement.written());
      metrics.deadLettered(settlement.dead().size());
      for (DeadRecord d : settlement.dead()) {
        log.warn(
            "dead-lettered entry key={} list={} reason: {}",
            key,
            config.keys().deadLetters(),
            d.reason());
      }
    }
    if (back > 0) {
      metrics.returned(back);
      if (settlement == null) {
        log.info("recovered {} claimed alerts to the head of key={}", back, key);
      } else {
        log.info(
            "returned {} undelivered alerts to the head of key={} (its {} connection(s) closed first)",
            back,
            key,
            settlement.connections());
      }
    }
  }

  /**
   * Settles, alone, what pumps parked at least the settle delay ago hold. Guarded by {@link
   * #pumps}.
   */
  private void scheduleSettle() {
    if (!settleScheduled && !stopping) {
      settleScheduled = true;
      timer.schedule(this::settleParked, config.settleDelay().toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  private void settleParked() {
    List<Pump> due = new ArrayList<>();
    synchronized (pumps) {
      settleScheduled = false;
      long now = System.nanoTime();
      boolean waiting = false;
      for (Pump pump : pumps.values()) {
        if (pump.parked) {
          if (now - pump.parkedAt >= config.settleDelay().toNanos()) {
            pump.parked = false;
            due.add(pump);
          } else {
            waiting = true;
          }
        }
      }
      if (waiting) {
        scheduleSettle();
      }
    }
    for (Pump pump : due) {
      executor.execute(() -> step(pump));
    }
  }

  private Batch inspect(String key, List<byte[]> claimed, long claimedAt, long leftInList) {
    List<byte[]> alerts = new ArrayList<>(claimed.size());
    int[] positions = new int[claimed.size()];
    List<DeadRecord> dead = new ArrayList<>(0);
    String now = null;
    for (int i = 0; i < claimed.size(); i++) {
      byte[] entry = claimed.get(i);
      String reason = codec.checkAlert(entry, config.forwardEvents());
      if (reason == null) {
        positions[alerts.size()] = i;
        alerts.add(entry);
      } else {
        if (now == null) {
          now = Instant.now().toString();
        }
        DeadLetter letter =
            new DeadLetter(key, new String(entry, StandardCharsets.UTF_8), reason, now);
        dead.add(new DeadRecord(i, reason, codec.writeBytes(letter)));
      }
    }
    return new Batch(
        AlertFrames.encode(alerts), positions, claimed.size(), dead, claimedAt, leftInList);
  }

  /**
   * A lost connection stalls the key until Redis is reachable again (the watcher logs the outage
   * once); a refused command (e.g. the key is not a list) is logged and retried only at the key's
   * next watch entry or identify, so it cannot spin.
   */
  private void redisFailed(Pump pump, JedisException e) {
    if (e instanceof JedisConnectionException) {
      log.debug("redis unreachable while delivering key={}: {}", pump.key, e.getMessage());
      stalled.add(pump.key);
    } else {
      log.warn("redis refused a delivery step for key={}: {}", pump.key, e.getMessage());
    }
    finish(pump, false);
  }

  /** Ends the pump, or runs it again when work arrived meanwhile and {@code mayRepeat}. */
  private void finish(Pump pump, boolean mayRepeat) {
    boolean repeat;
    synchronized (pumps) {
      repeat = mayRepeat && pump.again && !stopping;
      if (!repeat) {
        pumps.remove(pump.key);
        pumps.notifyAll();
      }
    }
    if (repeat) {
      executor.execute(() -> step(pump));
    }
  }

  // ---- lifecycle ----

  /** Takes no new work; batches in flight still finish, and parked ones are settled now. */
  void stopTakingWork() {
    List<Pump> parked = new ArrayList<>();
    synchronized (pumps) {
      stopping = true;
      for (Pump pump : pumps.values()) {
        if (pump.parked) {
          pump.parked = false;
          parked.add(pump);
        }
      }
    }
    for (Pump pump : parked) {
      executor.execute(() -> step(pump));
    }
  }

  /** Waits until no batch is in flight; returns false if the time ran out first. */
  boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (pumps) {
      while (!pumps.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(pumps, left);
      }
      return true;
    }
  }

  @Override
  public void close() {
    stopTakingWork();
    deadlines.close();
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
