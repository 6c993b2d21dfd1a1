package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.redisalerts.testing.TestPublisher.alert;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.RecordingClient.Closed;
import org.redisalerts.testing.RecordingClient.Event;
import org.redisalerts.testing.RecordingClient.Text;
import org.redisalerts.testing.TestPublisher;
import org.redisalerts.testing.TestRedis;

/**
 * Three relay processes on one Redis and watch list (SPEC 10): a holder killed, stopped, paused,
 * while alerts flow; nothing is lost.
 */
class SeveralRelayProcessesTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final JsonCodec codec = new JsonCodec();
  private static final String LEASE = "2s";

  private final AtomicReferenceArray<RelayProcess> relays = new AtomicReferenceArray<>(3);

  @AfterEach
  void stop() throws Exception {
    for (int i = 0; i < relays.length(); i++) {
      RelayProcess r = relays.get(i);
      if (r != null) {
        if (r.isAlive()) {
          r.resume();
        }
        r.close();
      }
    }
  }

  private RelayProcess start(int i) throws Exception {
    RelayProcess r =
        RelayProcess.start("--redis", redis.url(), "--relay-id", "relay-" + i, "--lease", LEASE);
    relays.set(i, r);
    return r;
  }

  private static long seq(String frame) throws Exception {
    return codec.readTree(frame).get("seq").asLong();
  }

  /** Publishes alerts 0..total-1 one by one, staying at most {@code ahead} past {@code seen}. */
  private static CompletableFuture<Void> publish(String key, int total, Progress seen, int ahead) {
    return publish(key, 0, total, seen, ahead);
  }

  /** Publishes alerts from..to-1 one by one, staying at most {@code ahead} past {@code seen}. */
  private static CompletableFuture<Void> publish(
      String key, int from, int to, Progress seen, int ahead) {
    return CompletableFuture.runAsync(
        () -> {
          TestPublisher publisher = new TestPublisher(redis);
          for (int i = from; i < to; i++) {
            seen.awaitAtLeast(i - ahead);
            publisher.push(key, alert("p", i));
          }
        });
  }

  /** The highest sequence number some client has seen; publishers wait on it. */
  private static final class Progress {
    private long highest = -1;

    synchronized void saw(long seq) {
      if (seq > highest) {
        highest = seq;
        notifyAll();
      }
    }

    synchronized void awaitAtLeast(long seq) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (highest < seq) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no progress past " + highest);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }

    synchronized long highest() {
      return highest;
    }
  }

  /**
   * A browser tab: it stays identified with the key, and when its relay closes it, it connects to
   * the next relay. Records what it received, in order.
   */
  private final class Tab {
    final List<Long> received = new ArrayList<>();
    final String key;
    int relay;

    /** Done once the first connection has its reply: what is pushed after it reaches the tab. */
    private final CompletableFuture<Void> replied = new CompletableFuture<>();

    Tab(String key, int relay) {
      this.key = key;
      this.relay = relay;
    }

    /** Reads until {@code last} arrives. */
    CompletableFuture<List<Long>> run(long last, Progress progress) {
      return CompletableFuture.supplyAsync(
          () -> {
            try {
              RecordingClient client = connect();
              replied.complete(null);
              while (true) {
                Event event = client.next(Duration.ofSeconds(30));
                if (event instanceof Text text) {
                  long s = seq(text.text());
                  received.add(s);
                  progress.saw(s);
                  if (s == last) {
                    client.closeAndWait();
                    return received;
                  }
                } else if (event instanceof Closed) {
                  relay = (relay + 1) % 3;
                  client = connect();
                }
              }
            } catch (Exception e) {
              throw new AssertionError(e);
            }
          });
    }

    /** Waits for the tab's first reply (SPEC 10: every alert pushed after it reaches the tab). */
    void awaitReply() throws Exception {
      replied.get(30, TimeUnit.SECONDS);
    }

    private RecordingClient connect() {
      return await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () -> {
                RelayProcess r = relays.get(relay);
                if (r == null || !r.isAlive()) {
                  relay = (relay + 1) % 3;
                  return null;
                }
                return RecordingClient.connect(r.uri()).identifyAndAwaitReply(key);
              },
              c -> c != null);
    }
  }

  private static BitSet covered(List<Long> received) {
    BitSet seen = new BitSet();
    received.forEach(s -> seen.set(s.intValue()));
    return seen;
  }

  private static int duplicates(List<Long> received) {
    return received.size() - covered(received).cardinality();
  }

  @Test
  void theHolderKilledMidStreamLosesNothingAndTheOthersTakeOver() throws Exception {
    String key = "alert/procs-kill";
    int total = 3000;
    RelayProcess a = start(0);
    RecordingClient onA = RecordingClient.connect(a.uri()).identifyAndAwaitReply(key); // a holds
    start(1);
    start(2);
    Progress progress = new Progress();
    Tab b = new Tab(key, 1);
    Tab c = new Tab(key, 2);
    CompletableFuture<List<Long>> fromB = b.run(total - 1, progress);
    CompletableFuture<List<Long>> fromC = c.run(total - 1, progress);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> redis.client().hlen(new RelayKeys("watch").presence(key)) == 3);
    b.awaitReply();
    c.awaitReply();
    CompletableFuture<Void> publishing = publish(key, total, progress, 300);
    progress.awaitAtLeast(1000);
    a.kill();
    onA.getClass(); // its connection is gone with its relay
    publishing.get(60, TimeUnit.SECONDS);
    List<Long> gotB = fromB.get(60, TimeUnit.SECONDS);
    List<Long> gotC = fromC.get(60, TimeUnit.SECONDS);
    assertThat(covered(gotB).cardinality()).as("b's tab has every alert").isEqualTo(total);
    assertThat(covered(gotC).cardinality()).as("c's tab has every alert").isEqualTo(total);
    await().atMost(Duration.ofSeconds(10)).until(() -> redis.client().llen(key) == 0);
    System.out.printf(
        "SIGKILL of the holder: %d alerts; duplicates after the take-over: b %d, c %d%n",
        total, duplicates(gotB), duplicates(gotC));
  }

  @Test
  void aRollingRestartOfEveryRelayLosesAndDuplicatesNothing() throws Exception {
    String key = "alert/procs-rolling";
    int total = 4000;
    for (int i = 0; i < 3; i++) {
      start(i);
    }
    Progress progress = new Progress();
    List<Tab> tabs = List.of(new Tab(key, 0), new Tab(key, 1), new Tab(key, 2));
    List<CompletableFuture<List<Long>>> reading = new ArrayList<>();
    for (Tab t : tabs) {
      reading.add(t.run(total - 1, progress));
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> redis.client().hlen(new RelayKeys("watch").presence(key)) == 3);
    for (Tab t : tabs) {
      t.awaitReply();
    }
    CompletableFuture<Void> publishing = publish(key, total, progress, 200);
    for (int i = 0; i < 3; i++) {
      progress.awaitAtLeast(800L * (i + 1));
      RelayProcess old = relays.get(i);
      assertThat(old.terminate()).as("relay %d stops cleanly", i).isZero();
      start(i);
    }
    publishing.get(60, TimeUnit.SECONDS);
    BitSet all = new BitSet();
    for (int i = 0; i < tabs.size(); i++) {
      List<Long> got = reading.get(i).get(60, TimeUnit.SECONDS);
      assertThat(got).as("tab %d: in order, nothing twice", i).isSorted().doesNotHaveDuplicates();
      all.or(covered(got));
    }
    assertThat(all.cardinality()).as("every alert reached a tab").isEqualTo(total);
    await().atMost(Duration.ofSeconds(10)).until(() -> redis.client().llen(key) == 0);
  }

  @Test
  void aHolderPausedPastItsLeaseIsFencedWhenItWakesAndNothingIsLost() throws Exception {
    String key = "alert/procs-pause";
    int total = 2000;
    int beforeWaking = 1200;
    RelayProcess a = start(0);
    Tab onA = new Tab(key, 0); // a holds the key
    Progress seenA = new Progress();
    CompletableFuture<List<Long>> fromA = onA.run(total - 1, seenA);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> redis.client().hlen(new RelayKeys("watch").presence(key)) == 1);
    start(1);
    Progress progress = new Progress();
    Tab onB = new Tab(key, 1);
    CompletableFuture<List<Long>> fromB = onB.run(total - 1, progress);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> redis.client().hlen(new RelayKeys("watch").presence(key)) == 2);
    onA.awaitReply();
    onB.awaitReply();
    CompletableFuture<Void> publishing = publish(key, 0, beforeWaking, progress, 200);
    progress.awaitAtLeast(500);
    a.pause();
    progress.awaitAtLeast(beforeWaking - 1); // b took the key over and went on alone
    publishing.get(60, TimeUnit.SECONDS);
    a.resume();
    // a's tab missed what was delivered while its relay was frozen (b's tab had it: the key lost
    // nothing). Once a's tab receives again, it receives every later alert, in order.
    TestPublisher probe = new TestPublisher(redis);
    int[] next = {beforeWaking};
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              if (seenA.highest() >= beforeWaking) {
                return true;
              }
              probe.push(key, alert("p", next[0]++));
              return false;
            });
    long firstAfterWaking = seenA.highest();
    publish(key, next[0], total, progress, 200).get(60, TimeUnit.SECONDS);
    List<Long> gotB = fromB.get(60, TimeUnit.SECONDS);
    BitSet missing = covered(gotB);
    missing.flip(0, total);
    assertThat(covered(gotB).cardinality())
        .as(
            "b's tab has every alert; missing %s%n--- a:%n%s%n--- b:%n%s",
            missing, a.output(), relays.get(1).output())
        .isEqualTo(total);
    List<Long> gotA = fromA.get(60, TimeUnit.SECONDS);
    List<Long> afterWaking = gotA.subList(gotA.indexOf(firstAfterWaking), gotA.size());
    assertThat(afterWaking)
        .as("a's tab, once back, gets every later alert in order")
        .isSorted()
        .doesNotHaveDuplicates()
        .hasSize((int) (total - firstAfterWaking));
    await().atMost(Duration.ofSeconds(10)).until(() -> redis.client().llen(key) == 0);
    assertThat(a.output()).containsAnyOf("lease of key=", "is no longer this relay's");
    System.out.printf(
        "SIGSTOP of the holder: %d alerts; duplicates: b %d, a %d; a's tab back from alert %d%n",
        total, duplicates(gotB), duplicates(gotA), firstAfterWaking);
  }
}
