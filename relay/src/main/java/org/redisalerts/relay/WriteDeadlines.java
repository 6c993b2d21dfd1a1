package org.redisalerts.relay;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.java_websocket.framing.CloseFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes connections that do not take in a batch within the write timeout, so that a client that
 * stopped reading holds up its key (and its key's other connections) for a bounded time; closing
 * completes the send with what was written.
 *
 * <p>Sends in flight are kept in a map and swept a few times per timeout, rather than each getting
 * its own timer task: scheduling and cancelling a task per batch woke the timer thread twice per
 * batch, which at low rates cost more than the delivery itself. A stalled connection is therefore
 * closed between one and about 1.25 timeouts after its batch was queued.
 */
final class WriteDeadlines implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WriteDeadlines.class);

  /** How long a close frame may take to get through to a stalled client before the TCP close. */
  private static final long STALLED_CLOSE_GRACE_MS = 2_000;

  private static final long MIN_SWEEP_MS = 10;
  private static final long MAX_SWEEP_MS = 1_000;

  private record InFlight(ClientConnection target, long queuedAt) {}

  private final long timeoutNanos;
  private final long timeoutMillis;
  private final ScheduledExecutorService timer;
  private final RelayMetrics metrics;
  private final Map<CompletableFuture<Integer>, InFlight> inFlight = new ConcurrentHashMap<>();
  private final ScheduledFuture<?> sweeper;

  WriteDeadlines(Duration timeout, ScheduledExecutorService timer, RelayMetrics metrics) {
    this.timeoutNanos = timeout.toNanos();
    this.timeoutMillis = timeout.toMillis();
    this.timer = timer;
    this.metrics = metrics;
    long period = Math.max(MIN_SWEEP_MS, Math.min(MAX_SWEEP_MS, timeoutMillis / 4));
    this.sweeper = timer.scheduleAtFixedRate(this::sweep, period, period, TimeUnit.MILLISECONDS);
  }

  /** Watches {@code send} to {@code target} until it completes; returns it. */
  CompletableFuture<Integer> watch(ClientConnection target, CompletableFuture<Integer> send) {
    if (!send.isDone()) {
      inFlight.put(send, new InFlight(target, System.nanoTime()));
      send.whenComplete((written, error) -> inFlight.remove(send));
    }
    return send;
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Map.Entry<CompletableFuture<Integer>, InFlight> e : inFlight.entrySet()) {
      InFlight f = e.getValue();
      if (now - f.queuedAt() >= timeoutNanos
          && inFlight.remove(e.getKey(), f)
          && !e.getKey().isDone()) {
        ClientConnection target = f.target();
        metrics.refused(RelayMetrics.Refusal.TOO_SLOW);
        log.info(
            "client too slow: batch not written within {} ms, closing client={} key={}",
            timeoutMillis,
            target,
            target.key());
        target.closeStalled(
            CloseFrame.POLICY_VALIDATION,
            "too slow: alerts not read within " + timeoutMillis + " ms",
            timer,
            STALLED_CLOSE_GRACE_MS);
      }
    }
  }

  @Override
  public void close() {
    sweeper.cancel(false);
  }
}
