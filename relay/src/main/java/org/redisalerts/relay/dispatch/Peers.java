package org.redisalerts.relay.dispatch;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.redisalerts.common.LogText;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.relay.clients.ClientConnection;
import org.redisalerts.relay.cluster.BusMessage;
import org.redisalerts.relay.cluster.RelayBus;
import org.redisalerts.relay.monitoring.RelayMetrics;
import org.redisalerts.relay.monitoring.RelayScheduler;
import org.redisalerts.relay.monitoring.ThrottledLog;
import org.redisalerts.relay.redis.Leases;
import org.redisalerts.relay.websocket.BatchCallback;
import org.redisalerts.relay.websocket.FrameBatch;
import org.redisalerts.relay.websocket.SocketConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The other relays of the watch list, as delivery sees them (SPEC 10). For each key this relay
 * holds the lease of, the relays that have connections of it (learnt from the key's presence record
 * when the lease was taken, then from their JOIN and LEAVE messages) get each batch over the relay
 * bus and report how much of it they delivered, like local connections do. For the keys another
 * relay holds, batches arrive here and go to the local connections.
 *
 * <p>Every third of a lease ({@code relay-leases} thread) it records this relay as alive, learns
 * which relays are, renews the leases this relay holds, steps the keys whose holder is gone, and
 * gives up on forwards that were never answered.
 */
final class Peers implements RelayBus.Listener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Peers.class);

  /** A batch forwarded to another relay, waiting for its report; kept to be sent again. */
  private record Forward(
      String to, String key, BusMessage batch, int size, BatchCallback callback, long deadline) {}

  /**
   * The batches forwarded to one relay for one key and not reported yet, and the room its
   * acknowledging connections of the key last said they had ({@link BusMessage.Type#ROOM}). Guarded
   * by {@link #windows}.
   */
  private static final class RemoteWindow {
    long lastForward;
    int pending;
    long roomAsOf = -1;
    int room;
  }

  /** The last batch another relay forwarded here for a key, and its report once known. */
  private record Received(long id, int written) {
    static final int WRITING = -1;
  }

  private final String token;
  private final String name;
  private final long leaseNanos;
  private final long writeTimeoutNanos;
  private final long ackTimeoutNanos;
  private final int ackWindow;
  private final RelayBus bus;
  private final Leases leases;
  private final ConnectionRegistry registry;
  private final RelayMetrics metrics;
  private final ThrottledLog throttled = new ThrottledLog(log, Duration.ofMinutes(1));
  private final ScheduledExecutorService ticker;
  private final AtomicLong forwardIds = new AtomicLong();
  private final Map<Long, Forward> forwards = new ConcurrentHashMap<>();

  /** The forwards the other relay's acknowledging connections took (it said so with a ROOM). */
  private final Set<Long> takenForwards = ConcurrentHashMap.newKeySet();

  /**
   * By relay and key ({@link #receivedKey}): what is out there, for the key's next claim. A forward
   * and a report of one key may race (delivery thread, bus thread): every use holds this map's
   * lock.
   */
  private final Map<String, RemoteWindow> windows = new HashMap<>();

  /**
   * By key, then by the relay that forwarded it: the last batch forwarded here that this relay's
   * acknowledging connections of the key took; what a ROOM sent when their window opens is counted
   * from. A key has two holders for a while after a takeover (the new one's ROOM must not wait on
   * the old one's record). Its lock is held while a ROOM is made and queued, so ROOMs leave in the
   * order of the batch they count from, each with the room as it was then.
   */
  private final Map<String, Map<String, Long>> lastTaken = new HashMap<>();

  /**
   * By holder and key: the last batch received, so a batch sent again (its first sending or its
   * report may have been lost) is reported, not delivered twice.
   */
  private final Map<String, Received> received = new ConcurrentHashMap<>();

  /** For each key this relay holds: the other relays with connections of it, and their acks. */
  private final Map<String, Map<String, Boolean>> remotes = new ConcurrentHashMap<>();

  /** Another relay sent a message since the last look at the relays alive ({@link #tick}). */
  private volatile boolean heardFromOthers;

  /**
   * Keys whose lease waits to be given back, each with the relays to tell then; guarded by itself,
   * drained by one task on the ticker ({@link #releaseNow}).
   */
  private final Map<String, Set<String>> releasing = new LinkedHashMap<>();

  /**
   * How often, at most, the relays alive are asked outside a renewal: when this relay thinks itself
   * alone (a relay that started since may hold keys whose watch entries come here), and when it
   * takes a key whose presence names a relay it does not know as alive.
   */
  private static final long LIVING_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private volatile Set<String> alive;
  private volatile long aliveAt;

  /** The relays whose record ran out less than a lease ago, at the last read (Leases.Living). */
  private volatile Set<String> recent = Set.of();

  /** When (nanoTime) a read last found this relay's own record gone; long ago at first. */
  private volatile long ownRecordLapsedAt = System.nanoTime() - Long.MAX_VALUE / 2;

  /**
   * The relays alive at the last renewal: who is gone since (written by the {@code relay-leases}
   * thread only).
   */
  private volatile Set<String> known;

  /**
   * The relays missing from the last renewal's read but not yet counted gone ({@code relay-leases}
   * thread only). A relay is gone when two reads in a row miss it: after Redis lost the records (a
   * restart without persistence, a failover), every living relay records itself again within a
   * third of a lease, and one that is forgotten meanwhile would get no batch until it joined again.
   * Written by the {@code relay-leases} thread only.
   */
  private volatile Set<String> missing = Set.of();

  /** Whether this relay recorded itself among the living once: its record is expected there. */
  private volatile boolean recorded;

  private volatile DeliveryLoop loop;
  private volatile boolean reachable = true;

  /**
   * By relay: whether it is an earlier process of this relay on this machine, and gone (see {@link
   * #goneFromThisMachine}).
   */
  private final Map<String, Boolean> goneHere = new ConcurrentHashMap<>();

  /**
   * @param token this relay's token: its name, a colon, and what makes this process unique
   * @param lease how long a lease (and this relay's record among the living) lasts
   * @param writeTimeout how long a connection may take per MiB of a batch (the remote relay's too),
   *     and with {@code ackTimeout} and a lease how long a forwarded batch may wait for its report
   * @param ackTimeout how long an acknowledging connection may take to acknowledge; null for no
   *     limit of its own
   * @param ackWindow the most alerts an acknowledging connection is sent unacknowledged (every
   *     relay of the watch list is counted on to have the same)
   */
  Peers(
      String token,
      Duration lease,
      Duration writeTimeout,
      Duration ackTimeout,
      int ackWindow,
      RedisEndpoint endpoint,
      RelayKeys keys,
      Leases leases,
      ConnectionRegistry registry,
      RelayMetrics metrics) {
    this.token = token;
    this.name = token.substring(0, Math.max(0, token.lastIndexOf(':')));
    this.leaseNanos = lease.toNanos();
    this.writeTimeoutNanos = writeTimeout.toNanos();
    this.ackTimeoutNanos = ackTimeout == null ? 0 : ackTimeout.toNanos();
    this.ackWindow = ackWindow;
    this.bus = new RelayBus(endpoint, keys, token, this);
    this.leases = leases;
    this.registry = registry;
    this.metrics = metrics;
    this.alive = Set.of(token);
    this.known = alive;
    this.ticker = new RelayScheduler("relay-leases");
    metrics.gauge("relay.relays.alive", "Relays alive on this watch list", () -> alive.size());
    metrics.gauge("relay.keys.held", "Keys whose lease this relay holds", () -> remotes.size());
  }

  void start(DeliveryLoop deliveryLoop) {
    this.loop = deliveryLoop;
    bus.start();
    // Other relays learn of this one from its first record (the first tick): it must listen on
    // its channel by then, or what they send it first is lost.
    try {
      if (!bus.awaitSubscribed(Duration.ofSeconds(5))) {
        log.info("not subscribed to the relay channel yet (is Redis up?); going on");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Recorded among the living before the first client arrives, so relays that route watch
    // entries know of this one before it holds any key.
    try {
      ticker.submit(this::tick).get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.debug("first lease tick did not finish: {}", e.toString()); // it runs again
    }
    long every = Math.max(1, leaseNanos / 3);
    ticker.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.NANOSECONDS);
  }

  String token() {
    return token;
  }

  long leaseNanos() {
    return leaseNanos;
  }

  /** Whether this relay is the only one alive (then no key needs asking about). */
  boolean alone() {
    return alive.size() <= 1;
  }

  /**
   * Whether no other relay is known here: none alive at the last look (every third of a lease), and
   * none has sent this relay a message since (a relay that just started: it joins keys held here,
   * or hints them).
   */
  boolean noOtherKnown() {
    return alone() && !heardFromOthers;
  }

  // ---- the keys this relay holds ----

  /**
   * This relay took the lease of {@code key}; {@code presence} is who has connections of it. The
   * relays that joined while this relay still counted itself the holder stay too: when Redis lost
   * the lease and the presence records (a restart without persistence), they may not have recorded
   * their connections again yet.
   */
  void acquired(String key, Map<String, Boolean> presence) {
    Set<String> aliveNow = alive;
    long now = System.nanoTime();
    if (!aliveNow.containsAll(presence.keySet()) && now - aliveAt >= LIVING_RECHECK_NANOS) {
      // A relay that started since the last renewal is not known as alive yet: ask now rather
      // than leave its connections out of this key's batches until the next one. At most ten
      // times a second: after Redis came back empty, every key's first step gets here, on the
      // delivery thread. The relays left out join again (their next step finds this relay
      // holds the key).
      aliveAt = now;
      try {
        aliveNow = living();
        alive = aliveNow;
      } catch (JedisException e) {
        // as above: they join again
      }
    }
    Set<String> living = aliveNow;
    Set<String> lastRenewal = known;
    // Relays missing from the living, or whose record ran out lately, count only just after a
    // Redis-wide pause or loss (this relay's own record had run out too): each relay records
    // itself again only at its next renewal, and one left out until it joins would miss what this
    // step read. Otherwise a missing relay is likely dead, and the key's batches would wait on it.
    boolean afterLapse = now - ownRecordLapsedAt < leaseNanos;
    Set<String> lapsed = new HashSet<>();
    if (afterLapse) {
      lapsed.addAll(missing);
      lapsed.addAll(recent);
    }
    Map<String, Boolean> others = new ConcurrentHashMap<>();
    presence.forEach(
        (relay, acks) -> {
          // Presence may name relays long dead: only those above. One that is gone after all is
          // forgotten at the second renewal that misses it (tick).
          if (!relay.equals(token)
              && (living.contains(relay)
                  || lastRenewal.contains(relay)
                  || lapsed.contains(relay))) {
            others.put(relay, acks);
          }
        });
    // Atomic with a JOIN's compute: a relay that joined since before was read (while this step
    // ran, or while living() was asked) is in the list it replaces, and is kept. Not checked
    // against the living (it joined; if it is gone, forgetting it removes it).
    remotes.compute(
        key,
        (k, current) -> {
          if (current != null) {
            current.forEach(others::putIfAbsent);
          }
          return others;
        });
  }

  /**
   * A step found this relay holding {@code key}'s lease without taking it (it counted the lease
   * lost, and Redis had it still, or again): the key has a forward list, empty unless it has one,
   * so relays that join are taken in. The relays it forwarded to before look again when their hints
   * reach a holder that does not forward to them.
   */
  void holding(String key) {
    remotes.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
  }

  /** The other relays with connections of {@code key} (empty when none, or not held here). */
  Map<String, Boolean> remotes(String key) {
    Map<String, Boolean> r = remotes.get(key);
    return r == null ? Map.of() : r;
  }

  /**
   * Forwards {@code batch} of {@code key} to relay {@code to}; {@code callback} gets its report.
   */
  void forward(String to, String key, Batch batch, BatchCallback callback) {
    long id = forwardIds.incrementAndGet();
    BusMessage message = BusMessage.batch(token, key, id, batch.alerts());
    forwards.put(
        id,
        new Forward(
            to,
            key,
            message,
            batch.frames().count(),
            callback,
            System.nanoTime() + reportWithinNanos(batch.frames().length())));
    synchronized (windows) {
      RemoteWindow w = windows.computeIfAbsent(receivedKey(to, key), k -> new RemoteWindow());
      w.lastForward = id;
      w.pending++;
    }
    metrics.forwarded();
    bus.send(to, message);
  }

  /**
   * How many alerts the acknowledging connections of {@code key} on relay {@code to} may be sent
   * now (SPEC 9: at most a window unacknowledged): a window when nothing forwarded there waits for
   * its report, what they said with their last ROOM when it counted every batch forwarded there,
   * and else none (a batch is on its way, and its take is still to come).
   */
  int roomAt(String to, String key) {
    synchronized (windows) {
      RemoteWindow w = windows.get(receivedKey(to, key));
      if (w == null) {
        return ackWindow; // nothing out there
      }
      return w.roomAsOf == w.lastForward ? Math.max(0, Math.min(ackWindow, w.room)) : 0;
    }
  }

  /**
   * Forward {@code id} is answered (or given up on, with {@code delivered} 0): its callback is
   * told, and it is forgotten. One that was taken already (a ROOM) may be what a key waiting for
   * room waits on, with nothing else to wake it (a report that came without a ROOM before it, a
   * forward given up on): the key steps.
   *
   * @return whether it was still waiting
   */
  private boolean settle(long id, int delivered) {
    boolean tookFirst = takenForwards.contains(id);
    Forward f = finish(id);
    if (f == null) {
      return false;
    }
    f.callback().done(Math.max(0, Math.min(f.size(), delivered)));
    DeliveryLoop l = loop;
    if (tookFirst && l != null) {
      l.request(f.key());
    }
    return true;
  }

  /** Forgets forward {@code id}; returns it, or null when it was. */
  private Forward finish(long id) {
    Forward f = forwards.remove(id);
    if (f != null) {
      takenForwards.remove(id);
      String at = receivedKey(f.to(), f.key());
      synchronized (windows) {
        RemoteWindow w = windows.get(at);
        if (w != null && --w.pending <= 0) {
          windows.remove(at);
        }
      }
    }
    return f;
  }

  /**
   * How long the report of a forwarded batch of {@code bytes} may take: what the remote relay gives
   * its slowest connection (the write budget, or the acknowledgement timeout) and a lease.
   */
  private long reportWithinNanos(long bytes) {
    long connection =
        Math.max(SocketConnection.writeBudgetNanos(bytes, writeTimeoutNanos), ackTimeoutNanos);
    return connection > Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : connection + leaseNanos;
  }

  /**
   * This relay no longer holds {@code key} (released, or the lease was lost). The relays it
   * forwarded the key's batches to are told to look again (with {@code release}, once the lease is
   * given back in Redis): they believe themselves joined here, and Redis may not name them to the
   * key's next holder (it lost their presence records, as it lost the lease).
   */
  void released(String key, boolean release) {
    Map<String, Boolean> others = remotes.remove(key);
    Set<String> tellTo = others == null ? Set.of() : Set.copyOf(others.keySet());
    if (!release) {
      lookAgain(key, tellTo);
      return;
    }
    boolean first;
    synchronized (releasing) {
      first = releasing.isEmpty();
      releasing.merge(key, tellTo, Peers::union);
    }
    if (first) {
      try {
        ticker.execute(this::releaseNow);
      } catch (RejectedExecutionException e) {
        // Stopping: the stop gives every lease back.
      }
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new HashSet<>(a);
    all.addAll(b);
    return all;
  }

  /**
   * Gives back the leases queued by {@link #released} since the last time, together: when many
   * clients leave at once (a network blip, a page deployed), their keys' leases go back in a few
   * round trips, and the lease ticks on the same thread are not held up behind one per key.
   */
  private void releaseNow() {
    Map<String, Set<String>> queued;
    synchronized (releasing) {
      queued = new LinkedHashMap<>(releasing);
      releasing.clear();
    }
    Consumer<List<String>> release =
        keys -> {
          List<String> leaving = new ArrayList<>(keys.size());
          List<String> staying = new ArrayList<>();
          for (String key : keys) {
            (anyConnected(List.of(key)) ? staying : leaving).add(key);
          }
          try {
            if (!leaving.isEmpty()) {
              leases.release(leaving, true);
            }
            if (!staying.isEmpty()) {
              leases.release(staying, false);
            }
          } catch (JedisException e) {
            log.debug("could not release leases: {}", e.getMessage()); // they run out by themselves
          }
        };
    DeliveryLoop l = loop;
    if (l == null) {
      release.accept(new ArrayList<>(queued.keySet()));
    } else {
      l.releaseUnlessWantedAgain(queued.keySet(), release);
    }
    queued.forEach(this::lookAgain);
  }

  /** Tells {@code relays} to step {@code key} and so find its holder, or take it. */
  private void lookAgain(String key, Collection<String> relays) {
    for (String relay : relays) {
      bus.send(relay, BusMessage.of(BusMessage.Type.TAKE_OVER, token, key));
    }
  }

  private boolean anyConnected(Collection<String> keys) {
    for (String key : keys) {
      if (registry.hasConnections(key)) {
        return true;
      }
    }
    return false;
  }

  // ---- the keys another relay holds ----

  /**
   * Whether {@code relay} was an earlier process of this relay on this machine that is gone: this
   * relay's id is the default one (the host's name and its process id), {@code relay}'s is the same
   * host's with another process id, and no process has that id here. A relay restarted after a
   * SIGKILL then takes what the killed one held at once (SPEC 3: it goes back when a relay starts
   * again), rather than a lease later, with no other relay to wait on. An id given with {@code
   * --relay-id} is never guessed at: such relays wait for the lease, as any other.
   */
  boolean goneFromThisMachine(String relay) {
    return goneHere.computeIfAbsent(relay, this::isGoneEarlierProcessHere);
  }

  private boolean isGoneEarlierProcessHere(String relay) {
    return isGoneEarlierProcessHere(token, relay, pid -> ProcessHandle.of(pid).isPresent());
  }

  /**
   * Whether {@code relay} was an earlier process of the relay whose token is {@code mine}, on this
   * machine, and is gone: both have the default id (the same host's name, and a process id), their
   * tokens the same {@link ThisMachine} tag (the same kernel boot and process-id namespace, where
   * the other's process id means what it says here), and no process has its id.
   */
  static boolean isGoneEarlierProcessHere(
      String mine, String relay, java.util.function.LongPredicate running) {
    int colon = mine.lastIndexOf(':');
    int otherColon = relay.lastIndexOf(':');
    if (colon < 0 || otherColon < 0) {
      return false;
    }
    String tag = ThisMachine.processIdsTag();
    if (!mine.startsWith(tag, colon + 1) || !relay.startsWith(tag, otherColon + 1)) {
      return false; // another kernel or process-id namespace (a container, another machine)
    }
    String name = mine.substring(0, colon);
    long me = ProcessHandle.current().pid();
    String suffix = "-" + me;
    if (!name.endsWith(suffix) || name.length() == suffix.length()) {
      return false; // not the default id: no guess
    }
    String host = name.substring(0, name.length() - suffix.length() + 1);
    String other = nameOf(relay);
    if (!other.startsWith(host) || !other.substring(host.length()).matches("[0-9]{1,10}")) {
      return false;
    }
    long pid = Long.parseLong(other.substring(host.length()));
    return pid != me && !running.test(pid);
  }

  /**
   * Frees {@code key}'s lease, held by {@code relay}, an earlier process of this relay that is gone
   * ({@link #goneFromThisMachine}), and steps the key again to take it.
   */
  void takeFromGone(String key, String relay) {
    ticker.execute(
        () -> {
          try {
            leases.releaseGone(relay, List.of(key));
            throttled.info(
                "gone-here:" + relay,
                "relay "
                    + LogText.quote(nameOf(relay))
                    + " was this relay before a restart and its process is gone: its keys are"
                    + " taken over at once");
          } catch (JedisException e) {
            // Not freed: the lease runs out by itself, and stepping now would only ask again.
            log.debug("could not free a lease of a gone relay: {}", e.getMessage());
            return;
          }
          DeliveryLoop l = loop;
          if (l != null) {
            l.holderGone(key);
          }
        });
  }

  /** Tells {@code owner} that this relay has connections of {@code key} (acknowledging or not). */
  void join(String owner, String key, boolean acknowledging) {
    bus.send(owner, BusMessage.join(token, key, acknowledging));
  }

  /** Tells {@code owner} that this relay has no connection of {@code key} any more. */
  void leave(String owner, String key) {
    received.remove(receivedKey(owner, key));
    synchronized (lastTaken) {
      Map<String, Long> holders = lastTaken.get(key);
      if (holders != null && holders.remove(owner) != null && holders.isEmpty()) {
        lastTaken.remove(key);
      }
    }
    bus.send(owner, BusMessage.of(BusMessage.Type.LEAVE, token, key));
  }

  /** Tells {@code owner} that a watch entry for {@code key} came here. */
  void hint(String owner, String key) {
    bus.send(owner, BusMessage.hint(token, key, true));
  }

  /**
   * Watch entries came here for keys this relay has no connection of: their holders (if any) are
   * told. Only asked of Redis when other relays are alive.
   */
  void hintHolders(Collection<String> keys) {
    if (keys.isEmpty() || (alone() && !othersSinceLastAsked())) {
      return;
    }
    Map<String, String> holders;
    try {
      holders = leases.holders(keys);
    } catch (JedisException e) {
      return; // the holders find the alerts at their recheck
    }
    holders.forEach(
        (key, holder) -> {
          if (!holder.equals(token)) {
            bus.send(holder, BusMessage.hint(token, key, false));
          }
        });
  }

  /**
   * Asks Redis again which relays are alive, unless it was asked within {@link
   * #LIVING_RECHECK_NANOS}: a relay that started since the last renewal may hold keys this one has
   * no connection of. Costs a single relay at most ten calls a second, and only while watch entries
   * come for keys nobody here is connected to.
   *
   * @return whether other relays are alive
   */
  private boolean othersSinceLastAsked() {
    long now = System.nanoTime();
    if (now - aliveAt < LIVING_RECHECK_NANOS) {
      return false;
    }
    aliveAt = now;
    try {
      alive = living();
    } catch (JedisException e) {
      return false;
    }
    return !alone();
  }

  /**
   * Records this relay among the living and returns who is alive. When its record had gone (Redis
   * lost it, or this relay was paused past its lease), other relays may have counted it gone and
   * stopped forwarding to it: it tells the holders of its keys again.
   */
  private Set<String> living() {
    Leases.Living now = leases.alive();
    if (!now.wasRecorded() && recorded) {
      ownRecordLapsedAt = System.nanoTime();
      log.info(
          "this relay's record among the living had gone (Redis lost it, or this relay was paused"
              + " past its lease); telling the holders of its keys again");
      DeliveryLoop l = loop;
      if (l != null) {
        try {
          ticker.execute(l::rejoinHolders);
        } catch (RejectedExecutionException e) {
          // stopping
        }
      }
    }
    recorded = true;
    recent = now.recent();
    return now.tokens();
  }

  // ---- messages from other relays (relay-bus-in thread) ----

  @Override
  public void received(BusMessage m) {
    heardFromOthers = true;
    DeliveryLoop l = loop;
    if (l == null) {
      return;
    }
    switch (m.type()) {
      case BATCH -> deliverHere(m);
      case REPORT -> settle(m.id(), m.count());
      case ROOM -> roomReceived(m, l);
      case JOIN -> {
        // Atomic with acquired()'s swap of the list, and with the holding check inside it: a
        // JOIN is neither lost to a list being replaced nor leaves a list for a key let go.
        boolean[] taken = {false};
        remotes.compute(
            m.key(),
            (k, current) -> {
              if (!l.holds(k)) {
                return current;
              }
              Map<String, Boolean> r = current == null ? new ConcurrentHashMap<>() : current;
              r.put(m.from(), m.count() == 1);
              taken[0] = true;
              return r;
            });
        if (taken[0]) {
          bus.send(m.from(), BusMessage.of(BusMessage.Type.JOINED, token, m.key()));
          resendForwards(m.from(), m.key());
          l.request(m.key());
        } else {
          // Not (or no longer) held here: let it find the holder, or take the lease.
          bus.send(m.from(), BusMessage.of(BusMessage.Type.TAKE_OVER, token, m.key()));
        }
      }
      case LEAVE -> {
        Map<String, Boolean> r = remotes.get(m.key());
        if (r != null && r.remove(m.from()) != null) {
          l.request(m.key());
        }
      }
      case HINT -> {
        l.hinted(m.key());
        if (m.count() == 1 && !forwardsTo(m.from(), m.key(), l)) {
          // It counts itself joined here, and this relay does not forward the key to it: the
          // answer that would have told it (a TAKE_OVER when this relay lost the lease, a JOINED)
          // was lost or overtaken. Without this it would miss the key's alerts until something
          // else made it look again.
          bus.send(m.from(), BusMessage.of(BusMessage.Type.TAKE_OVER, token, m.key()));
        }
      }
      case TAKE_OVER -> l.holderGone(m.key());
      case JOINED -> l.joined(m.from(), m.key());
    }
  }

  /**
   * A relay's acknowledging connections of a key this relay holds took batch {@code m.id()} (and
   * every one before it), and have room for {@code m.count()} more: the batch counts as taken, so
   * the key reads on past it as for a connection of its own. Sent again when their window opened:
   * the key steps, and reads what that room allows.
   */
  private void roomReceived(BusMessage m, DeliveryLoop l) {
    synchronized (windows) {
      RemoteWindow w = windows.get(receivedKey(m.from(), m.key()));
      if (w != null && m.id() >= w.roomAsOf) {
        w.roomAsOf = m.id();
        w.room = m.count();
      }
    }
    Forward f = forwards.get(m.id());
    if (f != null && f.to().equals(m.from()) && takenForwards.add(m.id())) {
      f.callback().taken(f.size());
    } else {
      l.request(m.key());
    }
  }

  /** Whether this relay holds {@code key} and forwards its batches to {@code relay}. */
  private boolean forwardsTo(String relay, String key, DeliveryLoop l) {
    Map<String, Boolean> r = remotes.get(key);
    return r != null && r.containsKey(relay) && l.holds(key);
  }

  /**
   * A relay (re)joined {@code key}: it may have been away from the bus (a Redis restart, a pause),
   * so what waits on its report is sent again, oldest first; it reports the last batch it had
   * without delivering it twice, and ignores older ones (of several out to acknowledging
   * connections there, every one but the last was taken there: it reports them as they settle).
   */
  private void resendForwards(String to, String key) {
    List<Long> ids = new ArrayList<>();
    for (Map.Entry<Long, Forward> e : forwards.entrySet()) {
      if (e.getValue().to().equals(to) && e.getValue().key().equals(key)) {
        ids.add(e.getKey());
      }
    }
    ids.sort(null); // oldest first, as they were sent
    for (Long id : ids) {
      Forward f = forwards.get(id);
      if (f != null) {
        bus.send(to, f.batch());
      }
    }
  }

  private static String receivedKey(String holder, String key) {
    return holder + '\n' + key;
  }

  /**
   * This relay's acknowledging connections of {@code key} acknowledged enough to open their window:
   * every relay whose batches of it they took is told their room, counted from the last such batch
   * (the key's holder, and for a while after a takeover the one before it, which a ROOM costs
   * nothing).
   *
   * @return false when no batch of another relay was taken here (nothing to count from)
   */
  boolean windowOpened(String key) {
    synchronized (lastTaken) {
      Map<String, Long> holders = lastTaken.get(key);
      if (holders == null || holders.isEmpty()) {
        return false;
      }
      int room = roomHere(key);
      holders.forEach((holder, asOf) -> bus.send(holder, BusMessage.room(token, key, asOf, room)));
      return true;
    }
  }

  /** How many more alerts this relay's acknowledging connections of {@code key} may be sent. */
  private int roomHere(String key) {
    long room = ackWindow;
    for (ClientConnection c : registry.connections(key)) {
      if (c.acknowledges() && !c.isClosed()) {
        room = Math.min(room, ackWindow - c.awaitingAck());
      }
    }
    return (int) Math.max(0, room);
  }

  /** A batch of a key another relay holds: to this relay's connections of it, then the report. */
  private void deliverHere(BusMessage m) {
    String from = receivedKey(m.from(), m.key());
    Received before = received.get(from);
    if (before != null && m.id() <= before.id()) {
      // Sent again: report it once it is written (or now, if it was), never deliver it twice.
      if (m.id() == before.id() && before.written() != Received.WRITING) {
        bus.send(m.from(), BusMessage.report(token, m.key(), m.id(), before.written()));
      }
      return;
    }
    List<ClientConnection> here = registry.connections(m.key());
    if (here.isEmpty() || m.entries().isEmpty()) {
      received.remove(from);
      bus.send(m.from(), BusMessage.report(token, m.key(), m.id(), 0));
      return;
    }
    received.put(from, new Received(m.id(), Received.WRITING));
    FrameBatch frames = FrameBatch.encode(m.entries());
    boolean acknowledging = false;
    for (ClientConnection c : here) {
      acknowledging |= c.acknowledges();
    }
    Delivery delivery = new Delivery(m, from, here.size(), acknowledging);
    for (ClientConnection c : here) {
      c.send(c.session(m.key()), frames, delivery.new Send());
    }
  }

  /**
   * A forwarded batch on its way to this relay's connections of its key: the report once each
   * settled it, and, when some of them acknowledge, a ROOM once each took it (so the holder reads
   * on while their acknowledgements are still to come, as it does for its own connections).
   */
  private final class Delivery {
    private final BusMessage batch;
    private final String from;
    private final boolean acknowledging;
    private final AtomicInteger untaken;
    private final AtomicInteger unsettled;
    private final AtomicInteger most = new AtomicInteger();

    Delivery(BusMessage batch, String from, int connections, boolean acknowledging) {
      this.batch = batch;
      this.from = from;
      this.acknowledging = acknowledging;
      this.untaken = new AtomicInteger(connections);
      this.unsettled = new AtomicInteger(connections);
    }

    private void tookOne() {
      if (untaken.decrementAndGet() == 0 && acknowledging) {
        synchronized (lastTaken) {
          long asOf =
              lastTaken
                  .computeIfAbsent(batch.key(), k -> new HashMap<>())
                  .merge(batch.from(), batch.id(), Math::max);
          bus.send(batch.from(), BusMessage.room(token, batch.key(), asOf, roomHere(batch.key())));
        }
      }
    }

    private void settledOne(int written) {
      most.accumulateAndGet(written, Math::max);
      if (unsettled.decrementAndGet() == 0) {
        received.replace(
            from, new Received(batch.id(), Received.WRITING), new Received(batch.id(), most.get()));
        bus.send(batch.from(), BusMessage.report(token, batch.key(), batch.id(), most.get()));
      }
    }

    /** One connection's send: taken once (at its take, or at its settlement), settled once. */
    final class Send implements BatchCallback {
      private final AtomicBoolean taken = new AtomicBoolean();

      @Override
      public void taken(int written) {
        if (taken.compareAndSet(false, true)) {
          tookOne();
        }
      }

      @Override
      public void done(int written) {
        if (taken.compareAndSet(false, true)) {
          tookOne(); // a plain connection's take, or a close before it: the ROOM goes first
        }
        settledOne(written);
      }
    }
  }

  @Override
  public void resubscribed() {
    DeliveryLoop l = loop;
    if (l != null) {
      l.rejoinHolders(); // they may have missed JOINs sent meanwhile
    }
  }

  // ---- every third of a lease ----

  private void tick() {
    DeliveryLoop l = loop;
    if (l == null) {
      return;
    }
    heardFromOthers = false; // the look below tells whether they are alive
    try {
      Set<String> now = living();
      Set<String> absent = new HashSet<>(known);
      absent.addAll(missing);
      for (Map<String, Boolean> list : remotes.values()) {
        absent.addAll(list.keySet()); // a relay forwarded to is forgotten when gone, known or not
      }
      absent.removeAll(now);
      absent.remove(token);
      Set<String> stillMissing = new HashSet<>();
      for (String relay : absent) {
        if (missing.contains(relay)) {
          log.info(
              "relay gone: {} (it stopped, or its record ran out)", LogText.quote(nameOf(relay)));
          forgetRelay(relay);
        } else {
          stillMissing.add(relay); // gone at the next read, unless it records itself by then
        }
      }
      missing = stillMissing;
      known = now;
      alive = now;
      aliveAt = System.nanoTime();
      if (!reachable) {
        reachable = true;
      }
      l.stepKeysWhoseHolderIsGone(now);
      long sentAt = System.nanoTime();
      List<String> held = l.heldKeys();
      if (!held.isEmpty()) {
        // Each key's forward list as the renewal is sent: a step that takes a lost lease again
        // meanwhile puts a new list, which the loss found below must leave alone.
        Map<String, Map<String, Boolean>> listed = new HashMap<>();
        for (String key : held) {
          Map<String, Boolean> r = remotes.get(key);
          if (r != null) {
            listed.put(key, r);
          }
        }
        List<String> lost = leases.renew(held);
        Set<String> lostSet = new HashSet<>(lost);
        List<String> renewed = new ArrayList<>(held.size());
        for (String key : held) {
          if (!lostSet.contains(key)) {
            renewed.add(key);
          }
        }
        l.renewed(renewed, sentAt);
        for (String key : lost) {
          if (!l.leaseLost(key, sentAt)) {
            // A step that began after the renewal was sent holds the lease (Redis ran the renewal
            // first, found the lease run out, and the step took it again): the key is this
            // relay's, and so is its forward list.
            continue;
          }
          metrics.leaseLost();
          throttled.warn(
              "lost:" + key,
              "lease of key="
                  + LogText.quote(key)
                  + " lost (another relay holds it, or it ran out)");
          Map<String, Boolean> r = listed.get(key);
          if (r != null && dropForwardList(key, r)) {
            lookAgain(key, Set.copyOf(r.keySet()));
          }
        }
      }
    } catch (JedisException e) {
      reachable = false; // the watcher logs Redis outages; leases run out by themselves meanwhile
    } catch (RuntimeException e) {
      log.error("the lease keeper failed; it runs again in a third of a lease", e);
    }
    expireForwards();
  }

  /**
   * Drops {@code key}'s forward list if it is still {@code list}, the very map the renewal saw: a
   * step that took the lease again since has put a new one, which may well name the same relays
   * (the presence record) and so equal it; {@code remotes.remove(key, list)} compared by content
   * and dropped that one, leaving the key held here with no forward list, every JOIN answered with
   * TAKE_OVER and the other relays' connections without alerts for as long as it stayed held.
   *
   * @return whether it was dropped
   */
  boolean dropForwardList(String key, Map<String, Boolean> list) {
    boolean[] dropped = {false};
    remotes.computeIfPresent(
        key,
        (k, current) -> {
          if (current != list) {
            return current;
          }
          dropped[0] = true;
          return null;
        });
    return dropped[0];
  }

  /** A relay is gone: nothing more is forwarded to it, and what waits on it is settled. */
  private void forgetRelay(String relay) {
    received.keySet().removeIf(k -> k.startsWith(relay + '\n'));
    for (Map.Entry<String, Map<String, Boolean>> e : remotes.entrySet()) {
      if (e.getValue().remove(relay) != null) {
        // Should it be alive after all (it may have joined again just before), it looks again
        // and joins anew: without this it would count itself joined and get nothing.
        lookAgain(e.getKey(), List.of(relay));
      }
    }
    synchronized (lastTaken) {
      lastTaken.values().removeIf(holders -> holders.remove(relay) != null && holders.isEmpty());
    }
    goneHere.remove(relay);
    for (Map.Entry<Long, Forward> e : forwards.entrySet()) {
      if (e.getValue().to().equals(relay)) {
        settle(e.getKey(), 0);
      }
    }
  }

  private void expireForwards() {
    long now = System.nanoTime();
    for (Map.Entry<Long, Forward> e : forwards.entrySet()) {
      Forward f = e.getValue();
      if (now - f.deadline() >= 0 && settle(e.getKey(), 0)) {
        throttled.warn(
            "forward:" + f.to(),
            "relay "
                + LogText.quote(nameOf(f.to()))
                + " did not report a batch of key="
                + LogText.quote(f.key())
                + " in time; counted as not delivered there");
      }
    }
  }

  private static String nameOf(String relayToken) {
    int colon = relayToken.lastIndexOf(':');
    return colon < 0 ? relayToken : relayToken.substring(0, colon);
  }

  String name() {
    return name;
  }

  // ---- stopping ----

  /**
   * A clean stop: every lease this relay holds goes back, the relays with connections of those keys
   * are told to take them, and this relay leaves the living. Call once delivery is at rest.
   */
  void handOver(Collection<String> held) {
    Map<String, Set<String>> tell = new ConcurrentHashMap<>();
    for (String key : held) {
      Map<String, Boolean> r = remotes.remove(key);
      tell.put(key, r == null ? Set.of() : Set.copyOf(r.keySet()));
    }
    try {
      if (!held.isEmpty()) {
        leases.release(held, true);
      }
      leases.leave();
    } catch (JedisException e) {
      log.info("could not hand leases back ({}); they run out within a lease", e.getMessage());
    }
    tell.forEach(this::lookAgain);
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    bus.close();
    leases.close();
    for (Long id : List.copyOf(forwards.keySet())) {
      Forward f = finish(id);
      if (f != null) {
        f.callback().done(0);
      }
    }
  }
}
