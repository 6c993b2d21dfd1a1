package org.redisalerts.relay.dispatch;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.LogText;
import org.redisalerts.common.ServerReply;
import org.redisalerts.relay.clients.ClientConnection;
import org.redisalerts.relay.monitoring.RelayMetrics;
import org.redisalerts.relay.monitoring.ThrottledLog;
import org.redisalerts.relay.redis.DeliverySteps;
import org.redisalerts.relay.redis.StepRequest;
import org.redisalerts.relay.redis.StepResult;
import org.redisalerts.relay.redis.WatchPop;
import org.redisalerts.relay.websocket.BatchCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * Runs the keys' pumps: the keys that want a step are taken together, one step for each in one
 * Redis script (a round), then each key's batch is handed to its connections. Rounds batch
 * themselves: the busier the relay, the more keys a round carries, so a burst over many keys costs
 * one round trip per few hundred keys rather than one per alert. Every round also trims what parked
 * pumps wrote, so a written batch waits no longer than the next round.
 *
 * <p>One round runs at a time (the round lock). The watcher runs the round for the keys it was just
 * told of itself when none is running, so a lone alert goes from its watch entry to the socket
 * without waking another thread; otherwise the delivery thread ({@code relay-delivery}) runs rounds
 * for whatever is queued. Sends complete on whichever thread wrote the socket.
 */
final class DeliveryLoop implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DeliveryLoop.class);

  /** Keys one round carries at most, so one script never holds Redis for long. */
  static final int MAX_KEYS_PER_ROUND = 512;

  /** Bytes one round reads at most, so a round's reply stays small. */
  static final long MAX_BYTES_PER_ROUND = 8L << 20;

  /**
   * Entries one round reads at most, shared among its keys: a round of many keys reads a few alerts
   * of each (and comes back for more), so Redis never reads what the round cannot take.
   */
  static final int MAX_ENTRIES_PER_ROUND = 16_384;

  /** Entries any key may read in a round, however many keys share it. */
  static final int MIN_CLAIM_PER_KEY = 16;

  /**
   * Keys the script sent with the watcher's pop reads at most (besides those it steps): when its
   * entries name more, it reads none. A pop that takes entries of many keys at once is a burst:
   * their pumps are mostly busy (a read of theirs would be dropped), and their own steps, a moment
   * later, read many alerts of each in one go. Read with the pop, each would cost a lease check and
   * a read for an alert or two.
   */
  static final int MAX_KEYS_READ_WITH_POP = 32;

  /**
   * Watch entries the last pop took at most for the next to go with the script. More are a burst:
   * rounds then serve it better, as each key's step reads many alerts at once (with the script, the
   * interleaved 1,000-key case made 5.5 Redis commands per alert instead of 0.37: each round also
   * stepped every parked key for an alert or two).
   */
  static final int MAX_TAKEN_FOR_SCRIPT = 8;

  /**
   * Bytes of alerts read and not yet written, all keys together (a batch counts once however many
   * connections share it, with both its entries as read and its frames): past it, keys wait to read
   * more until clients take what they have. It bounds what clients that read slowly, or not at all,
   * can make the relay hold.
   */
  static final long MAX_BYTES_OUT = 64L << 20;

  private static final long FIRST_RETRY_MS = 100;
  private static final long MAX_RETRY_MS = 5_000;

  /**
   * What the loop is told.
   *
   * @param claimBatch the most alerts read from one list in one step
   * @param claimBytes the most bytes read from one list in one step (one alert is always read); a
   *     larger entry is read as an {@link org.redisalerts.relay.redis.OversizedEntry} and
   *     dead-lettered
   * @param forwardEvents the {@code event} values that are forwarded
   * @param deadLetters the dead-letter list's name, for logs
   * @param settleDelay how long a written batch may wait to be trimmed with its key's next step
   * @param ackWindow the most alerts a key's batch holds when one of its connections acknowledges
   *     (so at most that many wait for an acknowledgement on any connection)
   */
  record Settings(
      int claimBatch,
      long claimBytes,
      Set<String> forwardEvents,
      String deadLetters,
      Duration settleDelay,
      int ackWindow) {}

  /**
   * How long a connection that joined while batches were out waits before it is sent what of them
   * is not yet delivered (a catch-up). Most often they settle first: a browser that reloads closes
   * the old connection right after its last ack, and the old connection's ack and close, read on
   * another thread, may come after the new connection's identify. Caught up at once, the new
   * connection would get again what the old one had just acknowledged. After this, a client that
   * acknowledges in groups and waits for more is not held up by the newcomer any longer.
   */
  private static final long CATCH_UP_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private record Parked(KeyPump pump, long at) {}

  private final Settings settings;
  private final ConnectionRegistry registry;
  private final DeliverySteps steps;
  private final JsonCodec codec;
  private final RelayMetrics metrics;
  private final ScheduledExecutorService timer;
  private final Peers peers;

  /** Keys whose holder was found gone: the first batch after taking one over may repeat. */
  private final Set<String> takingOver = ConcurrentHashMap.newKeySet();

  private final ThrottledLog throttled = new ThrottledLog(log, Duration.ofMinutes(1));
  private final BatchInspector inspector;
  private final FinishedReport finished;
  private final Thread thread;

  private final Map<String, KeyPump> pumps = new ConcurrentHashMap<>();

  /** Guarded by itself; the delivery thread waits on it. */
  private final ArrayDeque<KeyPump> queue = new ArrayDeque<>();

  private final Queue<Parked> parked = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean settleScheduled = new AtomicBoolean();

  /** Pumps whose step failed on a Redis error; retried with backoff and when Redis is back. */
  private final Set<KeyPump> failed = ConcurrentHashMap.newKeySet();

  private final AtomicBoolean retryScheduled = new AtomicBoolean();
  private volatile long retryDelay = FIRST_RETRY_MS;

  /** Bytes of batches being sent; see {@link #MAX_BYTES_OUT}. */
  private final AtomicLong bytesOut = new AtomicLong();

  /** Keys that want to read more while {@link #bytesOut} is over its bound. */
  private final Queue<KeyPump> waitingForRoom = new ConcurrentLinkedQueue<>();

  /** Held while a round runs; the holder owns {@link #steps}. */
  private final ReentrantLock roundLock = new ReentrantLock();

  /** Pumps parked with a written batch; every round trims them. */
  private final Set<KeyPump> parkedPumps = ConcurrentHashMap.newKeySet();

  /**
   * A round of the watcher thread's runs: a pump that parks then is stepped with the watcher's pop
   * in a moment, and needs no settle timer. Written and read only under the round lock (other
   * threads that park pumps do not hold it, and do not look).
   */
  private boolean watcherHoldsRound;

  /** A pump parked without its settle timer, for {@link #popping}. Watcher thread only. */
  private boolean settleWithPop;

  /** Redis lost the script: the next pop sends it whole. Watcher thread only. */
  private boolean sendScriptWhole;

  /**
   * Until when (nanoTime) the watcher pops plainly, without the script: Redis refused the wait that
   * the script rides behind. Watcher thread only.
   */
  private long plainPopsUntil;

  private boolean plainPops;

  /** How long a pop whose script trims what keys wrote waits for an entry, in seconds. */
  private final double behindWaitSeconds;

  private final Object restMonitor = new Object();
  private volatile boolean stopping;
  private volatile boolean closed;

  DeliveryLoop(
      Settings settings,
      ConnectionRegistry registry,
      DeliverySteps steps,
      JsonCodec codec,
      RelayMetrics metrics,
      DeliveryListener listener,
      ScheduledExecutorService timer,
      Peers peers) {
    this.settings = settings;
    this.peers = peers;
    this.registry = registry;
    this.steps = steps;
    this.codec = codec;
    this.metrics = metrics;
    this.timer = timer;
    this.inspector = new BatchInspector(codec, settings.claimBytes(), settings.forwardEvents());
    this.finished = new FinishedReport(metrics, listener, settings.deadLetters());
    this.behindWaitSeconds = Math.min(1.0, Math.max(0.001, settings.settleDelay().toNanos() / 1e9));
    this.thread = new Thread(this::run, "relay-delivery");
    this.thread.setDaemon(true);
    metrics.gauge(
        "relay.alerts.unwritten.bytes",
        "Bytes of alerts read and not yet written, all keys together (bounded by 64 MiB)",
        bytesOut::get);
    metrics.gauge(
        "relay.keys.waiting.for.room",
        "Keys that wait to read more until clients take what the relay holds",
        waitingForRoom::size);
  }

  void start() {
    thread.start();
  }

  // ---- requests, from any thread ----

  /** Makes sure {@code key} gets a step soon. */
  void request(String key) {
    if (queueStep(key)) {
      wakeDeliveryThread();
    }
  }

  /**
   * Acknowledgements opened a window of a connection of {@code key}: every relay whose batches of
   * it the connections here took is told their room (the holder, and the one before it after a
   * takeover); the key steps here when this relay holds it.
   */
  void windowOpened(String key) {
    boolean told = peers.windowOpened(key);
    KeyPump pump = pumps.get(key);
    if (pump == null || pump.owner() == null || !told) {
      request(key); // this relay holds it (or may take it), or the holder is told by a hint
    }
  }

  /**
   * Steps {@code keys} soon, and at once on the calling thread when no round is running: the
   * watcher calls this, so a lone alert needs no other thread between its watch entry and its
   * socket, and that round's script carries the watcher's next pop ({@code pop}) in its write.
   */
  void requestNow(Collection<String> keys, WatchPop pop) {
    boolean queued = false;
    for (String key : keys) {
      queued |= queueStep(key);
    }
    if (!queued) {
      return;
    }
    if (popsWithScript()) {
      pop = null; // sent after the round, with the script (see popping)
    }
    if (roundLock.tryLock()) {
      try {
        watcherHoldsRound = true;
        runRound(takeRound(), pop);
      } finally {
        watcherHoldsRound = false;
        roundLock.unlock();
      }
    }
    wakeDeliveryThread(); // for what this round left, or when another round is running
  }

  /**
   * Queues the key's pump; true when it was not queued already. When another relay holds the key,
   * that relay is told instead.
   */
  private boolean queueStep(String key) {
    while (true) {
      KeyPump pump = pumps.computeIfAbsent(key, KeyPump::new);
      String holder;
      synchronized (pump) {
        if (pump.retired()) {
          pumps.remove(key, pump);
          continue;
        }
        holder = pump.owner();
        if (holder == null && !pump.request()) {
          return false;
        }
      }
      if (holder != null) {
        peers.hint(holder, key);
        return false;
      }
      synchronized (queue) {
        queue.add(pump);
      }
      return true;
    }
  }

  /**
   * The watcher is about to wait for the next watch entry: unless a round sent its pop already, the
   * pop goes with the delivery script ({@link DeliverySteps#sendWithPop}). The script first steps
   * the keys that wrote their last batch (trims it and reads on: a key that trickles has its next
   * alert read as soon as it comes), then takes the watch entries, and reads a batch of every other
   * key they name whose lease this relay holds. An alert thus comes back read with its watch entry:
   * one wait for Redis per alert, not two. Watcher thread only.
   */
  void popping(WatchPop pop) {
    JedisException refused = pop.waitRefused();
    if (refused != null) {
      plainPops = true;
      plainPopsUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_RETRY_MS);
      throttled.warn(
          "wait",
          "redis refused the watcher's wait for an entry ("
              + refused.getMessage()
              + "); the watcher pops without reading for 5000 ms");
    } else if (plainPops && System.nanoTime() - plainPopsUntil >= 0) {
      plainPops = false;
    }
    boolean settleDeferred = settleWithPop;
    settleWithPop = false;
    try {
      if (!pop.sent() && popsWithScript() && pop.taken() <= MAX_TAKEN_FOR_SCRIPT) {
        sendWithPop(pop);
      }
    } finally {
      if (settleDeferred && !parkedPumps.isEmpty()) {
        scheduleSettle(settings.settleDelay().toNanos()); // parked pumps the pop did not step
      }
    }
  }

  /**
   * Whether the watcher's pop goes with the script: not while Redis refuses the wait it rides
   * behind, nor while other relays share the watch list (known alive, or heard from on the relay
   * bus since the last look: until that look, an outside probe saw 8,258 alerts read with the pop
   * and dropped, against 1,703 kept, while a second relay came and went). Every waiting BLMOVE
   * wakes at each entry (it takes nothing), so each relay's script would run for every entry, and
   * only one of them gets it; plain pops wake one relay per entry. Watcher thread only.
   */
  private boolean popsWithScript() {
    return !plainPops && !stopping && peers.noOtherKnown();
  }

  /** {@link #popping}, when the pop is not sent yet. */
  private void sendWithPop(WatchPop pop) {
    long startedAt = System.nanoTime();
    long room = Math.min(MAX_BYTES_PER_ROUND, (MAX_BYTES_OUT - bytesOut.get()) / 2);
    List<KeyPump> stepping = new ArrayList<>();
    List<StepRequest> requests = new ArrayList<>();
    boolean locked = room > 0 && roundLock.tryLock();
    try {
      if (locked) {
        int claim =
            Math.min(
                settings.claimBatch(),
                Math.max(
                    MIN_CLAIM_PER_KEY, MAX_ENTRIES_PER_ROUND / Math.max(1, parkedPumps.size())));
        for (KeyPump pump : parkedPumps) {
          if (requests.size() >= MAX_KEYS_PER_ROUND / 2) {
            break;
          }
          if (!mayStepWithPop(pump.key)) {
            continue;
          }
          StepRequest request =
              pump.beginBehind(settings.claimBytes(), startedAt, new Look(claim, startedAt));
          if (pump.parkedAt() < 0) {
            parkedPumps.remove(pump); // stepping now, or held back
          }
          if (request != null) {
            stepping.add(pump);
            requests.add(request);
          }
        }
      }
      long sentAt = KeyPump.stamp();
      DeliverySteps.PopLimits limits =
          new DeliverySteps.PopLimits(
              pop.batch(),
              settings.claimBatch(),
              MIN_CLAIM_PER_KEY,
              MAX_ENTRIES_PER_ROUND,
              room > 0 ? MAX_KEYS_READ_WITH_POP : 0,
              settings.claimBytes());
      try {
        steps.sendWithPop(
            requests,
            Math.max(0, room),
            limits,
            pop,
            requests.isEmpty() ? 0 : behindWaitSeconds,
            sendScriptWhole,
            new WithPop(stepping, sentAt, startedAt));
        sendScriptWhole = false;
        metrics.stepBehind(stepping.size());
      } catch (JedisException e) {
        // The watcher's connection broke: the watcher finds out at its read and opens it again.
        for (KeyPump pump : stepping) {
          fail(pump);
        }
        scheduleRetry();
      }
    } finally {
      if (locked) {
        roundLock.unlock();
      }
    }
  }

  /**
   * Whether a parked key may be stepped with the watcher's pop (see {@link #popping}): not when
   * another relay shares the watch list (a hint from it would find the pump waiting behind this
   * relay's pop until the pop's wait ends: an outside probe saw every third alert of a trickle up
   * to the settle delay late), nor when its connections acknowledge (their windows are looked at by
   * steps of their own).
   */
  private boolean mayStepWithPop(String key) {
    return !stopping
        && peers.alone()
        && peers.remotes(key).isEmpty()
        && !acknowledging(registry.connections(key));
  }

  /**
   * What the script sent with the watcher's pop did, applied as a round's steps would be, but sent
   * to the connections each key has when its batch is read, so one that identified while the script
   * waited gets the batch too. If what it read no longer suits them (an acknowledging connection
   * with a smaller window, or another relay, joined meanwhile), it is left in the list and read
   * again by a step of its own. A batch it read for a key it did not step is kept only when the key
   * was idle all along ({@link KeyPump#beginRead}).
   */
  private final class WithPop implements DeliverySteps.PopReply {
    private final List<KeyPump> stepping;
    private final long sentAt;
    private final long startedAt;

    WithPop(List<KeyPump> stepping, long sentAt, long startedAt) {
      this.stepping = stepping;
      this.sentAt = sentAt;
      this.startedAt = startedAt;
    }

    @Override
    public Set<String> ran(DeliverySteps.Popped popped) {
      Set<String> served = new HashSet<>();
      roundLock.lock();
      try {
        watcherHoldsRound = true;
        for (int i = 0; i < stepping.size(); i++) {
          if (stepped(stepping.get(i), popped.stepped().get(i))) {
            served.add(stepping.get(i).key);
          }
        }
        for (StepResult result : popped.read()) {
          if (read(result)) {
            served.add(result.key());
          }
        }
      } finally {
        watcherHoldsRound = false;
        roundLock.unlock();
      }
      return served;
    }

    /** Applies a step's result; returns whether it read past the key's watch entries. */
    private boolean stepped(KeyPump pump, StepResult result) {
      try {
        Look now = new Look(settings.claimBatch(), startedAt);
        KeyPump.Targets targets = now.apply(pump);
        int read = result.entries().size();
        if (read > 0 && (targets.claim() < read || !targets.relays().isEmpty())) {
          result = result.withoutEntries();
          read = 0;
        }
        metrics.readBehind(read);
        apply(pump, result, now.to, now.sessions, false, startedAt);
        return result.status() == StepResult.Status.DONE;
      } catch (RuntimeException e) {
        log.error("a delivery step sent with the watch pop failed; its key is retried", e);
        fail(pump);
        scheduleRetry();
        return false;
      }
    }

    /** Applies a batch read for a key not stepped; returns whether the key's pump took it. */
    private boolean read(StepResult result) {
      KeyPump pump = pumps.get(result.key());
      int read = result.entries().size();
      if (pump == null || stopping || result.status() != StepResult.Status.DONE) {
        metrics.readWithPop(0, read);
        return false; // the key's entry is handed on: a step of its own reads it
      }
      Look look = new Look(settings.claimBatch(), startedAt);
      if (!pump.beginRead(sentAt, settings.claimBytes(), System.nanoTime(), look)) {
        metrics.readWithPop(0, read);
        return false;
      }
      try {
        KeyPump.Targets targets = look.found;
        if (read > 0 && (targets.claim() < read || !targets.relays().isEmpty())) {
          result = result.withoutEntries(); // the pump steps again: it may hold more
          metrics.readWithPop(0, read);
        } else {
          metrics.readWithPop(read, 0);
        }
        apply(pump, result, look.to, look.sessions, false, startedAt);
        return true;
      } catch (RuntimeException e) {
        log.error("a batch read with the watch pop failed; its key is retried", e);
        fail(pump);
        scheduleRetry();
        return true; // stalled: retried with the others that failed
      }
    }

    @Override
    public void failed(JedisException e) {
      for (KeyPump pump : stepping) {
        fail(pump);
      }
      if (e instanceof JedisNoScriptException) {
        sendScriptWhole = true; // and the steps are run by rounds, which load it too
        for (KeyPump pump : stepping) {
          failed.remove(pump);
          request(pump.key);
        }
        return;
      }
      if (!(e instanceof JedisConnectionException)) {
        // The script failed: what it did before is not known, as for a round Redis refused.
        throttled.warn("behind", "redis refused a delivery step: " + e.getMessage());
      }
      if (!stepping.isEmpty()) {
        scheduleRetry(); // and when Redis is back
      }
    }
  }

  /** Redis is back: retries the keys whose steps failed. */
  void retryFailed() {
    retryDelay = FIRST_RETRY_MS;
    List<KeyPump> retry = new ArrayList<>(failed);
    failed.removeAll(retry);
    for (KeyPump pump : retry) {
      request(pump.key);
    }
  }

  /**
   * Drops the pump of a key that has no connection left, here or (when this relay holds it) on
   * another relay, once it holds nothing; gives its lease back, or tells its holder this relay
   * left.
   */
  void forget(String key) {
    KeyPump pump = pumps.get(key);
    if (pump == null || registry.hasConnections(key) || !peers.remotes(key).isEmpty()) {
      return;
    }
    boolean owned;
    String holder;
    synchronized (pump) {
      owned = pump.owned();
      holder = pump.owner();
      if (!pump.release()) {
        return;
      }
    }
    pumps.remove(key, pump);
    if (owned) {
      peers.released(key, true);
    } else if (holder != null) {
      peers.leave(holder, key);
    }
  }

  /**
   * Gives the leases of {@code keys} back with {@code release}, but for keys that have a pump
   * again: a connection of such a key came after the last one left (a client reconnecting at once),
   * and that pump's steps take or keep the lease under the same token. Given back after such a
   * step, the lease would be gone from under it: its next step would be fenced and read its batch
   * again, a duplicate on the new connection. Holds the round lock, so no step runs meanwhile.
   */
  void releaseUnlessWantedAgain(Collection<String> keys, Consumer<List<String>> release) {
    roundLock.lock();
    try {
      List<String> unwanted = new ArrayList<>(keys.size());
      for (String key : keys) {
        if (!pumps.containsKey(key)) {
          unwanted.add(key);
        }
      }
      if (!unwanted.isEmpty()) {
        release.accept(unwanted);
      }
    } finally {
      roundLock.unlock();
    }
  }

  // ---- several relays (SPEC 10) ----

  /** This relay's connections of {@code key} changed; the key's next step records it. */
  void presence(String key, StepRequest.Presence now) {
    KeyPump pump = pumps.computeIfAbsent(key, KeyPump::new);
    boolean queue;
    String holder;
    synchronized (pump) {
      holder = pump.owner();
      queue = pump.presence(now);
    }
    if (queue) {
      enqueue(pump);
    } else if (holder == null) {
      request(key);
    }
  }

  /**
   * Records this relay's presence again for every key it has connections of. Redis may have come
   * back without what it held (no persistence, a failover to a replica that missed writes): the
   * next step of each key writes the presence again and so tells the key's holder, or takes the key
   * when nobody holds it.
   */
  void presenceAgain() {
    for (String key : registry.keys()) {
      List<ClientConnection> connections = registry.connections(key);
      if (!connections.isEmpty()) {
        presence(
            key,
            acknowledging(connections)
                ? StepRequest.Presence.ACKNOWLEDGING
                : StepRequest.Presence.PLAIN);
      }
    }
  }

  /**
   * Whether a connection that joins {@code key} now may be sent its reply at once: this relay holds
   * the key (its lease still valid by its own clock), or the key's holder confirmed it forwards the
   * key's batches here. Otherwise the reply waits for {@link #confirmReplies} (the key's next step
   * takes or renews the lease, or the holder answers JOINED). Not even a relay that believes itself
   * alone answers at once: another may have started and taken the key since it last asked.
   */
  boolean repliesAtOnce(String key) {
    KeyPump pump = pumps.get(key);
    return pump != null && pump.mayReplyAtOnce();
  }

  /** Every alert read from now on goes to {@code key}'s connections here: their replies go out. */
  private void confirmReplies(String key) {
    for (ClientConnection c : registry.connections(key)) {
      c.confirm(key);
    }
  }

  /** {@code holder} confirmed it forwards {@code key}'s batches here. */
  void joined(String holder, String key) {
    KeyPump pump = pumps.get(key);
    if (pump != null && pump.joinedBy(holder)) {
      confirmReplies(key);
    }
  }

  /** Whether this relay holds {@code key}'s lease. */
  boolean holds(String key) {
    KeyPump pump = pumps.get(key);
    return pump != null && pump.owned();
  }

  /** Another relay passed on a watch entry for {@code key}. */
  void hinted(String key) {
    if (holds(key) || registry.hasConnections(key)) {
      request(key);
    }
  }

  /** The relay that held {@code key} stopped and gave it back, or told this one to look again. */
  void holderGone(String key) {
    KeyPump pump = pumps.get(key);
    if (pump != null && pump.ownerGone()) {
      enqueue(pump);
    }
  }

  /** Steps the keys whose holder is not among {@code alive}, to take them over. */
  void stepKeysWhoseHolderIsGone(Set<String> alive) {
    for (KeyPump pump : pumps.values()) {
      String holder = pump.owner();
      if (holder != null && !alive.contains(holder) && pump.ownerGone()) {
        takingOver.add(pump.key);
        enqueue(pump);
      }
    }
  }

  /** Tells the holders of the keys this relay has connections of, again (after a bus outage). */
  void rejoinHolders() {
    for (KeyPump pump : pumps.values()) {
      String holder = pump.rejoin();
      if (holder != null) {
        peers.join(holder, pump.key, acknowledging(registry.connections(pump.key)));
      }
    }
  }

  /** The keys whose lease this relay holds. */
  List<String> heldKeys() {
    List<String> held = new ArrayList<>();
    for (KeyPump pump : pumps.values()) {
      if (pump.owned()) {
        held.add(pump.key);
      }
    }
    return held;
  }

  /** A renewal sent at {@code sentAt} kept these leases. */
  void renewed(List<String> keys, long sentAt) {
    for (String key : keys) {
      KeyPump pump = pumps.get(key);
      if (pump != null) {
        pump.renewed(sentAt, peers.leaseNanos());
      }
    }
  }

  /**
   * A renewal sent at {@code sentAt} found the lease of {@code key} no longer this relay's.
   *
   * @return false when that is out of date: a step that began after the renewal was sent holds the
   *     lease (then nothing changes)
   */
  boolean leaseLost(String key, long sentAt) {
    KeyPump pump = pumps.get(key);
    if (pump == null) {
      return true;
    }
    KeyPump.Lost lost = pump.leaseLost(sentAt, peers.leaseNanos());
    if (lost == KeyPump.Lost.QUEUE) {
      enqueue(pump);
    }
    return lost != KeyPump.Lost.OUT_OF_DATE;
  }

  private static boolean acknowledging(List<ClientConnection> connections) {
    for (ClientConnection c : connections) {
      if (c.acknowledges()) {
        return true;
      }
    }
    return false;
  }

  private void enqueue(KeyPump pump) {
    synchronized (queue) {
      queue.add(pump);
      if (queue.size() == 1) {
        queue.notifyAll();
      }
    }
  }

  private void wakeDeliveryThread() {
    synchronized (queue) {
      if (!queue.isEmpty()) {
        queue.notifyAll();
      }
    }
  }

  /** The queued pumps (up to a round's worth) and the parked ones. Holds the round lock. */
  private List<KeyPump> takeRound() {
    List<KeyPump> round = new ArrayList<>();
    synchronized (queue) {
      while (!queue.isEmpty() && round.size() < MAX_KEYS_PER_ROUND) {
        round.add(queue.poll());
      }
    }
    if (!parkedPumps.isEmpty()) {
      for (KeyPump pump : parkedPumps) {
        if (round.size() >= MAX_KEYS_PER_ROUND) {
          break;
        }
        parkedPumps.remove(pump);
        if (pump.settleDue(System.nanoTime(), 0)) {
          round.add(pump);
        }
      }
    }
    return round;
  }

  // ---- the delivery thread ----

  private void run() {
    try {
      while (!closed) {
        synchronized (queue) {
          while (queue.isEmpty() && !closed) {
            queue.wait();
          }
        }
        roundLock.lock();
        try {
          runRound(takeRound(), null);
        } finally {
          roundLock.unlock();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Runs one round; a failure leaves every pump of it holding what it held.
   *
   * @param pop the watcher's next pop, sent behind the round's script (watcher thread), or null
   */
  private void runRound(List<KeyPump> round, WatchPop pop) {
    try {
      round(round, pop);
    } catch (RuntimeException e) {
      // A bug: the pumps keep what they held (nothing is trimmed unless a step succeeded).
      log.error("a delivery round failed; its keys are retried", e);
      for (KeyPump pump : round) {
        fail(pump);
      }
      scheduleRetry();
    }
  }

  private void round(List<KeyPump> round, WatchPop pop) {
    if (round.isEmpty()) {
      return;
    }
    long startedAt = System.nanoTime();
    List<KeyPump> stepping = new ArrayList<>(round.size());
    List<StepRequest> requests = new ArrayList<>(round.size());
    List<List<ClientConnection>> targets = new ArrayList<>(round.size());
    List<List<ClientConnection.Session>> sessions = new ArrayList<>(round.size());
    int claim =
        Math.min(
            settings.claimBatch(),
            Math.max(MIN_CLAIM_PER_KEY, MAX_ENTRIES_PER_ROUND / round.size()));
    for (KeyPump pump : round) {
      Look look = new Look(claim, startedAt);
      StepRequest request = pump.begin(settings.claimBytes(), startedAt, look);
      if (pump.graceEnds()) {
        requestLater(pump.key); // a grace ends: look again then (a settlement may come first)
      }
      if (request != null) {
        stepping.add(pump);
        requests.add(request);
        targets.add(look.to);
        sessions.add(look.sessions);
      }
    }
    if (requests.isEmpty()) {
      return;
    }
    // What a batch holds is about twice the entries it reads (the entries and their frames).
    long room = Math.min(MAX_BYTES_PER_ROUND, (MAX_BYTES_OUT - bytesOut.get()) / 2);
    boolean crowded = room <= 0;
    List<StepResult> results;
    try {
      results = steps.run(requests, Math.max(0, room), pop);
    } catch (JedisException e) {
      if (e instanceof JedisConnectionException) {
        log.debug("redis unreachable for a delivery round: {}", e.getMessage());
      } else {
        throttled.warn("round", "redis refused a delivery round: " + e.getMessage());
      }
      for (KeyPump pump : stepping) {
        fail(pump);
      }
      scheduleRetry();
      return;
    }
    retryDelay = FIRST_RETRY_MS;
    for (int i = 0; i < stepping.size(); i++) {
      apply(stepping.get(i), results.get(i), targets.get(i), sessions.get(i), crowded, startedAt);
    }
  }

  /**
   * A step's look at where its batch goes (under the pump's lock, see {@link KeyPump#begin}), and
   * what it found, for the step's result: the key's connections and their sessions of the key.
   */
  private final class Look implements Function<KeyPump, KeyPump.Targets> {
    private final int claim;
    private final long startedAt;
    List<ClientConnection> to = List.of();
    List<ClientConnection.Session> sessions = List.of();
    KeyPump.Targets found;

    Look(int claim, long startedAt) {
      this.claim = claim;
      this.startedAt = startedAt;
    }

    @Override
    public KeyPump.Targets apply(KeyPump p) {
      to = stopping ? List.of() : registry.connections(p.key);
      Map<String, Boolean> remote = stopping ? Map.of() : peers.remotes(p.key);
      sessions = new ArrayList<>(to.size());
      for (ClientConnection c : to) {
        ClientConnection.Session session = c.session(p.key);
        if (session != null) {
          sessions.add(session);
        }
      }
      found =
          new KeyPump.Targets(
              sessions,
              remote.keySet(),
              claimFor(p, to, remote, claim),
              s ->
                  startedAt - ((ClientConnection.Session) s).identifiedAt()
                      >= CATCH_UP_GRACE_NANOS);
      return found;
    }
  }

  /**
   * How many alerts to read for connections {@code to} and the relays {@code remote}: none for
   * none, and no more than any acknowledging connection's window has room for (SPEC 9: none when
   * one is full), counting what a connection that joined meanwhile is sent first. For a relay with
   * acknowledging connections: the room they said they had in their last ROOM, when it counted
   * every batch forwarded there ({@link Peers#roomAt}).
   */
  private int claimFor(
      KeyPump pump, List<ClientConnection> to, Map<String, Boolean> remote, int claim) {
    if (to.isEmpty() && remote.isEmpty()) {
      return 0;
    }
    int window = settings.ackWindow();
    if (!pump.owned()) {
      // This step may take the lease, and learn only then which relays have connections of the
      // key (acknowledging ones among them): what it reads goes to them too, so no more than a
      // window (an outside probe saw 193 alerts sent at once to a client with a window of 10).
      claim = Math.min(claim, window);
    }
    for (Map.Entry<String, Boolean> relay : remote.entrySet()) {
      if (relay.getValue()) {
        claim = Math.min(claim, peers.roomAt(relay.getKey(), pump.key));
      }
    }
    for (ClientConnection c : to) {
      if (c.acknowledges() && !c.isClosed()) {
        long room = window - c.awaitingAck() - pump.catchUpAlerts(c.session(pump.key));
        claim = (int) Math.max(0, Math.min(claim, room));
      }
    }
    return claim;
  }

  private void fail(KeyPump pump) {
    pump.failed();
    failed.add(pump);
    rested();
  }

  private void apply(
      KeyPump pump,
      StepResult result,
      List<ClientConnection> to,
      List<ClientConnection.Session> sessions,
      boolean crowded,
      long startedAt) {
    String key = pump.key;
    switch (result.status()) {
      case NOT_OWNER -> {
        pump.elsewhere(result.owner());
        takingOver.remove(key);
        peers.released(key, false);
        if (!to.isEmpty() && peers.goneFromThisMachine(result.owner())) {
          peers.takeFromGone(key, result.owner()); // this relay, before a SIGKILL and a restart
        } else if (!to.isEmpty()) {
          peers.join(result.owner(), key, acknowledging(to));
        } else {
          forget(key);
        }
        rested();
        return;
      }
      case FAILED -> {
        long delay = pump.couldNotStep(); // its own backoff: rounds of other keys do not reset it
        throttled.warn(
            "failed:" + key,
            "redis could not step key="
                + LogText.quote(key)
                + ": "
                + result.error()
                + "; retried with backoff up to 5000 ms");
        rested();
        try {
          timer.schedule(() -> request(key), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
          // Stopping: what it held is read again after a restart.
        }
        return;
      }
      case FENCED -> {
        metrics.fenced();
        throttled.warn(
            "fenced:" + key,
            "key="
                + LogText.quote(key)
                + " is no longer this relay's (its lease ran out or another relay took it):"
                + " what it had read is left to the holder");
        boolean again = pump.fenced(result.owner());
        peers.released(key, false);
        if (again) {
          enqueue(pump);
        } else if (!to.isEmpty()) {
          peers.join(result.owner(), key, acknowledging(to));
        }
        rested();
        return;
      }
      default -> {
        // DONE, HEAD_CHANGED, REFUSED: this relay holds the lease (renewed or taken), or it is
        // free and the step read nothing.
        if (!result.held()) {
          if (pump.owned()) {
            peers.released(key, false);
          }
          pump.unheld();
        } else {
          if (!result.acquired() && !pump.owned()) {
            // Held without taking it, though the pump counted the lease lost: it counted so while
            // the step ran (a step sent while it did not is reported as taking the lease). The
            // forward list may have gone with that count.
            peers.holding(key);
          }
          if (pump.owned(startedAt, peers.leaseNanos(), System.nanoTime())) {
            // Replies held while the key was not this relay's: every later step reaches them.
            confirmReplies(key);
          }
        }
        if (result.acquired()) {
          peers.acquired(key, result.presence());
          if (takingOver.remove(key) && !result.entries().isEmpty()) {
            metrics.takenOver(result.entries().size());
          }
        }
      }
    }
    switch (result.status()) {
      case DONE -> finished.report(key, pump.trimmed());
      case HEAD_CHANGED -> {
        int written = pump.lost();
        metrics.headChanged();
        throttled.warn(
            "head:" + key,
            "the head of key="
                + LogText.quote(key)
                + " changed while its alerts were being written (trimmed, expired or deleted by"
                + " someone else); up to "
                + written
                + " of them may be delivered again");
      }
      case REFUSED -> {
        boolean tell = pump.refused();
        metrics.wrongType();
        throttled.warn(
            "refused:" + key,
            "redis refused to deliver key=" + LogText.quote(key) + ": " + result.error());
        if (tell) {
          String error =
              codec.write(
                  ServerReply.error("alerts cannot be read: the key does not hold a list", key));
          for (ClientConnection c : to) {
            c.reply(error);
          }
        }
        rested();
        return;
      }
    }
    if (!result.entries().isEmpty() && !pump.leaseValid(System.nanoTime())) {
      // This relay stalled (a pause, a long GC) while the step ran: its lease may be another's by
      // now. Write nothing; the next step finds out.
      throttled.warn(
          "fenced:" + key,
          "key="
              + LogText.quote(key)
              + " is no longer this relay's (this relay stalled past its lease while reading it):"
              + " what it had read is left to the holder");
      pump.stalledPastLease();
      enqueue(pump);
      return;
    }
    Batch batch = result.entries().isEmpty() ? null : inspector.inspect(key, result.entries());
    if (batch != null) {
      metrics.claimed(batch.size());
    }
    Map<String, Boolean> remote = peers.remotes(key);
    List<String> relays = remote.isEmpty() ? List.of() : new ArrayList<>(remote.keySet());
    KeyPump.Next next = pump.read(batch, result.more(), sessions, relays);
    for (KeyPump.CatchUp c : pump.takeCatchUps()) {
      // Before the new batch, on the same socket: what it was not sent of the batches out.
      BatchOut out = c.out();
      ClientConnection.Session session = (ClientConnection.Session) c.connection();
      session
          .connection()
          .send(session, out.batch.frames().from(c.from()), new Send(pump, out, session, c.from()));
    }
    switch (next) {
      case SEND -> {
        bytesOut.addAndGet(batch.heldBytes());
        BatchOut out = pump.sending();
        for (ClientConnection.Session session : sessions) {
          session.connection().send(session, batch.frames(), new Send(pump, out, session, -1));
        }
        for (String relay : relays) {
          peers.forward(relay, key, batch, new Send(pump, out, relay, -1));
        }
      }
      case QUEUE -> {
        if (crowded) {
          waitingForRoom.add(pump); // until clients take what they were sent
          if (bytesOut.get() <= MAX_BYTES_OUT / 2) {
            makeRoom();
          }
        } else {
          enqueue(pump);
        }
      }
      case PARK -> park(pump);
      case NOTHING -> {
        forget(key);
        rested();
      }
    }
    if (pump.repliesWait()) {
      request(key); // this step ended past its lease: the next one renews it and sends the replies
    }
  }

  /**
   * One connection's (or relay's) send of a batch out: tells the pump when its socket took the
   * batch and when it settled it (selector thread, decoder thread, or at once).
   */
  private final class Send implements BatchCallback {
    private final KeyPump pump;
    private final BatchOut out;
    private final Object target;

    /**
     * For a catch-up, the first alert of the batch it sent; -1 for the batch's own send. A
     * catch-up's take is not waited for: the batch it precedes on the socket is.
     */
    private final int from;

    private final AtomicBoolean taken;

    Send(KeyPump pump, BatchOut out, Object target, int from) {
      this.pump = pump;
      this.out = out;
      this.target = target;
      this.from = from;
      this.taken = new AtomicBoolean(from >= 0);
    }

    @Override
    public void taken(int written) {
      if (taken.compareAndSet(false, true)) {
        take();
      }
    }

    @Override
    public void acknowledged(int count) {
      then(pump, pump.acknowledged(out, Math.max(0, from) + count));
    }

    @Override
    public void done(int delivered) {
      // A plain connection's report means both: settled first, so that the take sees it.
      boolean takenNow = taken.compareAndSet(false, true);
      int offset = Math.max(0, from);
      int count = out.batch.frames().count();
      then(pump, pump.settled(out, target, offset + delivered, count));
      if (takenNow) {
        take();
      }
    }

    private void take() {
      KeyPump.Next next = pump.taken(out);
      if (next == null) {
        return; // other sockets have still to take it
      }
      if (bytesOut.addAndGet(-out.batch.heldBytes()) <= MAX_BYTES_OUT / 2
          && !waitingForRoom.isEmpty()) {
        makeRoom();
      }
      metrics.claimToWrite(System.nanoTime() - out.batch.readAt());
      then(pump, next);
    }
  }

  /** Does what a pump asked for after a take or a settlement. */
  private void then(KeyPump pump, KeyPump.Next next) {
    if (next == KeyPump.Next.QUEUE) {
      enqueue(pump);
    } else if (next == KeyPump.Next.PARK) {
      park(pump);
    }
  }

  /** Requests a step of {@code key} once {@link KeyPump#ACK_GRACE_NANOS} have passed. */
  private void requestLater(String key) {
    try {
      timer.schedule(() -> request(key), KeyPump.ACK_GRACE_NANOS, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // Stopping: nothing new is sent.
    }
  }

  private void makeRoom() {
    KeyPump pump;
    while ((pump = waitingForRoom.poll()) != null) {
      enqueue(pump);
    }
  }

  // ---- parked batches and retries, on the timer ----

  private void park(KeyPump pump) {
    long at = pump.parkedAt();
    if (at < 0) {
      return;
    }
    if (stopping) {
      settleNow(pump);
      return;
    }
    parkedPumps.add(pump);
    parked.add(new Parked(pump, at));
    if (roundLock.isHeldByCurrentThread() && watcherHoldsRound && !plainPops) {
      // The watcher steps it with its next pop in a moment; if it does not, it schedules this.
      settleWithPop = true;
      return;
    }
    scheduleSettle(settings.settleDelay().toNanos());
  }

  private void settleNow(KeyPump pump) {
    if (pump.settleDue(Long.MAX_VALUE / 2, 0)) {
      enqueue(pump);
    }
  }

  private void scheduleSettle(long delayNanos) {
    if (settleScheduled.compareAndSet(false, true)) {
      try {
        timer.schedule(this::settleParked, delayNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        settleScheduled.set(false);
        settleParkedNow();
      }
    }
  }

  private void settleParked() {
    settleScheduled.set(false);
    long now = System.nanoTime();
    long delay = settings.settleDelay().toNanos();
    Parked p;
    while ((p = parked.peek()) != null) {
      if (p.pump().parkedAt() != p.at()) {
        parked.poll(); // stepped again since it parked
      } else if (now - p.at() >= delay) {
        parked.poll();
        if (p.pump().settleDue(now, delay)) {
          enqueue(p.pump());
        }
      } else {
        scheduleSettle(delay - (now - p.at()));
        return;
      }
    }
  }

  private void settleParkedNow() {
    Parked p;
    while ((p = parked.poll()) != null) {
      settleNow(p.pump());
    }
  }

  private void scheduleRetry() {
    if (closed || !retryScheduled.compareAndSet(false, true)) {
      return;
    }
    long delay = retryDelay;
    retryDelay = Math.min(delay * 2, MAX_RETRY_MS);
    try {
      timer.schedule(
          () -> {
            retryScheduled.set(false);
            List<KeyPump> retry = new ArrayList<>(failed);
            failed.removeAll(retry);
            for (KeyPump pump : retry) {
              request(pump.key);
            }
          },
          delay,
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      retryScheduled.set(false); // stopping: what failed is finished at the next start
    }
  }

  // ---- lifecycle ----

  /** Takes no new alerts: batches out are still finished, and parked ones are trimmed now. */
  void stopTakingWork() {
    stopping = true;
    settleParkedNow();
  }

  /**
   * Waits until no pump has a step, a send or a parked batch; pumps stalled by Redis errors are at
   * rest too (their batches are read again after a restart).
   *
   * @return whether every pump came to rest in time
   */
  boolean awaitRest(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (restMonitor) {
      while (!atRest()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(restMonitor, Math.min(left, 50_000_000));
      }
    }
    return true;
  }

  private boolean atRest() {
    for (KeyPump pump : pumps.values()) {
      KeyPump.State s = pump.state();
      if (s != KeyPump.State.IDLE && s != KeyPump.State.STALLED && s != KeyPump.State.ELSEWHERE) {
        return false;
      }
    }
    return true;
  }

  private void rested() {
    if (stopping) {
      synchronized (restMonitor) {
        restMonitor.notifyAll();
      }
    }
  }

  /** Pumps that exist now, for tests and metrics. */
  int pumpCount() {
    return pumps.size();
  }

  @Override
  public void close() {
    closed = true;
    synchronized (queue) {
      queue.notifyAll();
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    steps.close();
  }
}
