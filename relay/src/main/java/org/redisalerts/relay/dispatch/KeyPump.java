package org.redisalerts.relay.dispatch;

import java.util.ArrayList;
import java.util.List;
import org.redisalerts.relay.redis.StepRequest;

/**
 * One key's delivery, as a state machine. Alerts stay in the key's list until they were written: a
 * step reads a batch from the head, the batch goes to every connection of the key, and the key's
 * next step trims what was written. One batch per key is out at a time, which keeps order per key.
 *
 * <pre>
 * IDLE      nothing read and unfinished, no step wanted
 * QUEUED    waiting for the delivery thread's next round
 * STEPPING  in a round: its script is running
 * SENDING   a batch is queued on the key's connections, waiting for them to take it
 * PARKED    the last batch is written but not yet trimmed from the list (or no connection took
 *           it): the key's next step (a watch entry, an identify, any round) trims it (or reads
 *           it again), or the settle delay does
 * STALLED   the last step failed (Redis unreachable, or the key is not a list): what was written
 *           is kept and trimmed by the next step, once Redis is back or the key is asked again
 * ELSEWHERE another relay holds the key's lease (SPEC 10): it delivers, and forwards batches
 *           here for this relay's connections; this pump steps only to record a change of this
 *           relay's presence, or when that relay is gone
 *
 * request       IDLE, PARKED, STALLED -> QUEUED; STEPPING, SENDING -> (again)
 * begin         QUEUED -> STEPPING
 * read          STEPPING -> SENDING (alerts read) | QUEUED (again, more, or bad entries only)
 *                        | PARKED (bad entries only, nothing more) | IDLE (nothing read or held)
 * failed        STEPPING -> STALLED
 * sent          SENDING -> QUEUED (again; or some written, and more or not all) | PARKED
 * settle due    PARKED -> QUEUED
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

  enum State {
    IDLE,
    QUEUED,
    STEPPING,
    SENDING,
    PARKED,
    STALLED,
    ELSEWHERE
  }

  final String key;

  private State state = State.IDLE;

  /** Work arrived while a step or a send was under way: step again after it. */
  private boolean again;

  /** The list may hold more than the last step read. */
  private boolean more;

  /** Taken out of the pumps: a request must make a new pump. */
  private boolean retired;

  /** The last batch read: it is at the head of the list until a step trims it. */
  private Batch held;

  /** How many of {@link #held}'s entries are finished (written, or bad). */
  private int finished;

  /** How many alerts of {@link #held} were written to at least one connection. */
  private int written;

  /** Connections the held batch went to. */
  private int connections;

  /** Sends of the held batch not yet reported. */
  private int sendsLeft;

  private long parkedAt;

  /** The key refused a step (not a list) and its connections were told. */
  private boolean refusalReported;

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
      case IDLE, PARKED, STALLED -> {
        state = State.QUEUED;
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
    if ((state == State.IDLE || state == State.ELSEWHERE) && held == null) {
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
   * Starts a step: finish what is held, read up to {@code claim} more.
   *
   * @return the step's request, or null when the pump is not queued (nothing to do)
   */
  synchronized StepRequest begin(int claim, long claimBytes) {
    if (state != State.QUEUED) {
      return null;
    }
    state = State.STEPPING;
    again = false;
    List<byte[]> dead = new ArrayList<>();
    int heldCount = 0;
    if (held != null) {
      heldCount = held.size();
      for (Batch.Dead d : held.deadBefore(finished)) {
        dead.add(d.record());
      }
    }
    byte[] first = heldCount == 0 ? null : held.entries().get(0);
    byte[] last = heldCount == 0 ? null : held.entries().get(heldCount - 1);
    StepRequest.Presence p = presence;
    presence = StepRequest.Presence.UNCHANGED;
    stepPresence = p;
    return new StepRequest(
        key, heldCount, first, last, heldCount == 0 ? 0 : finished, 0, dead, claim, claimBytes, p);
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
    if (state == State.IDLE || state == State.PARKED || state == State.STALLED) {
      state = State.QUEUED;
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

  /** The step ran and trimmed what the pump held as finished. */
  synchronized Finished trimmed() {
    Finished f =
        held == null
            ? Finished.NOTHING
            : new Finished(
                written, held.deadBefore(finished), connections, held.frames().count() - written);
    held = null;
    finished = 0;
    written = 0;
    refusalReported = false;
    return f;
  }

  /**
   * The step found the list's head changed (or the list is gone): what was held is no longer there
   * to trim.
   *
   * @return how many alerts of the held batch had been written
   */
  synchronized int lost() {
    int w = held == null ? 0 : written;
    held = null;
    finished = 0;
    written = 0;
    return w;
  }

  /**
   * The step read {@code batch} (possibly empty) and it goes to {@code targets} connections.
   *
   * @return what to do next: send the batch, queue the pump again, or nothing
   */
  synchronized Next read(Batch batch, boolean more, int targets) {
    this.more = more;
    if (batch == null || batch.size() == 0) {
      return idleOrAgain();
    }
    held = batch;
    connections = targets;
    written = 0;
    if (batch.frames().count() == 0 || targets == 0) {
      // Bad entries only (or no one to send to: claim was 0, so this cannot happen with entries).
      finished = batch.finished(0);
      return afterSend();
    }
    finished = 0;
    sendsLeft = targets;
    state = State.SENDING;
    return Next.SEND;
  }

  /** One connection reported how many frames of the held batch it took. */
  synchronized Next sent(int frames) {
    written = Math.max(written, frames);
    if (--sendsLeft > 0) {
      return Next.NOTHING;
    }
    finished = held.finished(written);
    return afterSend();
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
   * After a send: on at once when work came meanwhile, or when the batch made progress and the list
   * may hold more (or part of the batch is still to go). A batch that no connection took (each one
   * closed, timed out, or holds its identify reply until the key's holder answers) parks instead:
   * reading it again at once would find the same connections in the same state, a hot loop for as
   * long as that lasts, so it waits for the next round (at most the settle delay).
   */
  private Next afterSend() {
    boolean unfinished = finished < held.size();
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

  private Next idleOrAgain() {
    if (again || more) {
      again = false;
      state = State.QUEUED;
      return Next.QUEUE;
    }
    state = State.IDLE;
    return Next.NOTHING;
  }

  /** The batch being sent (for the delivery thread, right after {@link #read}). */
  synchronized Batch held() {
    return held;
  }

  @Override
  public synchronized String toString() {
    return key + " " + state;
  }
}
