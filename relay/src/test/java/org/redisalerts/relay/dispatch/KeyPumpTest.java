package org.redisalerts.relay.dispatch;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
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

  /** A pump that has read {@code batch} for {@code targets} connections and is sending it. */
  private static KeyPump sending(Batch batch, boolean more, int targets) {
    KeyPump pump = new KeyPump("alert/k");
    assertThat(pump.request()).isTrue();
    assertThat(pump.begin(100, 1 << 20)).isNotNull();
    assertThat(pump.read(batch, more, targets)).isEqualTo(KeyPump.Next.SEND);
    return pump;
  }

  @Test
  void aBatchNoConnectionTookWaitsForTheNextRoundInsteadOfBeingReadAgainAtOnce() {
    // Its connections hold their identify replies (the holder's answer is late), or closed: read
    // again at once, the batch would find them the same, round after round.
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}", "{\"event\":\"b\"}"), true, 2);
    assertThat(pump.sent(0)).isEqualTo(KeyPump.Next.NOTHING);
    assertThat(pump.sent(0)).isEqualTo(KeyPump.Next.PARK);
    assertThat(pump.state()).isEqualTo(KeyPump.State.PARKED);
    assertThat(pump.request()).as("new work (an identify, a watch entry) queues it").isTrue();
  }

  @Test
  void aBatchPartlyTakenOrFollowedByMoreGoesOnAtOnce() {
    KeyPump partly = sending(batchOf("{\"event\":\"a\"}", "{\"event\":\"b\"}"), false, 1);
    assertThat(partly.sent(1)).isEqualTo(KeyPump.Next.QUEUE);

    KeyPump more = sending(batchOf("{\"event\":\"a\"}"), true, 1);
    assertThat(more.sent(1)).isEqualTo(KeyPump.Next.QUEUE);

    KeyPump done = sending(batchOf("{\"event\":\"a\"}"), false, 1);
    assertThat(done.sent(1)).isEqualTo(KeyPump.Next.PARK);
  }

  @Test
  void workThatArrivedDuringTheSendGoesOnAtOnceEvenWhenNobodyTookTheBatch() {
    // A new connection identified meanwhile: it may take what the others did not.
    KeyPump pump = sending(batchOf("{\"event\":\"a\"}"), false, 1);
    assertThat(pump.request()).isFalse();
    assertThat(pump.sent(0)).isEqualTo(KeyPump.Next.QUEUE);
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
}
