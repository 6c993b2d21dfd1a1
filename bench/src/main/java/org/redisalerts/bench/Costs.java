package org.redisalerts.bench;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a measured phase cost beyond the publishers' own work: the Redis commands the relay made
 * (every command Redis ran in the phase, less exactly those this tool sent), and CPU time of the
 * relay (when its process is known), Redis and this tool.
 *
 * @param seconds wall time from the first publish to the last delivery (for the percentages; the
 *     CPU times also hold the relay's trailing work after it, up to a second)
 * @param alerts alerts delivered (per key, not per connection)
 * @param relayCommands Redis commands not sent by this tool
 * @param relayCommandsByName the same, per command
 * @param relayCpuSeconds relay CPU time; negative when the relay's process is not known
 * @param redisCpuSeconds Redis CPU time (its own count, INFO cpu)
 * @param toolCpuSeconds this tool's CPU time
 * @param otherCpuSeconds CPU time the rest of the machine used over the same window (the machine's
 *     busy time less the relay's, Redis's and this tool's): work that competed with the measurement
 *     on a shared machine; negative when not known
 */
public record Costs(
    double seconds,
    long alerts,
    long relayCommands,
    Map<String, Long> relayCommandsByName,
    double relayCpuSeconds,
    double redisCpuSeconds,
    double toolCpuSeconds,
    double otherCpuSeconds) {

  public double commandsPerAlert() {
    return alerts == 0 ? 0 : (double) relayCommands / alerts;
  }

  /** Relay CPU seconds per 100,000 alerts delivered; negative when not known. */
  public double relayCpuPer100k() {
    return relayCpuSeconds < 0 || alerts == 0 ? -1 : relayCpuSeconds * 100_000 / alerts;
  }

  public double redisCpuPer100k() {
    return alerts == 0 ? 0 : redisCpuSeconds * 100_000 / alerts;
  }

  private double percent(double cpu) {
    return cpu < 0 ? -1 : 100 * cpu / Math.max(1e-9, seconds);
  }

  String toJson() {
    String byName =
        top().entrySet().stream()
            .map(e -> "\"" + e.getKey() + "\":" + e.getValue())
            .collect(Collectors.joining(",", "{", "}"));
    return String.format(
        Locale.ROOT,
        "{\"seconds\":%.3f,\"alerts\":%d,\"redisCommandsPerAlert\":%.3f,\"relayCommands\":%d,"
            + "\"relayCommandsByName\":%s,\"relayCpuSeconds\":%.2f,\"relayCpuPer100k\":%.3f,"
            + "\"relayCpuPercent\":%.1f,\"redisCpuSeconds\":%.2f,\"redisCpuPer100k\":%.3f,"
            + "\"redisCpuPercent\":%.1f,\"toolCpuSeconds\":%.2f,\"toolCpuPercent\":%.1f,"
            + "\"otherCpuSeconds\":%.2f}",
        seconds,
        alerts,
        commandsPerAlert(),
        relayCommands,
        byName,
        relayCpuSeconds,
        relayCpuPer100k(),
        percent(relayCpuSeconds),
        redisCpuSeconds,
        redisCpuPer100k(),
        percent(redisCpuSeconds),
        toolCpuSeconds,
        percent(toolCpuSeconds),
        otherCpuSeconds);
  }

  String toTable() {
    String relayCpu =
        relayCpuSeconds < 0
            ? "relay CPU unknown (no pid)"
            : String.format(
                Locale.ROOT,
                "relay CPU %.2f s (%.0f%%), %.3f s per 100k alerts",
                relayCpuSeconds,
                percent(relayCpuSeconds),
                relayCpuPer100k());
    return String.format(
        Locale.ROOT,
        "redis commands  %.2f per alert beyond the publishers' (%s)%n"
            + "cpu             %s; Redis %.2f s (%.0f%%); tool %.2f s (%.0f%%); others %.2f s%n",
        commandsPerAlert(),
        top().entrySet().stream()
            .map(e -> e.getKey() + " " + e.getValue())
            .collect(Collectors.joining(", ")),
        relayCpu,
        redisCpuSeconds,
        percent(redisCpuSeconds),
        toolCpuSeconds,
        percent(toolCpuSeconds),
        otherCpuSeconds);
  }

  /** The commands the relay made most, most first. */
  private Map<String, Long> top() {
    return relayCommandsByName.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
        .limit(10)
        .collect(
            Collectors.toMap(
                Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
  }
}
