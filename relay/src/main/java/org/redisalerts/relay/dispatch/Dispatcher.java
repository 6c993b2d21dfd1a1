package org.redisalerts.relay.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.LogText;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.relay.clients.ClientConnection;
import org.redisalerts.relay.clients.ClientEvents;
import org.redisalerts.relay.monitoring.RelayMetrics;
import org.redisalerts.relay.monitoring.ThrottledLog;
import org.redisalerts.relay.redis.DeliverySteps;
import org.redisalerts.relay.redis.Leases;
import org.redisalerts.relay.redis.StepRequest;
import org.redisalerts.relay.redis.WatchEvents;
import org.redisalerts.relay.redis.WatchPop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins the WebSocket side and the Redis side: keeps the registry of who is connected under which
 * key (logging each ready and close with whether it was the key's first or last connection, as the
 * original's onReady and onClose did), and turns identifies, watch entries and Redis coming back
 * into steps of the keys' pumps ({@link DeliveryLoop}).
 */
public final class Dispatcher implements ClientEvents, WatchEvents, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
  private final ThrottledLog unidentified = new ThrottledLog(log, Duration.ofMinutes(1));

  /**
   * What the dispatcher is told.
   *
   * @param claimBatch the most alerts read from one list in one step
   * @param claimBytes the most bytes read from one list in one step
   * @param forwardEvents the {@code event} values that are forwarded; others are dead-lettered
   * @param deadLetters the dead-letter list's name, for logs
   * @param settleDelay how long a written batch may wait to be trimmed with its key's next step
   * @param recheckInterval how often every connected key's list is looked at without a watch entry,
   *     so an alert whose watch entry never came is not stranded
   * @param ackWindow the most alerts a key's batch holds while one of its connections acknowledges
   * @param relayToken this relay's token among the relays of the watch list (SPEC 10)
   * @param lease how long a key's lease lasts unless renewed
   * @param writeTimeout how long a connection may take per MiB of a batch
   * @param ackTimeout how long an acknowledging connection may take to acknowledge (with the write
   *     budget and a lease, how long a batch forwarded to another relay may wait for its report)
   */
  public record Settings(
      int claimBatch,
      long claimBytes,
      Set<String> forwardEvents,
      String deadLetters,
      Duration settleDelay,
      Duration recheckInterval,
      int ackWindow,
      String relayToken,
      Duration lease,
      Duration writeTimeout,
      Duration ackTimeout) {}

  private final ConnectionRegistry registry = new ConnectionRegistry();
  private final Peers peers;
  private final DeliveryLoop loop;
  private final DeliveryListener listener;
  private final ScheduledFuture<?> recheck;
  private final ScheduledExecutorService timer;

  /**
   * How long an identify reply waits for the key's holder on another relay to confirm that it knows
   * of this relay's connections (SPEC 10); then it is sent anyway.
   */
  static final Duration REPLY_WAIT = Duration.ofSeconds(2);

  public Dispatcher(
      Settings settings,
      RedisEndpoint redis,
      RelayKeys keys,
      JsonCodec codec,
      RelayMetrics metrics,
      DeliveryListener listener,
      ScheduledExecutorService timer) {
    this.listener = listener;
    this.peers =
        new Peers(
            settings.relayToken(),
            settings.lease(),
            settings.writeTimeout(),
            settings.ackTimeout(),
            settings.ackWindow(),
            redis,
            keys,
            new Leases(redis, keys, settings.relayToken(), settings.lease()),
            registry,
            metrics);
    DeliverySteps steps =
        new DeliverySteps(redis, keys, settings.relayToken(), settings.lease(), "relay-delivery");
    this.loop =
        new DeliveryLoop(
            new DeliveryLoop.Settings(
                settings.claimBatch(),
                settings.claimBytes(),
                settings.forwardEvents(),
                settings.deadLetters(),
                settings.settleDelay(),
                settings.ackWindow()),
            registry,
            steps,
            codec,
            metrics,
            listener,
            timer,
            peers);
    long every = settings.recheckInterval().toMillis();
    this.timer = timer;
    this.recheck = timer.scheduleWithFixedDelay(this::recheck, every, every, TimeUnit.MILLISECONDS);
    metrics.gauge(
        "relay.connections.identified",
        "Connections that have identified",
        registry::connectionCount);
    metrics.gauge("relay.keys", "Distinct keys with at least one connection", registry::keyCount);
  }

  public void start() {
    peers.start(loop);
    loop.start();
  }

  // ---- the WebSocket side ----

  @Override
  public void identified(
      ClientConnection connection, String previous, String key, boolean acknowledging) {
    if (previous != null) {
      int left = registry.leave(previous, connection);
      if (left >= 0) {
        log.info(
            "client left key={} last={} client={} (identified again)",
            LogText.quote(previous),
            left == 0,
            connection);
        listener.closed(previous, left, connection.toString(), 0, "identified again");
        if (left == 0) {
          loop.presence(previous, StepRequest.Presence.GONE);
          loop.forget(previous);
        }
      }
    }
    int count = registry.join(key, connection);
    if (count < 0) {
      return; // closed meanwhile: its close was (or will be) logged without a key
    }
    if (loop.repliesAtOnce(key)) {
      connection.confirm(key);
    } else {
      // Another relay may hold the key: the reply waits until it knows of this relay's
      // connections (or this relay takes the key). Should its answer be lost, the reply goes
      // anyway.
      if (connection.armFallback()) {
        sendHeldLater(connection, REPLY_WAIT.toNanos());
      }
    }
    log.info(
        "client ready key={} first={} connections={} client={}",
        LogText.quote(key),
        count == 1,
        count,
        connection);
    listener.ready(key, count, connection.toString());
    if (count == 1 || acknowledging) {
      // Other relays learn that this one has connections of the key (and whether they ack).
      loop.presence(
          key, acknowledging ? StepRequest.Presence.ACKNOWLEDGING : StepRequest.Presence.PLAIN);
    } else {
      loop.request(key);
    }
  }

  /** Sends {@code connection}'s held replies once they have waited {@link #REPLY_WAIT}. */
  private void sendHeldLater(ClientConnection connection, long delayNanos) {
    timer.schedule(
        () -> {
          long left = connection.fallback(REPLY_WAIT.toNanos());
          if (left > 0) {
            sendHeldLater(connection, left); // it identified again meanwhile
          }
        },
        delayNanos,
        TimeUnit.NANOSECONDS);
  }

  @Override
  public void closed(ClientConnection connection, int code, String reason) {
    String key = connection.key();
    int left = key == null ? -1 : registry.leave(key, connection);
    if (left < 0) {
      // Before an identify, a close is as frequent as a client likes (refusals, garbage, a flood of
      // connections): a line a minute per close code, with a count of the rest.
      unidentified.info(
          "closed:" + code,
          "client closed before identifying code="
              + code
              + " reason="
              + LogText.quote(reason)
              + " client="
              + connection);
      return;
    }
    log.info(
        "client closed key={} last={} code={} reason={} client={}",
        LogText.quote(key),
        left == 0,
        code,
        LogText.quote(reason),
        connection);
    listener.closed(key, left, connection.toString(), code, reason);
    if (left == 0) {
      loop.presence(key, StepRequest.Presence.GONE);
      loop.forget(key);
    }
  }

  @Override
  public void windowOpened(String key) {
    if (registry.hasConnections(key)) {
      loop.windowOpened(key);
    }
  }

  @Override
  public void refused(ClientConnection connection, String key, String reason) {
    listener.refused(key, reason);
  }

  // ---- the Redis side ----

  @Override
  public void watched(Collection<String> keys, WatchPop pop) {
    List<String> connected = new ArrayList<>(keys.size());
    List<String> elsewhere = null;
    for (String key : keys) {
      if (registry.hasConnections(key) || loop.holds(key)) {
        connected.add(key);
      } else {
        // No connection here: another relay may hold the key (then it is told); if none does,
        // the alerts stay queued in their list until a connection identifies.
        if (elsewhere == null) {
          elsewhere = new ArrayList<>();
        }
        elsewhere.add(key);
      }
    }
    loop.requestNow(connected, pop);
    if (elsewhere != null) {
      peers.hintHolders(elsewhere);
    }
  }

  @Override
  public void popping(WatchPop pop) {
    loop.popping(pop);
  }

  @Override
  public void redisAvailable() {
    loop.retryFailed();
    // Steps every key with connections here, which also makes up for watch entries whose pop's
    // reply was lost with the connection.
    loop.presenceAgain();
  }

  private void recheck() {
    for (String key : registry.keys()) {
      loop.request(key);
    }
  }

  // ---- lifecycle ----

  /** Takes no new alerts; batches out still finish, and written ones are trimmed now. */
  public void stopTakingWork() {
    recheck.cancel(false);
    loop.stopTakingWork();
  }

  /** Waits until no batch is out or unfinished; false if the time ran out first. */
  public boolean awaitRest(Duration timeout) throws InterruptedException {
    return loop.awaitRest(timeout);
  }

  /** Identified connections now. */
  public int connections() {
    return registry.connectionCount();
  }

  /** This relay's name and token among the relays of its watch list. */
  public String relayToken() {
    return peers.token();
  }

  @Override
  public void close() {
    recheck.cancel(false);
    peers.handOver(loop.heldKeys());
    loop.close();
    peers.close();
  }
}
