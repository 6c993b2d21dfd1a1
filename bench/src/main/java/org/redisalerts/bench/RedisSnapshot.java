package org.redisalerts.bench;

import java.util.HashMap;
import java.util.Map;
import redis.clients.jedis.Jedis;

/**
 * Redis's counters at one moment: calls per command ({@code INFO commandstats}, which counts the
 * commands scripts run as well) and its CPU time ({@code INFO cpu}). Taking one sends {@link
 * #COMMANDS} commands, which the next snapshot counts.
 */
record RedisSnapshot(Map<String, Long> calls, double cpuSeconds) {

  /** Commands a snapshot sends: INFO commandstats, INFO cpu. */
  static final int COMMANDS = 2;

  static RedisSnapshot take(Jedis redis) {
    Map<String, Long> calls = new HashMap<>();
    for (String line : redis.info("commandstats").split("\r?\n")) {
      if (line.startsWith("cmdstat_")) {
        int colon = line.indexOf(':');
        int at = line.indexOf("calls=", colon);
        int end = line.indexOf(',', at);
        calls.put(
            line.substring("cmdstat_".length(), colon),
            Long.parseLong(line.substring(at + "calls=".length(), end < 0 ? line.length() : end)));
      }
    }
    double cpu = 0;
    for (String line : redis.info("cpu").split("\r?\n")) {
      if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
        cpu += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    return new RedisSnapshot(Map.copyOf(calls), cpu);
  }

  long total() {
    return calls.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Calls per command since {@code before}, commands with none left out. */
  Map<String, Long> since(RedisSnapshot before) {
    Map<String, Long> delta = new HashMap<>();
    calls.forEach(
        (name, n) -> {
          long d = n - before.calls.getOrDefault(name, 0L);
          if (d != 0) {
            delta.put(name, d);
          }
        });
    return delta;
  }
}
