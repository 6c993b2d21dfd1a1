package org.redisalerts.relay.monitoring;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;

/**
 * Warnings that may repeat (a key's step failing, a refused origin, a key of the wrong type),
 * logged at most once per topic per period: the first at once, later ones counted and reported with
 * the next line for the topic, or by {@link #flush} once the period is over. The number of topics
 * kept is bounded, so topics chosen by a client (origins) cannot grow it without end. Thread-safe.
 */
public final class ThrottledLog {

  /** Topics tracked at once; beyond it, new topics share one. */
  static final int MAX_TOPICS = 100;

  private static final String OVERFLOW = "(other)";

  private static final class Topic {
    long since;
    int suppressed;
    String lastMessage;
  }

  private final Logger log;
  private final long periodNanos;

  /** Guarded by itself. */
  private final Map<String, Topic> topics = new LinkedHashMap<>();

  public ThrottledLog(Logger log, Duration period) {
    this.log = log;
    this.periodNanos = period.toNanos();
  }

  /**
   * Logs {@code message} (already formatted, outside text already escaped) at WARN unless {@code
   * topic} was logged within the period.
   */
  public void warn(String topic, String message) {
    emit(topic, message, true);
  }

  /** As {@link #warn}, at INFO. */
  public void info(String topic, String message) {
    emit(topic, message, false);
  }

  private void emit(String topic, String message, boolean warn) {
    long now = System.nanoTime();
    int suppressed;
    synchronized (topics) {
      Topic t = topics.get(topic);
      if (t == null && topics.size() >= MAX_TOPICS) {
        topic = OVERFLOW;
        t = topics.get(topic);
      }
      if (t != null && now - t.since < periodNanos) {
        t.suppressed++;
        t.lastMessage = message;
        return;
      }
      if (t == null) {
        t = new Topic();
        topics.put(topic, t);
      }
      suppressed = t.suppressed;
      t.since = now;
      t.suppressed = 0;
      t.lastMessage = null;
    }
    String line =
        suppressed == 0
            ? message
            : message + " (" + suppressed + " more like it in the last period were not logged)";
    if (warn) {
      log.warn(line);
    } else {
      log.info(line);
    }
  }

  /** Reports topics whose period is over and that suppressed lines; forgets quiet ones. */
  public void flush() {
    long now = System.nanoTime();
    synchronized (topics) {
      for (Iterator<Map.Entry<String, Topic>> it = topics.entrySet().iterator(); it.hasNext(); ) {
        Topic t = it.next().getValue();
        if (now - t.since < periodNanos) {
          continue;
        }
        if (t.suppressed > 0) {
          log.warn(
              "{} more like this in the last {} s were not logged; the last: {}",
              t.suppressed,
              Duration.ofNanos(periodNanos).toSeconds(),
              t.lastMessage);
        }
        it.remove();
      }
    }
  }
}
