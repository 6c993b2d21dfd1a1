package org.redisalerts.relay;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The relay's counters, gauges and the claim-to-write histogram, in one Prometheus registry. Meters
 * are created once here; the parts only increment them. Thread-safe.
 */
public final class RelayMetrics {

  /** Why a client was refused or closed by the relay; a closed set, so a safe label. */
  public enum Refusal {
    NOT_ALLOWED,
    RESERVED_KEY,
    MALFORMED,
    BINARY_FRAME,
    FRAME_TOO_BIG,
    IDENTIFY_DEADLINE,
    TOO_MANY_CONNECTIONS,
    TOO_SLOW;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter delivered;
  private final Counter claimed;
  private final Counter returned;
  private final Counter deadLettered;
  private final Counter redisReconnects;
  private final Timer claimToWrite;
  private final Map<Refusal, Counter> refusals = new EnumMap<>(Refusal.class);

  public RelayMetrics() {
    delivered =
        counter("relay.alerts.delivered", "Alerts written to at least one socket of their key");
    claimed = counter("relay.alerts.claimed", "Alerts moved from their list into a claim list");
    returned =
        counter("relay.alerts.returned", "Claimed alerts put back at the head of their list");
    deadLettered = counter("relay.alerts.dead.lettered", "Entries moved to the dead-letter list");
    redisReconnects =
        counter("relay.redis.reconnects", "Times Redis became reachable again after a loss");
    claimToWrite =
        Timer.builder("relay.claim.to.write")
            .description("Time from claiming a batch to its last byte reaching the sockets")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    for (Refusal r : Refusal.values()) {
      refusals.put(
          r,
          Counter.builder("relay.refusals")
              .description("Clients refused or closed by the relay, by reason")
              .tag("reason", r.label())
              .register(registry));
    }
  }

  /** Registers the gauges, read on each scrape. */
  void gauges(Supplier<Number> open, Supplier<Number> identified, Supplier<Number> keys) {
    gauge("relay.connections.open", open, "WebSocket connections open");
    gauge("relay.connections.identified", identified, "Connections that have identified");
    gauge("relay.keys", keys, "Distinct keys with at least one connection");
  }

  private Counter counter(String name, String description) {
    return Counter.builder(name).description(description).register(registry);
  }

  private void gauge(String name, Supplier<Number> value, String description) {
    Gauge.builder(name, value).description(description).register(registry);
  }

  void delivered(int n) {
    delivered.increment(n);
  }

  void claimed(int n) {
    claimed.increment(n);
  }

  void returned(long n) {
    returned.increment(n);
  }

  void deadLettered(int n) {
    deadLettered.increment(n);
  }

  void redisReconnected() {
    redisReconnects.increment();
  }

  void refused(Refusal reason) {
    refusals.get(reason).increment();
  }

  void claimToWrite(long nanos) {
    claimToWrite.record(nanos, TimeUnit.NANOSECONDS);
  }

  long deliveredCount() {
    return (long) delivered.count();
  }

  long deadLetteredCount() {
    return (long) deadLettered.count();
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }
}
