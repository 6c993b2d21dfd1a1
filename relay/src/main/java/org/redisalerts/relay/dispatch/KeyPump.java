package org.redisalerts.relay.dispatch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import org.redisalerts.relay.redis.StepRequest;

/**
 * One key's delivery, as a state machine. Alerts stay in the key's list until they were delivered:
 * a step reads a batch from the head, the batch goes to every connection of the key, and a later
 * step trims what was delivered. The key's next batch is read once every connection took the last
 * one into its socket. For a plain connection that is delivery; a connection that acknowledges
 * (SPEC 9) delivers an alert when it confirms it, so its batches stay out ({@link BatchOut}) while
 * the next ones are read past them, as far as its window lets. Each connection is sent the batches
 * in order, and a connection that was not sent every batch still out (it joined since) is first
 * sent what of them is not yet delivered (a catch-up), so every connection receives the key's
 * alerts in order. Another relay cannot be caught up that way: while it lacks a batch out, nothing
 * new is read.
 *
 * <pre>
 * IDLE      nothing read and unfinished, no step wanted
 * QUEUED    waiting for the delivery thread's next round
 * STEPPING  in a round: its script is running
 * SENDING   a batch is queued on the key's connections, waiting for them to take it
 * ACKING    every batch was taken, and some wait for acknowledgements: the pump steps again when
 *           work comes (if the windows have room), when acknowledgements make room, or when the
 *           batches are settled
 * PARKED    the batches are settled but not yet trimmed from the list (or no connection took
 *           them): the key's next step (a watch entry, an identify, any round) trims them (or
 *           reads them again), or the settle delay does
 * STALLED   the last step failed (Redis unreachable, or the key is not a list): what was written
 *           is kept and trimmed by the next step, once Redis is back or the key is asked again
 * ELSEWHERE another relay holds the key's lease (SPEC 10): it delivers, and forwards batches
 *           here for this relay's connections; this pump steps only to record a change of this
 *           relay's presence, or when that relay is gone
 *
 * request       IDLE, ACKING, PARKED, STALLED -> QUEUED; STEPPING, SENDING -> (again)
 * begin         QUEUED -> STEPPING | ACKING, IDLE (held back: no window has room, or a relay waits
 *                        for the batches out to settle; nothing to trim or record)
 * read          STEPPING -> SENDING (alerts read) | QUEUED (again, more, or bad entries only)
 *                        | ACKING (held back, or batches wait for acknowledgements)
 *                        | PARKED (bad entries only, nothing more) | IDLE (nothing read or held)
 * failed        STEPPING -> STALLED
 * taken         SENDING -> QUEUED (again; or some delivered, and more or not all)
 *                        | ACKING (acknowledgements to come) | PARKED
 * settled       ACKING -> QUEUED | PARKED (the batches are settled, or one a held-back step
 *                        waited for)
 * settle due    PARKED -> QUEUED
 * behind        PARKED -> STEPPING (a step sent with the watcher's pop; see beginBehind)
 * read with pop IDLE -> STEPPING (the watcher's pop read the key; see beginRead)
 * not owner     STEPPING -> ELSEWHERE (nothing was held)
 * fenced        STEPPING -> ELSEWHERE, or QUEUED when the lease is free (what was held is dropped)
 * stalled past lease  STEPPING -> QUEUED (what it read is dropped: the next step learns the holder)
 * lease lost    any -> QUEUED (the next step is fenced, or finds the holder)
 * owner gone    ELSEWHERE -> QUEUED
 * presence      ELSEWHERE -> QUEUED (to record it)
 * joined        ELSEWHERE (the holder confirmed it forwards batches here: identify replies go)
 * </pre>
 *
 * <p>Thread-safe: every field is guarded by this; the delivery thread steps it, the selector thread
 * reports sends, any thread requests it.
 */
final class KeyPump {

  /**
   * How long a batch taken by an acknowledging connection has to be acknowledged before the next
   * one is read past it. A client that acknowledges each batch as it comes does so well within
   * this, and then gets its next batch only after its ack was read, as before batches could be read
   * past others. That matters when it closes right after acknowledging: a browser that reloads.
   * Sent the next batch before the relay read the ack, it may close with both out, and if the close
   * cuts off the ack (an aborted connection drops what the relay had not read yet), the reloaded
   * page gets the acknowledged alert again. A client that acknowledges in groups and waits for more
   * gets them this much later.
   */
  static final long ACK_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  enum State {
    IDLE,
    QUEUED,
    STEPPING,
    SENDING,
    ACKING,
    PARKED,
    STALLED,
    ELSEWHERE
  }

  /** Stamps of the moments pumps become idle, and of the sends that {@link #beginRead} checks. */
  private static final AtomicLong STAMPS = new AtomicLong();

  /**
   * Numbers for the steps' marks: each pump takes one when made and whenever it drops what it held.
   */
  private static final AtomicLong MARK_NUMBERS = new AtomicLong();

  final String key;

  private State state = State.IDLE;

  /** The stamp of when the pump last became {@link State#IDLE} (or was made). */
  private long idleSince = STAMPS.incrementAndGet();

  /** Work arrived while a step or a send was under way: step again after it. */
  private boolean again;

  /** The list may hold more than the last step read. */
  private boolean more;

  /** Taken out of the pumps: a request must make a new pump. */
  private boolean retired;

  /**
   * The batches read and not yet trimmed, oldest first: they are at the head of the list, in this
   * order, until steps trim them.
   */
  private final ArrayDeque<BatchOut> outs = new ArrayDeque<>();

  /** The running step trims this many entries from the head. */
  private int stepTrim;

  /**
   * The number this pump's steps carry in their mark (see {@link StepRequest}); a new one whenever
   * the pump drops what it held, see {@link #lost}.
   */
  private long markNumber = MARK_NUMBERS.incrementAndGet();

  /** Entries this pump's steps trimmed under {@link #markNumber}, as their replies told. */
  private long trimmedCount;

  /** The running step reads the unfinished entries again (every batch out is settled). */
  private boolean stepRereads;

  /**
   * The running step (or the last begin) read nothing because a window of the key's connections had
   * no room: acknowledgements that make room request the pump again.
   */
  private boolean heldForRoom;

  /**
   * The running step (or the last begin) read nothing because a connection was not sent every batch
   * that may still deliver, or a batch fell short: a batch that stops being live wakes the pump.
   */
  private boolean heldForOrder;

  /**
   * {@link #heldForOrder} until a grace ends: nothing else wakes the pump then but a settlement.
   */
  private boolean graceEnds;

  private long parkedAt;

  /** The key refused a step (not a list) and its connections were told. */
  private boolean refusalReported;

  /**
   * How long the key waits before its next step after Redis could not step it ({@link
   * #couldNotStep}); 0 after a step that ran.
   */
  private long failedDelayMillis;

  /** Until when (nanoTime) requests leave the key stalled after {@link #couldNotStep}. */
  private long retryAt;

  /** Whether this relay holds the key's lease (its last step renewed or took it). */
  private boolean owned;

  /** Until when (nanoTime) the lease is surely this relay's, by its own clock; 0 when not owned. */
  private long leaseUntil;

  /** The lease's holder when it is another relay ({@link State#ELSEWHERE}). */
  private String owner;

  /** {@link #owner} confirmed that it forwards the key's batches to this relay. */
  private boolean joined;

  /**
   * A reply waits because the lease ran out by this relay's clock; see {@link #mayReplyAtOnce}.
   * Only while {@link #owned}: a pump that does not hold the lease counts its next lease as taken
   * anyway.
   */
  private boolean repliesWaitForLease;

  /** A change of this relay's connections of the key, for the next step to record. */
  private StepRequest.Presence presence = StepRequest.Presence.UNCHANGED;

  private StepRequest.Presence stepPresence = StepRequest.Presence.UNCHANGED;

  KeyPump(String key) {
    this.key = key;
  }

  /**
   * @return true when the caller must queue the pump for a round
   */
  synchronized boolean request() {
    switch (state) {
      case ELSEWHERE -> {
        // The holder delivers: the caller tells it instead.
      }
      case STALLED -> {
        if (failedDelayMillis > 0 && System.nanoTime() - retryAt < 0) {
          return false; // Redis could not step it: the retry after its backoff requests it
        }
        state = State.QUEUED;
        heldForRoom = false;
        heldForOrder = false;
        return true;
      }
      case IDLE, ACKING, PARKED -> {
        state = State.QUEUED;
        heldForRoom = false;
        heldForOrder = false;
        return true;
      }
      case STEPPING, SENDING -> again = true;
      case QUEUED -> {
        // Already waiting for a round.
      }
    }
    return false;
  }

  /**
   * Whether the pump may be dropped (nothing held, nothing wanted); marks it retired if so, and no
   * longer the lease's holder (the caller gives the lease back).
   */
  synchronized boolean release() {
    if ((state == State.IDLE || state == State.ELSEWHERE) && outs.isEmpty()) {
      retired = true;
      owned = false;
      repliesWaitForLease = false;
      leaseUntil = 0;
    }
    return retired;
  }

  synchronized boolean retired() {
    return retired;
  }

  synchronized State state() {
    return state;
  }

  /**
   * Where a step's batch goes and how much it may read, as the delivery thread finds them.
   *
   * @param connections the connections the batch will go to
   * @param relays the other relays it will go to
   * @param claim the most entries to read: 0 when the key has connections and one of their windows
   *     is full
   * @param mayCatchUp which connections may be sent a catch-up now (see {@link #takeCatchUps})
   */
  record Targets(
      Collection<?> connections,
      Collection<String> relays,
      int claim,
      Predicate<Object> mayCatchUp) {}

  /**
   * Starts a step: trim what is finished, read more for the targets that {@code look} finds. It is
   * called under this pump's lock, so that a request made after it looked (a connection joined, or
   * acknowledgements made room) marks the pump to step again, and is not lost to a pump that was
   * queued already.
   *
   * @param now the round's start (nanoTime)
   * @return the step's request, or null when the pump is not queued, or is held back with nothing
   *     to trim or record (it waits in {@link State#ACKING} or {@link State#IDLE})
   */
  synchronized StepRequest begin(long claimBytes, long now, Function<KeyPump, Targets> look) {
    if (state != State.QUEUED) {
      return null;
    }
    again = false;
    Targets t = look.apply(this);
    Collection<?> connections = t.connections();
    Collection<String> relays = t.relays();
    int claim = t.claim();
    boolean targets = !connections.isEmpty() || !relays.isEmpty();
    int remaining = 0;
    boolean settled = true;
    for (BatchOut out : outs) {
      remaining += out.remaining();
      settled &= out.unsettled == 0;
    }
    int trim = finishedEntries();
    boolean rereads = settled;
    heldForRoom = targets && claim == 0;
    Order order =
        targets && !heldForRoom && !rereads
            ? readable(connections, relays, t.mayCatchUp(), now)
            : Order.READABLE;
    heldForOrder = order != Order.READABLE;
    graceEnds = order == Order.GRACE;
    if (heldForRoom || heldForOrder) {
      claim = 0;
      if (trim == 0 && presence == StepRequest.Presence.UNCHANGED) {
        // Nothing to do in Redis: wait for room, or for the batches out to settle.
        toIdleOrAcking();
        more = true; // not looked at: the list may hold more
        return null;
      }
    }
    state = State.STEPPING;
    List<byte[]> dead = new ArrayList<>();
    int left = trim;
    for (BatchOut out : outs) {
      if (left == 0) {
        break;
      }
      int n = Math.min(left, out.remaining());
      for (Batch.Dead d : out.batch.deadBetween(out.trimmed, out.trimmed + n)) {
        dead.add(d.record());
      }
      left -= n;
    }
    byte[] first =
        remaining == 0 ? null : outs.getFirst().batch.entries().get(outs.getFirst().trimmed);
    byte[] last =
        remaining == 0 ? null : outs.getLast().batch.entries().get(outs.getLast().batch.size() - 1);
    StepRequest.Presence p = presence;
    presence = StepRequest.Presence.UNCHANGED;
    stepPresence = p;
    stepTrim = trim;
    stepRereads = rereads;
    int skip = rereads ? 0 : remaining - trim;
    return new StepRequest(
        key,
        remaining,
        first,
        last,
        trim,
        skip,
        dead,
        claim,
        claimBytes,
        p,
        markNumber,
        trimmedCount,
        owned);
  }

  /**
   * Starts a step that goes behind the watcher's next pop, to run once the next watch entry comes
   * (at most a moment later): when the pump is parked, its batches settled, and this relay surely
   * holds the lease, the step trims them and reads on. A request that comes while it waits marks
   * the pump to step again, as for any step.
   *
   * @return the step's request, or null when the pump is not parked or the lease not surely held
   *     (nothing changes then), or {@link #begin} held it back
   */
  synchronized StepRequest beginBehind(long claimBytes, long now, Function<KeyPump, Targets> look) {
    if (state != State.PARKED || !leaseValid(now)) {
      return null;
    }
    state = State.QUEUED;
    return begin(claimBytes, now, look);
  }

  /** A stamp to give {@link #beginRead}: the moment the watcher sends its pop. */
  static long stamp() {
    return STAMPS.incrementAndGet();
  }

  private void toIdleOrAcking() {
    if (!outs.isEmpty()) {
      state = State.ACKING;
    } else if (state != State.IDLE) {
      state = State.IDLE;
      idleSince = STAMPS.incrementAndGet();
    }
  }

  /**
   * Takes a batch that the watcher's pop read from the head of the list (by the script sent at
   * {@code sentAt}, a {@link #stamp}) as this pump's step, and begins it as {@link #begin} does:
   * only when the pump has been idle since before it was sent, so that it held nothing of the list
   * and no step of it ran in Redis since (what the pop read is then exactly what a step of its own
   * would have read), this relay surely holds the lease, and no change of presence waits to be
   * recorded (the pop's read records none).
   *
   * @return whether the pump took it (it is then stepping, and the caller applies the result);
   *     false leaves it as it was, and the batch is dropped (it was not trimmed)
   */
  synchronized boolean beginRead(
      long sentAt, long claimBytes, long now, Function<KeyPump, Targets> look) {
    if (state != State.IDLE
        || idleSince - sentAt > 0
        || !outs.isEmpty()
        || !leaseValid(now)
        || presence != StepRequest.Presence.UNCHANGED) {
      return false;
    }
    state = State.QUEUED;
    return begin(claimBytes, now, look) != null;
  }

  /**
   * Entries from the head that are finished: the batches out delivered in full, and the finished
   * part of the first that is not (its bad entries and alerts up to its first not delivered).
   */
  private int finishedEntries() {
    int finished = 0;
    for (BatchOut out : outs) {
      int f = out.finished() - out.trimmed;
      finished += Math.max(0, f);
      if (!out.done()) {
        break;
      }
    }
    return finished;
  }

  /** Whether a new batch may be read past the batches out, and if not, what it waits for. */
  private enum Order {
    READABLE,
    /** Held until a batch out settles. */
    SETTLE,
    /** Held until a grace ends (a batch's for its acks, or a newcomer's), or a batch settles. */
    GRACE
  }

  /**
   * Whether a new batch may be read past the batches out: none of them fell short (what it did not
   * deliver is read again first, once all are settled), and every connection and relay was sent
   * every batch that may still deliver (else it would receive the new batch before an older alert),
   * or is a connection that may be caught up now; and each batch still to be acknowledged was taken
   * at least {@link #ACK_GRACE_NANOS} ago.
   */
  private Order readable(
      Collection<?> connections,
      Collection<String> relays,
      Predicate<Object> mayCatchUp,
      long now) {
    Order order = Order.READABLE;
    for (BatchOut out : outs) {
      if (out.fellShort() || (out.live() && !out.holders.containsAll(relays))) {
        return Order.SETTLE;
      }
      if (out.live() && now - out.takenAt < ACK_GRACE_NANOS) {
        order = Order.GRACE;
      }
      if (out.live()) {
        for (Object c : connections) {
          if (!out.holders.contains(c) && !mayCatchUp.test(c)) {
            order = Order.GRACE;
          }
        }
      }
    }
    return order;
  }

  /** Whether the last {@link #begin} held the key back until a grace ends: look again then. */
  synchronized boolean graceEnds() {
    return heldForOrder && graceEnds;
  }

  /**
   * Whether the last {@link #begin} held the key back for the order of some connection or relay.
   */
  synchronized boolean heldForOrder() {
    return heldForOrder;
  }

  /** Alerts of the batches out that {@code connection} would be sent as a catch-up now. */
  synchronized int catchUpAlerts(Object connection) {
    int alerts = 0;
    for (BatchOut out : outs) {
      if (out.live() && !out.holders.contains(connection)) {
        alerts += out.batch.frames().count() - out.delivered;
      }
    }
    return alerts;
  }

  /** What a connection that joined while batches were out is sent of them first. */
  record CatchUp(BatchOut out, int from, Object connection) {}

  private List<CatchUp> catchUps = List.of();

  /**
   * The catch-ups the last {@link #read} planned, for the delivery thread to send before that
   * step's batch; each is counted as a send of its batch already.
   */
  synchronized List<CatchUp> takeCatchUps() {
    List<CatchUp> c = catchUps;
    catchUps = List.of();
    return c;
  }

  // ---- the lease (SPEC 10) ----

  /**
   * The step that began at {@code startedAt} (nanoTime) holds the lease for {@code leaseNanos}.
   *
   * @param now when its reply was read: a relay that stalled while the step ran may be past the
   *     lease it just renewed
   * @return whether identify replies held until now may go: the pump did not hold the lease before,
   *     or replies waited because its lease had run out by this relay's clock; and the lease is
   *     still surely this relay's at {@code now} (else they wait on, see {@link #repliesWait})
   */
  synchronized boolean owned(long startedAt, long leaseNanos, long now) {
    boolean taken = !owned || repliesWaitForLease;
    owned = true;
    owner = null;
    leaseUntil = Math.max(leaseUntil, startedAt + leaseNanos); // a renewal may have been later
    boolean valid = now - leaseUntil < 0;
    repliesWaitForLease = taken && !valid;
    return taken && valid;
  }

  /**
   * Whether identify replies wait for a step that renews the lease in time: the last one ended past
   * the lease it renewed.
   */
  synchronized boolean repliesWait() {
    return repliesWaitForLease;
  }

  /** The lease is free and this relay did not take it (its step had nothing to read). */
  synchronized void unheld() {
    owned = false;
    repliesWaitForLease = false;
    owner = null;
    leaseUntil = 0;
  }

  /** A renewal sent at {@code sentAt} succeeded. */
  synchronized void renewed(long sentAt, long leaseNanos) {
    if (owned) {
      leaseUntil = Math.max(leaseUntil, sentAt + leaseNanos);
    }
  }

  synchronized boolean owned() {
    return owned;
  }

  /** Whether the lease is surely still this relay's at {@code now}, by this relay's clock. */
  synchronized boolean leaseValid(long now) {
    return owned && now - leaseUntil < 0;
  }

  /**
   * Whether every batch read from now on reaches this relay's connections of the key, so that a
   * connection joining now may have its reply at once: this relay surely holds the lease (by its
   * own clock), or the lease's holder confirmed this relay's join. When the relay counts itself the
   * holder but its lease has run out by its clock (it was paused, and another relay may have taken
   * the key), the reply waits, and the step that renews the lease sends it.
   */
  synchronized boolean mayReplyAtOnce() {
    if (owned) {
      if (System.nanoTime() - leaseUntil < 0) {
        return true;
      }
      repliesWaitForLease = true;
      return false;
    }
    return state == State.ELSEWHERE && joined;
  }

  /**
   * {@code holder} confirmed this relay's join.
   *
   * @return whether it is the holder this pump knows of (then the join counts)
   */
  synchronized boolean joinedBy(String holder) {
    if (state != State.ELSEWHERE || !holder.equals(owner)) {
      return false;
    }
    joined = true;
    return true;
  }

  /** The step found another relay holding the lease; nothing was held. */
  synchronized void elsewhere(String holder) {
    owned = false;
    repliesWaitForLease = false;
    leaseUntil = 0;
    joined = false; // until it confirms the join this step's caller sends
    owner = holder;
    again = false;
    state = State.ELSEWHERE;
  }

  /**
   * The step was fenced: this relay held entries but not the lease any more. They are dropped
   * (whoever holds the lease now reads them from the head again).
   *
   * @param holder the lease's holder, or empty when it is free
   * @return true when the caller must queue the pump (the lease is free: try to take it)
   */
  synchronized boolean fenced(String holder) {
    lost();
    owned = false;
    repliesWaitForLease = false;
    leaseUntil = 0;
    joined = false;
    if (holder.isEmpty()) {
      owner = null;
      state = State.QUEUED;
      return true;
    }
    owner = holder;
    state = State.ELSEWHERE;
    return false;
  }

  /** What a renewal's finding that the lease is lost does to the pump. */
  enum Lost {
    /** Lost; the caller queues the pump, so it steps and finds out who holds the key. */
    QUEUE,
    /** Lost; the pump steps once its step or send in progress is done. */
    LATER,
    /**
     * Out of date: a step that began after the renewal was sent holds the lease (Redis ran the
     * renewal first); nothing changes.
     */
    OUT_OF_DATE
  }

  /**
   * A renewal sent at {@code sentAt} found the lease no longer this relay's.
   *
   * @param leaseNanos the lease's length
   */
  synchronized Lost leaseLost(long sentAt, long leaseNanos) {
    if (owned && leaseUntil - (sentAt + leaseNanos) > 0) {
      return Lost.OUT_OF_DATE; // only a step that began after sentAt sets it that far
    }
    return leaseLost() ? Lost.QUEUE : Lost.LATER;
  }

  /**
   * The lease is no longer this relay's (a renewal found so, or it ran out by this relay's clock).
   *
   * @return true when the caller must queue the pump
   */
  synchronized boolean leaseLost() {
    owned = false;
    repliesWaitForLease = false;
    leaseUntil = 0;
    if (state == State.IDLE
        || state == State.ACKING
        || state == State.PARKED
        || state == State.STALLED) {
      state = State.QUEUED;
      heldForRoom = false;
      heldForOrder = false;
      return true;
    }
    again = true;
    return false;
  }

  /**
   * This relay tells the holder again that it has connections of the key: until the holder answers,
   * new connections wait for their reply (it may have forgotten this relay).
   *
   * @return the holder, or null when this relay knows of none
   */
  synchronized String rejoin() {
    if (state != State.ELSEWHERE) {
      return null;
    }
    joined = false;
    return owner;
  }

  /**
   * The step read entries, but by this relay's own clock its lease ran out while the step ran (a
   * pause, a long GC): nothing of them is written, the lease is not counted on, and the pump steps
   * again at once to learn who holds the key. (Left STEPPING, no round would ever take it again.)
   */
  synchronized void stalledPastLease() {
    lost();
    leaseLost();
    again = false;
    state = State.QUEUED;
  }

  /** The holder, when another relay holds the lease; else null. */
  synchronized String owner() {
    return state == State.ELSEWHERE ? owner : null;
  }

  /**
   * The relay that held the lease stopped or died: step again (and take the lease when it is free).
   *
   * @return true when the caller must queue the pump
   */
  synchronized boolean ownerGone() {
    if (state != State.ELSEWHERE) {
      return false;
    }
    owner = null;
    joined = false;
    state = State.QUEUED;
    return true;
  }

  /**
   * This relay's connections of the key changed; the next step records it.
   *
   * @return true when the caller must queue the pump (it is {@link State#ELSEWHERE} and steps only
   *     for this)
   */
  synchronized boolean presence(StepRequest.Presence now) {
    presence = now;
    if (state == State.ELSEWHERE) {
      state = State.QUEUED;
      return true;
    }
    return false;
  }

  /** What a step finished, for logs and metrics. */
  record Finished(int written, List<Batch.Dead> dead, int connections, int notWritten) {
    static final Finished NOTHING = new Finished(0, List.of(), 0, 0);
  }

  /**
   * The step ran and trimmed what it was asked to; when it read the unfinished entries again, the
   * batches out are dropped (the step's new batch holds them).
   */
  synchronized Finished trimmed() {
    trimmedCount += stepTrim;
    if (outs.isEmpty()) {
      return Finished.NOTHING;
    }
    int connections = outs.getLast().sends;
    int written = 0;
    List<Batch.Dead> dead = new ArrayList<>();
    int left = stepTrim;
    while (left > 0) {
      BatchOut out = outs.getFirst();
      int n = Math.min(left, out.remaining());
      written += out.batch.alertsBetween(out.trimmed, out.trimmed + n);
      dead.addAll(out.batch.deadBetween(out.trimmed, out.trimmed + n));
      out.trimmed += n;
      left -= n;
      if (out.remaining() == 0) {
        outs.removeFirst();
      }
    }
    int notWritten = 0;
    if (stepRereads) {
      for (BatchOut out : outs) {
        notWritten += out.batch.alertsBetween(out.trimmed, out.batch.size());
      }
      outs.clear();
    }
    stepTrim = 0;
    refusalReported = false;
    return new Finished(written, dead, connections, notWritten);
  }

  /**
   * The step found the list's head changed (or the list is gone), or left the key to another relay:
   * what was out is no longer there to trim. Reports of its sends still to come are ignored.
   *
   * @return how many alerts of the batches out had been delivered
   */
  synchronized int lost() {
    int delivered = 0;
    for (BatchOut out : outs) {
      delivered += out.batch.alertsBetween(out.trimmed, out.finished());
    }
    outs.clear();
    stepTrim = 0;
    // A step whose reply was lost may have moved the lease's mark past trimmedCount; with nothing
    // held, the next trim is of other entries, which that mark must not be taken to cover.
    markNumber = MARK_NUMBERS.incrementAndGet();
    trimmedCount = 0;
    return delivered;
  }

  /**
   * The step read {@code batch} (possibly empty), and it goes to {@code connections} (those that
   * {@link #begin} was given) and {@code relays} (and relays learned since). Connections that were
   * not sent a batch still out are first caught up ({@link #takeCatchUps}).
   *
   * @return what to do next: send the batch, queue the pump again, or nothing
   */
  synchronized Next read(
      Batch batch, boolean more, Collection<?> connections, Collection<String> relays) {
    failedDelayMillis = 0;
    boolean heldBack = heldForRoom || heldForOrder;
    this.more = heldBack || more; // held back, the step did not look
    if (heldForOrder && outs.isEmpty()) {
      heldForOrder = false; // what it waited for is gone (the head changed)
      state = State.QUEUED;
      return Next.QUEUE;
    }
    if (heldBack) {
      if (again) {
        // Requested while the step ran (acknowledgements made room, or work came): look again.
        again = false;
        heldForRoom = false;
        heldForOrder = false;
        state = State.QUEUED;
        return Next.QUEUE;
      }
      toIdleOrAcking();
      return Next.NOTHING;
    }
    boolean fellShort = false;
    boolean relayLacks = false;
    for (BatchOut o : outs) {
      fellShort |= o.fellShort();
      relayLacks |= o.live() && !o.holders.containsAll(relays); // one learned during the step
    }
    if (!fellShort) {
      planCatchUps(connections);
    }
    if (batch == null || batch.size() == 0) {
      return afterTaken();
    }
    BatchOut out = new BatchOut(batch);
    outs.addLast(out);
    int targets = connections.size() + relays.size();
    if (batch.frames().count() == 0 || targets == 0 || fellShort || relayLacks) {
      // Bad entries only (or no one to send to: claim was 0, so this cannot happen with entries).
      // Or a batch out fell short while this step ran (its connections left): sent now, this one
      // would reach connections before the alerts that are read again; it is read again with them.
      // Or a relay that joined during the step lacks a batch out: it is read again once they are
      // settled.
      return afterTaken();
    }
    out.holders.addAll(connections);
    out.holders.addAll(relays);
    out.sends = targets;
    out.untaken = targets;
    out.unsettled = targets;
    state = State.SENDING;
    return Next.SEND;
  }

  /** Plans a catch-up for each of {@code connections} not sent a batch out that may deliver. */
  private void planCatchUps(Collection<?> connections) {
    List<CatchUp> planned = null;
    for (Object c : connections) {
      for (BatchOut out : outs) {
        if (out.live() && !out.holders.contains(c)) {
          if (planned == null) {
            planned = new ArrayList<>();
          }
          planned.add(new CatchUp(out, out.delivered, c));
          out.holders.add(c);
          out.sends++;
          out.unsettled++;
        }
      }
    }
    catchUps = planned == null ? List.of() : planned;
  }

  /**
   * A socket took the frames of {@code out} it was sent; its settlement may follow.
   *
   * @return null while other sockets have still to take it; else what to do next
   */
  synchronized Next taken(BatchOut out) {
    if (--out.untaken > 0) {
      return null;
    }
    out.takenAt = System.nanoTime();
    if (state == State.SENDING && outs.peekLast() == out) {
      return afterTaken();
    }
    return Next.NOTHING;
  }

  /**
   * The send of {@code out} to {@code target} is settled: it delivered {@code delivered} of the
   * {@code count} alerts it was sent (written, or acknowledged).
   *
   * @return what to do next
   */
  synchronized Next settled(BatchOut out, Object target, int delivered, int count) {
    if (!outs.contains(out)) {
      return Next.NOTHING; // trimmed, or dropped with the head that changed
    }
    boolean wasLive = out.live();
    out.delivered = Math.max(out.delivered, delivered);
    out.unsettled--;
    if (delivered < count) {
      out.holders.remove(target); // closed or identified again: it no longer has the batch
    }
    return changed(out, wasLive);
  }

  /**
   * A connection acknowledged the first {@code delivered} alerts of {@code out}, and not yet all of
   * it (its send settles once it acknowledged all): those are delivered, so a connection caught up
   * is not sent them, and the next step trims them.
   *
   * @return what to do next
   */
  synchronized Next acknowledged(BatchOut out, int delivered) {
    if (!outs.contains(out) || delivered <= out.delivered) {
      return Next.NOTHING;
    }
    boolean wasLive = out.live();
    out.delivered = delivered;
    return changed(out, wasLive);
  }

  /** What a settlement or an acknowledgement of {@code out} asks for. */
  private Next changed(BatchOut out, boolean wasLive) {
    if (state == State.STEPPING && wasLive && !out.live()) {
      again = true; // a step held back for it may be running: it looks again
    }
    if (state != State.ACKING || heldForRoom || (heldForOrder && !(wasLive && !out.live()))) {
      return Next.NOTHING; // acknowledgements that make room request the pump
    }
    heldForOrder = false;
    return afterTaken();
  }

  /**
   * Redis could not step this key (a key of the relay's for it holds another type): what it held is
   * kept, as for {@link #failed}.
   *
   * @return how long to wait before stepping it again: 100 ms, doubling to 5 s while it lasts
   */
  synchronized long couldNotStep() {
    failed();
    failedDelayMillis = failedDelayMillis == 0 ? 100 : Math.min(failedDelayMillis * 2, 5_000);
    retryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(failedDelayMillis - 1);
    return failedDelayMillis;
  }

  /** What to do when the last step failed; keeps what it held for the next step. */
  synchronized void failed() {
    if (state == State.STEPPING && presence == StepRequest.Presence.UNCHANGED) {
      presence = stepPresence; // not recorded: the retry records it
    }
    state = State.STALLED;
  }

  /**
   * The key refused the step (not a list).
   *
   * @return whether its connections still have to be told
   */
  synchronized boolean refused() {
    lost();
    state = State.STALLED;
    boolean tell = !refusalReported;
    refusalReported = true;
    return tell;
  }

  /** Whether the key is stalled; such pumps are retried when Redis is back. */
  synchronized boolean stalled() {
    return state == State.STALLED;
  }

  /** PARKED for at least {@code delayNanos}: queue it to be trimmed. */
  synchronized boolean settleDue(long now, long delayNanos) {
    if (state == State.PARKED && now - parkedAt >= delayNanos) {
      state = State.QUEUED;
      return true;
    }
    return false;
  }

  synchronized long parkedAt() {
    return state == State.PARKED ? parkedAt : -1;
  }

  /** What the pump wants after a step or a send. */
  enum Next {
    NOTHING,
    SEND,
    QUEUE,
    PARK
  }

  /**
   * When every batch out was taken. While some wait for acknowledgements (and none fell short), the
   * pump reads on past them when there is more to read, and else waits for them. Once all are
   * settled: on at once when work came meanwhile, or when they made progress and the list may hold
   * more (or some of them is still to go). Batches that no connection took (each one closed, timed
   * out, or holds its identify reply until the key's holder answers) park instead: reading them
   * again at once would find the same connections in the same state, a hot loop for as long as that
   * lasts, so they wait for the next round (at most the settle delay).
   */
  private Next afterTaken() {
    if (outs.isEmpty()) {
      if (again || more) {
        again = false;
        state = State.QUEUED;
        return Next.QUEUE;
      }
      toIdleOrAcking();
      return Next.NOTHING;
    }
    boolean settled = true;
    boolean fellShort = false;
    int remaining = 0;
    for (BatchOut out : outs) {
      settled &= out.unsettled == 0;
      fellShort |= out.fellShort();
      remaining += out.remaining();
    }
    if (!settled) {
      if (!fellShort && (again || more)) {
        again = false;
        state = State.QUEUED;
        return Next.QUEUE;
      }
      state = State.ACKING;
      return Next.NOTHING;
    }
    int finished = finishedEntries();
    boolean unfinished = finished < remaining;
    boolean progressed = finished > 0;
    if (again || (progressed && (more || unfinished))) {
      again = false;
      state = State.QUEUED;
      return Next.QUEUE;
    }
    state = State.PARKED;
    parkedAt = System.nanoTime();
    return Next.PARK;
  }

  /** The batch being sent (for the delivery thread, right after {@link #read}). */
  synchronized BatchOut sending() {
    return outs.peekLast();
  }

  @Override
  public synchronized String toString() {
    return key + " " + state;
  }
}
