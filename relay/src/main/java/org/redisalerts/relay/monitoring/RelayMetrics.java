package org.redisalerts.relay.monitoring;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The relay's counters, gauges and the claim-to-write histogram, in one Prometheus registry. Meters
 * are created once here; the parts only increment them. Thread-safe.
 */
public final class RelayMetrics {

  /** Why the relay refused or closed a client; a closed set, so a safe label. */
  public enum Refusal {
    NOT_ALLOWED,
    RESERVED_KEY,
    MALFORMED,
    BINARY_FRAME,
    FRAME_TOO_BIG,
    IDENTIFY_DEADLINE,
    TOO_MANY_CONNECTIONS,
    TOO_MANY_FROM_ADDRESS,
    TOO_MANY_MESSAGES,
    TOO_SLOW,
    NO_PONG,
    HANDSHAKE_TIMEOUT,
    BAD_HANDSHAKE,
    HANDSHAKE_TOO_LARGE,
    ORIGIN,
    TOKEN_REQUIRED,
    TOKEN_INVALID,
    TOKEN_EXPIRED,
    TOKEN_NOT_COVERING,
    TOKEN_REVOKED,
    BAD_ACK,
    ACK_TIMEOUT;

    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Counter delivered;
  private final Counter claimed;
  private final Counter returned;
  private final Counter deadLettered;
  private final Counter redisReconnects;
  private final Counter accepted;
  private final Counter wrongTypeSteps;
  private final Counter headChanged;
  private final Counter acks;
  private final Counter forwarded;
  private final Counter leasesLost;
  private final Counter takenOver;
  private final Counter fenced;
  private final Counter unacknowledged;
  private final Counter stepsBehind;
  private final Counter readBehind;
  private final Counter readWithPop;
  private final Counter readWithPopDropped;
  private final Timer claimToWrite;
  private final Map<Refusal, Counter> refusals = new EnumMap<>(Refusal.class);

  public RelayMetrics() {
    delivered =
        counter("relay.alerts.delivered", "Alerts written to at least one socket of their key");
    claimed = counter("relay.alerts.claimed", "Alerts read from their list to be written");
    returned =
        counter(
            "relay.alerts.returned",
            "Alerts read but not written (their connections closed first); they stay at the head"
                + " of their list for the next connection");
    deadLettered = counter("relay.alerts.dead.lettered", "Entries moved to the dead-letter list");
    stepsBehind =
        counter(
            "relay.steps.behind.pop",
            "Steps of keys that wrote their last batch, sent with the watcher's pop (they trim it and"
                + " read on once an entry comes)");
    readBehind =
        counter(
            "relay.alerts.read.behind.pop",
            "Alerts read by steps sent with the watcher's pop (each without a wait of its own)");
    readWithPop =
        counter(
            "relay.alerts.read.with.pop",
            "Alerts of the keys the watch entries named, read by the script sent with the watcher's"
                + " pop (each without a step of its own)");
    readWithPopDropped =
        counter(
            "relay.alerts.read.with.pop.dropped",
            "Alerts so read and left in their list, because their key was stepped meanwhile (read"
                + " again by its step)");
    redisReconnects =
        counter("relay.redis.reconnects", "Times Redis became reachable again after a loss");
    accepted = counter("relay.connections.accepted", "TCP connections accepted");
    wrongTypeSteps =
        counter(
            "relay.keys.wrong.type",
            "Delivery steps refused because a connected key holds another Redis type");
    headChanged =
        counter(
            "relay.lists.head.changed",
            "Delivery steps that found a list's head changed by someone else (trimmed, expired,"
                + " deleted) while its alerts were being written; those may be delivered again");
    acks = counter("relay.acks.received", "Acknowledgements received from clients (SPEC 9)");
    forwarded =
        counter(
            "relay.batches.forwarded",
            "Batches of keys this relay holds forwarded to other relays with connections of them");
    leasesLost =
        counter(
            "relay.leases.lost",
            "Leases this relay held and found held by another relay, or run out (SPEC 10)");
    takenOver =
        counter(
            "relay.alerts.taken.over",
            "Alerts read right after taking a key over from a relay that was gone: it may have"
                + " delivered them already, so they may be duplicates");
    fenced =
        counter(
            "relay.steps.fenced",
            "Delivery steps refused by Redis because this relay no longer held the key's lease;"
                + " what it held is read again by the holder");
    unacknowledged =
        counter(
            "relay.alerts.unacknowledged",
            "Alerts written to an acknowledging connection that closed (or identified again)"
                + " before acknowledging them; they stay queued unless another connection of the"
                + " key delivered them");
    claimToWrite =
        Timer.builder("relay.claim.to.write")
            .description("Time from reading a batch to its last byte reaching the sockets")
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

  /** Registers a gauge, read on each scrape. */
  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).register(registry);
  }

  private Counter counter(String name, String description) {
    return Counter.builder(name).description(description).register(registry);
  }

  public void forwarded() {
    forwarded.increment();
  }

  public void leaseLost() {
    leasesLost.increment();
  }

  public void takenOver(int alerts) {
    takenOver.increment(alerts);
  }

  public void fenced() {
    fenced.increment();
  }

  public void ackReceived() {
    acks.increment();
  }

  public void unacknowledged(int n) {
    unacknowledged.increment(n);
  }

  public void stepBehind(int n) {
    stepsBehind.increment(n);
  }

  public void readWithPop(int kept, int dropped) {
    readWithPop.increment(kept);
    readWithPopDropped.increment(dropped);
  }

  public void readBehind(int n) {
    readBehind.increment(n);
  }

  public void delivered(int n) {
    delivered.increment(n);
  }

  public void claimed(int n) {
    claimed.increment(n);
  }

  public void returned(long n) {
    returned.increment(n);
  }

  public void deadLettered(int n) {
    deadLettered.increment(n);
  }

  public void redisReconnected() {
    redisReconnects.increment();
  }

  public void accepted() {
    accepted.increment();
  }

  public void wrongType() {
    wrongTypeSteps.increment();
  }

  public void headChanged() {
    headChanged.increment();
  }

  public void refused(Refusal reason) {
    refusals.get(reason).increment();
  }

  public void claimToWrite(long nanos) {
    claimToWrite.record(nanos, TimeUnit.NANOSECONDS);
  }

  public long deliveredCount() {
    return (long) delivered.count();
  }

  public long deadLetteredCount() {
    return (long) deadLettered.count();
  }

  public long refusedCount(Refusal reason) {
    return (long) refusals.get(reason).count();
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }
}
