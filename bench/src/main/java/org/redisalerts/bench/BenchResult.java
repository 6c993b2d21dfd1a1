package org.redisalerts.bench;

import java.util.Locale;

/** What one load run measured. Times in milliseconds, rates per second. */
public record BenchResult(
    String name,
    int keys,
    int clientsPerKey,
    int alertsPerKey,
    int bytes,
    int rate,
    long published,
    double publishPerSecond,
    long expected,
    long delivered,
    double deliveredPerSecond,
    double p50Ms,
    double p90Ms,
    double p99Ms,
    double maxMs,
    long missing,
    long duplicates,
    long outOfOrder) {

  /** One JSON object on one line, for scripts. */
  public String toJson() {
    return String.format(
        Locale.ROOT,
        "{\"case\":\"%s\",\"keys\":%d,\"clientsPerKey\":%d,\"alertsPerKey\":%d,\"bytes\":%d,\"rate\":%d,"
            + "\"published\":%d,\"publishPerSecond\":%.0f,\"expected\":%d,\"delivered\":%d,"
            + "\"deliveredPerSecond\":%.0f,\"latencyMs\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
            + "\"missing\":%d,\"duplicates\":%d,\"outOfOrder\":%d}",
        name,
        keys,
        clientsPerKey,
        alertsPerKey,
        bytes,
        rate,
        published,
        publishPerSecond,
        expected,
        delivered,
        deliveredPerSecond,
        p50Ms,
        p90Ms,
        p99Ms,
        maxMs,
        missing,
        duplicates,
        outOfOrder);
  }

  /** A few aligned lines for people. */
  public String toTable() {
    return String.format(
        Locale.ROOT,
        "case            %s%n"
            + "shape           %d keys x %d clients x %d alerts of %d B%s%n"
            + "published       %,d at %,.0f/s%n"
            + "delivered       %,d of %,d at %,.0f/s%n"
            + "latency (ms)    p50 %.3f  p90 %.3f  p99 %.3f  max %.3f%n"
            + "missing %d  duplicates %d  out of order %d%n",
        name,
        keys,
        clientsPerKey,
        alertsPerKey,
        bytes,
        rate > 0 ? ", paced at " + rate + "/s" : ", pipelined",
        published,
        publishPerSecond,
        delivered,
        expected,
        deliveredPerSecond,
        p50Ms,
        p90Ms,
        p99Ms,
        maxMs,
        missing,
        duplicates,
        outOfOrder);
  }
}
