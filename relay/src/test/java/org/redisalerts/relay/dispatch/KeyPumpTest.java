package org.redisalerts.relay.dispatch;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.redisalerts.relay.redis.StepRequest;
import org.redisalerts.relay.websocket.FrameBatch;

/** The pump's state machine on its own: what it asks for after a send. */
class KeyPumpTest {

  private static Batch batchOf(String... alerts) {
    List<byte[]> entries = java.util.Arrays.stream(alerts).map(a -> a.getBytes(UTF_8)).toList();
    int[] positions = new int[entries.size()];
    for (int i = 0; i < positions.length; i++) {
      positions[i] = i;
    }
    return new Batch(entries, FrameBatch.encode(entries), positions, List.of(), System.nanoTime());
  }

  /** Long after every batch was taken: their grace for acks is over. */
  private static final long FAR = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);

  /** Begins a step of {@code pump} with these targets. */
  private static StepRequest begin(
      KeyPump pump,
      int claim,
      List<?> connections,
      List<String> relays,
      Predicate<Object> mayCatchUp,
      long now) {
    return pump.begin(
        1 << 20, now, p -> new KeyPump.Targets(connections, relays, claim, mayCatchUp));
  }

  private static final String ONE = "one";
  private static final String TWO = "two";

  /** A pump that has read {@code batch} for {@code targets} and is sending it. */
  private static KeyPump sending(Batch batch, boolean more, Object... targets) {
    KeyPump pump = new KeyPump("alert/k");
    assertThat(pump.request()).isTrue();
    assertThat(begin(pump, 100, List.of(targets), List.of(), c -> true, FAR)).isNotNull();
    assertThat(pump.read(batch, more, List.of(targets), List.of())).isEqualTo(KeyPump.Next.SEND);
    return pump;
  }

  /** A plain connection's report: its socket took {@code written} frames, which delivers them. */
  private static KeyPump.Next written(KeyPump pump, BatchOut out, Object target, int written) {
    KeyPump.Next settled = pump.settled(out, target, written, out.batch.frames().count());
    KeyPump.Next taken = pump.taken(out);
    return taken == null ? settled : taken;
  }

  @Test
  void aBatchNoConnectionTookWaitsForTheNextRoundInsteadOfBeingReadAgainAtOnce() {
    // Its connections hold their identify replies (the holder's answer is late), or closed: read
    // again at once, the batch would find them the same, round after round.
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}", "{\"event\":\"b\"}"), true, ONE, TWO);
    BatchOut out = pump.sending();
    assertThat(written(pump, out, ONE, 0)).isEqualTo(KeyPump.Next.NOTHING);
    assertThat(written(pump, out, TWO, 0)).isEqualTo(KeyPump.Next.PARK);
    assertThat(pump.state()).isEqualTo(KeyPump.State.PARKED);
    assertThat(pump.request()).as("new work (an identify, a watch entry) queues it").isTrue();
  }

  @Test
  void aBatchPartlyTakenOrFollowedByMoreGoesOnAtOnce() {
    KeyPump partly = sending(batchOf("{\"event\":\"a\"}", "{\"event\":\"b\"}"), false, ONE);
    assertThat(written(partly, partly.sending(), ONE, 1)).isEqualTo(KeyPump.Next.QUEUE);

    KeyPump more = sending(batchOf("{\"event\":\"a\"}"), true, ONE);
    assertThat(written(more, more.sending(), ONE, 1)).isEqualTo(KeyPump.Next.QUEUE);

    KeyPump done = sending(batchOf("{\"event\":\"a\"}"), false, ONE);
    assertThat(written(done, done.sending(), ONE, 1)).isEqualTo(KeyPump.Next.PARK);
  }

  @Test
  void workThatArrivedDuringTheSendGoesOnAtOnceEvenWhenNobodyTookTheBatch() {
    // A new connection identified meanwhile: it may take what the others did not.
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}"), false, ONE);
    assertThat(pump.request()).isFalse();
    assertThat(written(pump, pump.sending(), ONE, 0)).isEqualTo(KeyPump.Next.QUEUE);
  }

  @Test
  void aBatchTakenAndNotYetAcknowledgedLetsTheNextBeReadPastIt() {
    // SPEC 9: a client that acknowledges in groups waits for more before it acknowledges the rest.
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}", "{\"event\":\"b\"}"), true, ONE);
    BatchOut first = pump.sending();
    assertThat(pump.taken(first))
        .as("taken, acks to come, more to read")
        .isEqualTo(KeyPump.Next.QUEUE);
    StepRequest step = begin(pump, 100, List.of(ONE), List.of(), c -> true, FAR);
    assertThat(step.held()).isEqualTo(2);
    assertThat(step.trim()).isZero();
    assertThat(step.skip()).as("what is out is not read again").isEqualTo(2);
    assertThat(pump.read(batchOf("{\"event\":\"c\"}"), false, List.of(ONE), List.of()))
        .isEqualTo(KeyPump.Next.SEND);
    BatchOut second = pump.sending();
    assertThat(pump.taken(second)).isEqualTo(KeyPump.Next.NOTHING);
    assertThat(pump.state()).isEqualTo(KeyPump.State.ACKING);
    assertThat(pump.settled(first, ONE, 2, 2))
        .as("one batch of two settled")
        .isEqualTo(KeyPump.Next.NOTHING);
    assertThat(pump.settled(second, ONE, 1, 1)).isEqualTo(KeyPump.Next.PARK);
    assertThat(pump.settleDue(Long.MAX_VALUE / 2, 0)).isTrue();
    StepRequest trim = begin(pump, 100, List.of(ONE), List.of(), c -> true, FAR);
    assertThat(trim.held()).isEqualTo(3);
    assertThat(trim.trim()).as("both batches trimmed at once").isEqualTo(3);
  }

  @Test
  void aStepsMarkCountsWhatThePumpTrimmedAndStartsAfreshOnceThePumpDropsWhatItHeld() {
    // The mark lets Redis tell a step sent again after its reply was lost (deliver.lua). Once the
    // pump drops what it held, its next trim is of other entries: an old mark must not cover it.
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}", "{\"event\":\"b\"}"), false, ONE);
    assertThat(written(pump, pump.sending(), ONE, 2)).isEqualTo(KeyPump.Next.PARK);
    assertThat(pump.settleDue(Long.MAX_VALUE / 2, 0)).isTrue();
    StepRequest first = begin(pump, 100, List.of(ONE), List.of(), c -> true, FAR);
    assertThat(first.trim()).isEqualTo(2);
    assertThat(first.trimmedBefore()).isZero();
    pump.trimmed();
    assertThat(pump.read(batchOf("{\"event\":\"c\"}"), false, List.of(ONE), List.of()))
        .isEqualTo(KeyPump.Next.SEND);
    assertThat(written(pump, pump.sending(), ONE, 1)).isEqualTo(KeyPump.Next.PARK);
    assertThat(pump.settleDue(Long.MAX_VALUE / 2, 0)).isTrue();
    StepRequest second = begin(pump, 100, List.of(ONE), List.of(), c -> true, FAR);
    assertThat(second.pump()).isEqualTo(first.pump());
    assertThat(second.trimmedBefore()).as("the first step's trim, told by its reply").isEqualTo(2);

    pump.lost(); // the head changed: what was out is gone
    assertThat(pump.read(batchOf("{\"event\":\"d\"}"), false, List.of(ONE), List.of()))
        .isEqualTo(KeyPump.Next.SEND);
    assertThat(written(pump, pump.sending(), ONE, 1)).isEqualTo(KeyPump.Next.PARK);
    assertThat(pump.settleDue(Long.MAX_VALUE / 2, 0)).isTrue();
    StepRequest third = begin(pump, 100, List.of(ONE), List.of(), c -> true, FAR);
    assertThat(third.trim()).isEqualTo(1);
    assertThat(third.pump()).isNotEqualTo(first.pump());
    assertThat(third.trimmedBefore()).isZero();
  }

  @Test
  void aConnectionThatWasNotSentABatchStillOutIsSentItsUndeliveredAlertsFirst() {
    // Sent the next batch alone, it would receive an alert before an older one that the other
    // connection may yet hand back (by closing without acknowledging it).
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}", "{\"event\":\"b\"}"), true, ONE);
    BatchOut first = pump.sending();
    assertThat(pump.taken(first)).isEqualTo(KeyPump.Next.QUEUE);
    assertThat(pump.catchUpAlerts(TWO)).isEqualTo(2);
    StepRequest step = begin(pump, 100, List.of(ONE, TWO), List.of(), c -> true, FAR);
    assertThat(step.skip()).isEqualTo(2);
    assertThat(pump.read(batchOf("{\"event\":\"c\"}"), false, List.of(ONE, TWO), List.of()))
        .isEqualTo(KeyPump.Next.SEND);
    assertThat(pump.takeCatchUps()).containsExactly(new KeyPump.CatchUp(first, 0, TWO));
    assertThat(pump.catchUpAlerts(TWO)).isZero();
  }

  @Test
  void aBatchJustTakenHasItsGraceForAcksBeforeTheNextIsReadPastIt() {
    // A client that acknowledges each batch gets the next one only once its ack was read.
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}"), true, ONE);
    BatchOut first = pump.sending();
    assertThat(pump.taken(first)).isEqualTo(KeyPump.Next.QUEUE);
    assertThat(begin(pump, 100, List.of(ONE), List.of(), c -> true, System.nanoTime())).isNull();
    assertThat(pump.heldForOrder()).isTrue();
    assertThat(pump.settled(first, ONE, 1, 1))
        .as("acknowledged in time")
        .isEqualTo(KeyPump.Next.QUEUE);
    StepRequest step = begin(pump, 100, List.of(ONE), List.of(), c -> true, System.nanoTime());
    assertThat(step.trim()).isEqualTo(1);
    assertThat(step.skip()).isZero();
  }

  @Test
  void aConnectionThatJustIdentifiedIsNotCaughtUpBeforeItsGraceIsOver() {
    // A browser reload: the old connection's last ack may be read after the new identify.
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}"), true, ONE);
    BatchOut first = pump.sending();
    assertThat(pump.taken(first)).isEqualTo(KeyPump.Next.QUEUE);
    assertThat(begin(pump, 100, List.of(ONE, TWO), List.of(), c -> c != TWO, FAR)).isNull();
    assertThat(pump.heldForOrder()).isTrue();
    assertThat(pump.settled(first, ONE, 1, 1))
        .as("acknowledged: on at once")
        .isEqualTo(KeyPump.Next.QUEUE);
  }

  @Test
  void aRelayThatWasNotSentABatchStillOutGetsNothingNewUntilItSettles() {
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}"), true, ONE);
    BatchOut first = pump.sending();
    assertThat(pump.taken(first)).isEqualTo(KeyPump.Next.QUEUE);
    assertThat(begin(pump, 100, List.of(ONE), List.of("relay-b"), c -> true, FAR))
        .as("held back, nothing to trim")
        .isNull();
    assertThat(pump.state()).isEqualTo(KeyPump.State.ACKING);
    assertThat(pump.settled(first, ONE, 0, 1))
        .as("handed back: read again")
        .isEqualTo(KeyPump.Next.PARK);
    assertThat(pump.settleDue(Long.MAX_VALUE / 2, 0)).isTrue();
    StepRequest again = begin(pump, 100, List.of(ONE), List.of("relay-b"), c -> true, FAR);
    assertThat(again.skip()).as("read from the first alert not delivered").isZero();
    assertThat(again.claim()).isEqualTo(100);
  }

  @Test
  void aBatchReadWhileAnOlderOneFellShortIsNotSentButReadAgainWithIt() {
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}"), true, ONE);
    BatchOut first = pump.sending();
    assertThat(pump.taken(first)).isEqualTo(KeyPump.Next.QUEUE);
    assertThat(begin(pump, 100, List.of(ONE), List.of(), c -> true, FAR)).isNotNull();
    pump.settled(first, ONE, 0, 1); // the connection left while the step ran
    pump.trimmed();
    assertThat(pump.read(batchOf("{\"event\":\"b\"}"), false, List.of(ONE), List.of()))
        .isNotEqualTo(KeyPump.Next.SEND);
    assertThat(pump.takeCatchUps()).isEmpty();
  }

  @Test
  void aRequestMadeWhileAStepLooksAtItsTargetsIsNotLost() throws Exception {
    // An ack that frees a full window, or a connection that joins, just after the delivery thread
    // looked: its request found the pump queued and did nothing, and the step held back.
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}"), true, ONE);
    assertThat(pump.taken(pump.sending())).isEqualTo(KeyPump.Next.QUEUE);
    Thread[] requester = new Thread[1];
    StepRequest step =
        pump.begin(
            1 << 20,
            FAR,
            p -> {
              requester[0] = new Thread(p::request);
              requester[0].start();
              return new KeyPump.Targets(List.of(ONE), List.of(), 0, c -> true); // no room
            });
    assertThat(step).as("held back, nothing to trim").isNull();
    requester[0].join();
    assertThat(pump.state()).isEqualTo(KeyPump.State.QUEUED);
  }

  @Test
  void roomMadeWhileAHeldBackStepRunsIsNotLost() {
    // The step trims with no room to read; acknowledgements that free a window arrive while it
    // runs. Their request must not be dropped with the held-back step (an outside probe found the
    // key stalled until the next watch entry).
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}", "{\"event\":\"b\"}"), true, ONE, TWO);
    BatchOut first = pump.sending();
    assertThat(pump.settled(first, ONE, 2, 2)).isEqualTo(KeyPump.Next.NOTHING);
    assertThat(pump.taken(first)).isNull();
    assertThat(pump.taken(first)).isEqualTo(KeyPump.Next.QUEUE);
    StepRequest trimOnly = begin(pump, 0, List.of(ONE, TWO), List.of(), c -> true, FAR);
    assertThat(trimOnly.trim()).isEqualTo(2);
    assertThat(trimOnly.claim()).isZero();
    assertThat(pump.request()).as("room made meanwhile").isFalse();
    pump.trimmed();
    assertThat(pump.read(null, false, List.of(ONE, TWO), List.of())).isEqualTo(KeyPump.Next.QUEUE);
  }

  @Test
  void aFullWindowHoldsTheKeyUntilAcknowledgementsMakeRoom() {
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}"), true, ONE);
    BatchOut first = pump.sending();
    assertThat(pump.taken(first)).isEqualTo(KeyPump.Next.QUEUE);
    assertThat(begin(pump, 0, List.of(ONE), List.of(), c -> true, FAR))
        .as("no room, nothing to trim")
        .isNull();
    assertThat(pump.state()).isEqualTo(KeyPump.State.ACKING);
    assertThat(pump.request()).as("room made: the window's owner asks again").isTrue();
    StepRequest step = begin(pump, 50, List.of(ONE), List.of(), c -> true, FAR);
    assertThat(step.skip()).isEqualTo(1);
    assertThat(step.claim()).isEqualTo(50);
  }

  private static final long LEASE = TimeUnit.SECONDS.toNanos(2);

  /**
   * A pump that took the lease two leases before {@code now}, and has not stepped since: paused
   * past its lease, so another relay may hold the key now.
   */
  private static KeyPump pausedHolder(long now) {
    KeyPump pump = new KeyPump("alert/k");
    pump.owned(now - 2 * LEASE, LEASE, now - 2 * LEASE);
    return pump;
  }

  @Test
  void aHolderWhoseLeaseRanOutByItsClockHoldsNewRepliesUntilAStepRenewsIt() {
    long now = System.nanoTime();
    KeyPump pump = new KeyPump("alert/k");
    assertThat(pump.owned(now, LEASE, now)).as("taken: held replies go").isTrue();
    assertThat(pump.mayReplyAtOnce()).isTrue();
    assertThat(pump.owned(now, LEASE, now)).as("kept: nothing waits").isFalse();

    KeyPump paused = pausedHolder(now);
    assertThat(paused.mayReplyAtOnce()).isFalse();
    assertThat(paused.owned(now, LEASE, now)).as("renewed: the waiting replies go").isTrue();
    assertThat(paused.mayReplyAtOnce()).isTrue();
  }

  @Test
  void repliesWaitOnWhenTheStepThatRenewedTheLeaseEndedPastIt() {
    // The relay stalled while the step ran: the lease it renewed may be another relay's already,
    // so the replies that waited for it wait for the next step.
    long now = System.nanoTime();
    KeyPump pump = new KeyPump("alert/k");
    assertThat(pump.owned(now, LEASE, now + 3 * LEASE)).as("taken, but too late").isFalse();
    assertThat(pump.repliesWait()).isTrue();
    assertThat(pump.owned(now + 3 * LEASE, LEASE, now + 3 * LEASE)).as("in time").isTrue();
    assertThat(pump.repliesWait()).isFalse();
  }

  @Test
  void aPumpThatNoLongerHoldsTheLeaseHasNoRepliesWaitingForIt() {
    // Else every step that leaves the lease free would ask for another at once.
    long now = System.nanoTime();
    KeyPump pump = pausedHolder(now);
    assertThat(pump.mayReplyAtOnce()).isFalse();
    assertThat(pump.repliesWait()).isTrue();
    pump.unheld();
    assertThat(pump.repliesWait()).isFalse();
    assertThat(pump.owned(now, LEASE, now)).as("taken again: the replies go").isTrue();
  }

  @Test
  void aRenewalThatFoundTheLeaseLostIsOutOfDateOnceALaterStepHoldsIt() {
    // Redis ran the renewal first (the lease had run out during a pause) and then a step that
    // took the lease again: the renewal's answer, read last, must not undo the step's.
    long now = System.nanoTime();
    KeyPump pump = new KeyPump("alert/k");
    long renewalSent = now;
    pump.owned(now + 1_000, LEASE, now + 2_000); // a step that began after the renewal was sent
    assertThat(pump.leaseLost(renewalSent, LEASE)).isEqualTo(KeyPump.Lost.OUT_OF_DATE);
    assertThat(pump.owned()).isTrue();

    KeyPump older = new KeyPump("alert/k");
    older.owned(now - 1_000, LEASE, now); // its last step began before the renewal was sent
    assertThat(older.leaseLost(renewalSent, LEASE)).isEqualTo(KeyPump.Lost.QUEUE);
    assertThat(older.owned()).isFalse();
  }

  /** A pump that holds its lease, stepped once and idle since: nothing read or held. */
  private static KeyPump idleHolder() {
    KeyPump pump = new KeyPump("alert/k");
    long now = System.nanoTime();
    assertThat(pump.request()).isTrue();
    assertThat(begin(pump, 100, List.of(ONE), List.of(), c -> true, now)).isNotNull();
    pump.owned(now, LEASE, now);
    assertThat(pump.read(null, false, List.of(ONE), List.of())).isEqualTo(KeyPump.Next.NOTHING);
    assertThat(pump.state()).isEqualTo(KeyPump.State.IDLE);
    return pump;
  }

  private static boolean beginRead(KeyPump pump, long sentAt) {
    long now = System.nanoTime();
    return pump.beginRead(
        sentAt, 1 << 20, now, p -> new KeyPump.Targets(List.of(ONE), List.of(), 100, c -> true));
  }

  @Test
  void aBatchTheWatchersPopReadIsTakenByAPumpIdleSinceBeforeThePopWasSent() {
    KeyPump pump = idleHolder();
    long sentAt = KeyPump.stamp();
    assertThat(beginRead(pump, sentAt)).isTrue();
    assertThat(pump.state()).isEqualTo(KeyPump.State.STEPPING);
    assertThat(pump.read(batchOf("{\"event\":\"a\"}"), false, List.of(ONE), List.of()))
        .isEqualTo(KeyPump.Next.SEND);
  }

  @Test
  void aBatchTheWatchersPopReadIsRefusedByAPumpThatWasSteppedSinceThePopWasSent() {
    // Its own step may have read (or trimmed) the same entries, in Redis before or after the pop's
    // script: the pop's read is stale either way, and kept it would repeat alerts.
    KeyPump stepped = idleHolder();
    long sentAt = KeyPump.stamp();
    assertThat(stepped.request()).isTrue();
    assertThat(begin(stepped, 100, List.of(ONE), List.of(), c -> true, System.nanoTime()))
        .isNotNull();
    assertThat(beginRead(stepped, sentAt)).as("while its step runs").isFalse();
    assertThat(stepped.read(null, false, List.of(ONE), List.of())).isEqualTo(KeyPump.Next.NOTHING);
    assertThat(stepped.state()).isEqualTo(KeyPump.State.IDLE);
    assertThat(beginRead(stepped, sentAt)).as("idle again, but only since").isFalse();

    KeyPump sending = sending(batchOf("{\"event\":\"a\"}"), false, ONE);
    long sentWhileSending = KeyPump.stamp();
    assertThat(beginRead(sending, sentWhileSending)).as("with a batch out").isFalse();

    KeyPump released = idleHolder();
    long sentBeforeRelease = KeyPump.stamp();
    assertThat(released.release()).isTrue();
    assertThat(beginRead(released, sentBeforeRelease)).as("its lease given back").isFalse();
  }
}
