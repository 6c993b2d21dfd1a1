package org.redisalerts.bench;

import java.time.Duration;

/**
 * One load case.
 *
 * @param keys how many keys (recipients)
 * @param clientsPerKey connections per key (fan-out)
 * @param alertsPerKey alerts published per key
 * @param bytes size of each alert in bytes (padded)
 * @param rate alerts per second in total, paced; 0 publishes as fast as a pipeline goes
 * @param mode how publishers order and group their commands
 * @param publishers publisher connections (each its own thread), each taking a share of the keys
 * @param publisherWindow commands a publisher may have unanswered: large for a pipelined batch
 *     publisher, 2 for one that waits for each alert's two replies
 * @param timeout how long to wait for identifies, and for the last alert
 */
public record LoadSpec(
    int keys,
    int clientsPerKey,
    int alertsPerKey,
    int bytes,
    int rate,
    PublishMode mode,
    int publishers,
    int publisherWindow,
    Duration timeout) {

  /** The default publisher window: pipelined. */
  public static final int PIPELINED = 20_000;

  /** How alerts go onto Redis. */
  public enum PublishMode {
    /**
     * Round-robin over the keys, each alert its own {@code RPUSH key alert} then {@code RPUSH watch
     * key}, as many independent back-end processes publish.
     */
    INTERLEAVED,
    /**
     * Each key's alerts in groups of up to 100: one {@code RPUSH} of the group, then one {@code
     * RPUSH} of as many watch entries, as a batch job publishes. Paced runs never group.
     */
    GROUPED
  }

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
    if (publishers < 1) {
      throw new IllegalArgumentException("publishers must be at least 1: " + publishers);
    }
    if (mode == PublishMode.GROUPED && rate > 0) {
      throw new IllegalArgumentException("a paced run publishes one alert per command pair");
    }
    if (publisherWindow < 2) {
      throw new IllegalArgumentException(
          "a publisher window must be at least 2 (one alert's pair): " + publisherWindow);
    }
    publishers = Math.min(publishers, keys);
  }

  /** The shape most cases use: interleaved when there are several keys or a rate, else grouped. */
  public static LoadSpec of(int keys, int clientsPerKey, int alertsPerKey, int rate) {
    return new LoadSpec(
        keys,
        clientsPerKey,
        alertsPerKey,
        100,
        rate,
        defaultMode(keys, rate),
        4,
        PIPELINED,
        Duration.ofSeconds(120));
  }

  /** Interleaved for several keys or a paced run; grouped for one key, as before. */
  public static PublishMode defaultMode(int keys, int rate) {
    return keys > 1 || rate > 0 ? PublishMode.INTERLEAVED : PublishMode.GROUPED;
  }

  public LoadSpec withTimeout(Duration timeout) {
    return new LoadSpec(
        keys, clientsPerKey, alertsPerKey, bytes, rate, mode, publishers, publisherWindow, timeout);
  }

  public static String key(int index) {
    return "alert/bench-" + index;
  }

  public int connections() {
    return keys * clientsPerKey;
  }

  public long expectedDeliveries() {
    return (long) keys * clientsPerKey * alertsPerKey;
  }
}
