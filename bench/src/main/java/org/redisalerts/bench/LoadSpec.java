package org.redisalerts.bench;

import java.net.URI;
import java.time.Duration;

/**
 * One load case.
 *
 * @param relay the relay's WebSocket URL
 * @param redis the Redis URL publishers push to
 * @param watch the watch list
 * @param keys how many keys (recipients)
 * @param clientsPerKey connections per key (fan-out)
 * @param alertsPerKey alerts published per key
 * @param bytes size of each alert in bytes (padded)
 * @param rate alerts per second in total, paced; 0 publishes as fast as a pipeline goes
 * @param timeout how long to wait for the last alert
 */
public record LoadSpec(
    URI relay,
    String redis,
    String watch,
    int keys,
    int clientsPerKey,
    int alertsPerKey,
    int bytes,
    int rate,
    Duration timeout) {

  public LoadSpec {
    if (keys < 1 || clientsPerKey < 1 || alertsPerKey < 1) {
      throw new IllegalArgumentException("keys, clients and alerts must be at least 1");
    }
    if (bytes < 64) {
      throw new IllegalArgumentException("alerts must be at least 64 bytes: " + bytes);
    }
    if (rate < 0) {
      throw new IllegalArgumentException(
          "rate must be 0 (as fast as possible) or positive: " + rate);
    }
  }

  public String key(int index) {
    return "alert/bench-" + index;
  }

  public long expectedDeliveries() {
    return (long) keys * clientsPerKey * alertsPerKey;
  }
}
