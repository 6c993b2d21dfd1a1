package org.redisalerts.relay.dispatch;

import java.time.Duration;
import org.redisalerts.common.LogText;
import org.redisalerts.relay.monitoring.RelayMetrics;
import org.redisalerts.relay.monitoring.ThrottledLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records what a step finished (trimmed) in the metrics, the delivery listener and the log: alerts
 * delivered, entries dead-lettered (logged at most once a minute per key), alerts left at the head
 * because their connections closed before they were written.
 */
final class FinishedReport {

  private static final Logger log = LoggerFactory.getLogger(FinishedReport.class);

  private final RelayMetrics metrics;
  private final DeliveryListener listener;
  private final String deadLetters;
  private final ThrottledLog throttled = new ThrottledLog(log, Duration.ofMinutes(1));

  /**
   * @param deadLetters the dead-letter list's name, for the log
   */
  FinishedReport(RelayMetrics metrics, DeliveryListener listener, String deadLetters) {
    this.metrics = metrics;
    this.listener = listener;
    this.deadLetters = deadLetters;
  }

  void report(String key, KeyPump.Finished f) {
    if (f.written() > 0) {
      metrics.delivered(f.written());
      listener.delivered(key, f.written());
    }
    if (!f.dead().isEmpty()) {
      metrics.deadLettered(f.dead().size());
      for (Batch.Dead d : f.dead()) {
        listener.deadLettered(key, d.reason());
      }
      Batch.Dead first = f.dead().get(0);
      throttled.warn(
          "dead:" + key,
          "dead-lettered "
              + f.dead().size()
              + " entr"
              + (f.dead().size() == 1 ? "y" : "ies")
              + " of key="
              + LogText.quote(key)
              + " to list="
              + deadLetters
              + ", first reason: "
              + first.reason());
    }
    if (f.notWritten() > 0) {
      metrics.returned(f.notWritten());
      log.info(
          "{} alerts of key={} were not written (its {} connection(s) closed first); they stay at"
              + " the head of the list",
          f.notWritten(),
          LogText.quote(key),
          f.connections());
    }
  }
}
