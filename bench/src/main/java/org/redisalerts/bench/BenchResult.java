package org.redisalerts.bench;

import java.util.Locale;

/**
 * What one load run measured. Times in milliseconds, rates per second.
 *
 * @param target what was measured: relay, original, external, ceiling
 * @param mode how alerts were published: interleaved, grouped (or sent, for the ceiling)
 * @param delivered deliveries, one per alert per connection
 * @param alerts distinct alerts delivered, per key (a fan-out delivers each to many connections)
 * @param costs Redis commands and CPU; null for the ceiling
 */
public record BenchResult(
    String name,
    String target,
    LoadSpec spec,
    String mode,
    long published,
    double publishPerSecond,
    long expected,
    long delivered,
    double deliveredPerSecond,
    long alerts,
    double alertsPerSecond,
    Latency latency,
    long missing,
    long duplicates,
    long outOfOrder,
    int closedEarly,
    Costs costs) {

  /** Latency percentiles, milliseconds. */
  public record Latency(double p50, double p90, double p99, double p999, double max) {}

  public double p99Ms() {
    return latency.p99();
  }

  /** One JSON object on one line, for scripts. */
  public String toJson() {
    return String.format(
        Locale.ROOT,
        "{\"case\":\"%s\",\"target\":\"%s\",\"keys\":%d,\"clientsPerKey\":%d,\"alertsPerKey\":%d,"
            + "\"bytes\":%d,\"rate\":%d,\"mode\":\"%s\",\"publishers\":%d,\"publisherWindow\":%d,"
            + "\"published\":%d,\"publishPerSecond\":%.0f,\"expected\":%d,\"delivered\":%d,"
            + "\"deliveredPerSecond\":%.0f,\"alerts\":%d,\"alertsPerSecond\":%.0f,"
            + "\"latencyMs\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},"
            + "\"missing\":%d,\"duplicates\":%d,\"outOfOrder\":%d,\"closedEarly\":%d%s}",
        name,
        target,
        spec.keys(),
        spec.clientsPerKey(),
        spec.alertsPerKey(),
        spec.bytes(),
        spec.rate(),
        mode,
        spec.publishers(),
        spec.publisherWindow(),
        published,
        publishPerSecond,
        expected,
        delivered,
        deliveredPerSecond,
        alerts,
        alertsPerSecond,
        latency.p50(),
        latency.p90(),
        latency.p99(),
        latency.p999(),
        latency.max(),
        missing,
        duplicates,
        outOfOrder,
        closedEarly,
        costs == null ? "" : ",\"cost\":" + costs.toJson());
  }

  /** A few aligned lines for people. */
  public String toTable() {
    String shape =
        spec.rate() > 0
            ? ", paced at " + spec.rate() + "/s, " + mode
            : ", "
                + mode
                + ", "
                + spec.publishers()
                + " publisher(s)"
                + (spec.publisherWindow() < LoadSpec.PIPELINED
                    ? " with " + spec.publisherWindow() + " commands in flight"
                    : "");
    return String.format(
            Locale.ROOT,
            "case            %s (%s)%n"
                + "shape           %d keys x %d clients x %d alerts of %d B%s%n"
                + "published       %,d at %,.0f/s%n"
                + "delivered       %,d of %,d at %,.0f/s (%,d alerts at %,.0f/s)%n"
                + "latency (ms)    p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f%n"
                + "missing %d  duplicates %d  out of order %d  closed early %d%n",
            name,
            target,
            spec.keys(),
            spec.clientsPerKey(),
            spec.alertsPerKey(),
            spec.bytes(),
            shape,
            published,
            publishPerSecond,
            delivered,
            expected,
            deliveredPerSecond,
            alerts,
            alertsPerSecond,
            latency.p50(),
            latency.p90(),
            latency.p99(),
            latency.p999(),
            latency.max(),
            missing,
            duplicates,
            outOfOrder,
            closedEarly)
        + (costs == null ? "" : costs.toTable());
  }

  public boolean complete() {
    return missing == 0 && outOfOrder == 0;
  }
}
