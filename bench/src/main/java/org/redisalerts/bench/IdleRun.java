package org.redisalerts.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Memory per connection: opens K identified connections that then stay idle, and reports how much
 * the relay's resident memory grew, per connection, both as it is and after a forced full GC
 * ({@code jcmd PID GC.run} for a JVM; SIGUSR2 for the original's runner). Both figures are growth
 * from the RSS before the connections, taken with no GC forced.
 */
public final class IdleRun {

  /** Time for the relay to finish what the connections started before memory is read. */
  private static final Duration SETTLE = Duration.ofSeconds(2);

  private final Target target;
  private final int connections;
  private final ClientOptions options;
  private final Duration timeout;

  public IdleRun(Target target, int connections, ClientOptions options, Duration timeout) {
    if (connections < 1) {
      throw new IllegalArgumentException("--idle needs at least 1 connection: " + connections);
    }
    if (target.pid().isEmpty()) {
      throw new IllegalArgumentException(
          "--idle needs the relay's process: --start or --relay-pid");
    }
    this.target = target;
    this.connections = connections;
    this.options = options;
    this.timeout = timeout;
  }

  /** The result as one JSON line and a few table lines. */
  public record Result(
      String target,
      int connections,
      int identified,
      long rssBeforeKb,
      long rssAfterKb,
      long rssAfterGcKb,
      boolean gcForced) {

    public double bytesPerConnection() {
      return (rssAfterKb - rssBeforeKb) * 1024.0 / connections;
    }

    /** Negative when no GC could be forced. */
    public double bytesPerConnectionAfterGc() {
      return gcForced ? (rssAfterGcKb - rssBeforeKb) * 1024.0 / connections : -1;
    }

    public String toJson() {
      return String.format(
          Locale.ROOT,
          "{\"case\":\"idle\",\"target\":\"%s\",\"connections\":%d,\"identified\":%d,"
              + "\"rssBeforeKb\":%d,\"rssAfterKb\":%d,\"rssAfterGcKb\":%d,\"gcForced\":%b,"
              + "\"bytesPerConnection\":%.0f,\"bytesPerConnectionAfterGc\":%.0f}",
          target,
          connections,
          identified,
          rssBeforeKb,
          rssAfterKb,
          rssAfterGcKb,
          gcForced,
          bytesPerConnection(),
          bytesPerConnectionAfterGc());
    }

    public String toTable() {
      return String.format(
          Locale.ROOT,
          "idle connections %,d identified (%s)%n"
              + "relay RSS       %,d kB -> %,d kB: %,.0f bytes each%n"
              + "after a GC      %,d kB: %,.0f bytes each%s%n",
          identified,
          target,
          rssBeforeKb,
          rssAfterKb,
          bytesPerConnection(),
          rssAfterGcKb,
          bytesPerConnectionAfterGc(),
          gcForced ? "" : " (no GC could be forced)");
    }
  }

  public Result run() throws IOException, InterruptedException {
    long pid = target.pid().getAsLong();
    List<String> keys = new ArrayList<>(connections);
    for (int i = 0; i < connections; i++) {
      keys.add("alert/idle-" + i);
    }
    long before = Processes.rssKb(pid);
    try (ClientFleet fleet = options.open(target, keys)) {
      if (!fleet.awaitIdentified(timeout)) {
        throw new IllegalStateException(
            String.format(
                "%,d of %,d idle connections identified within %s; first problem: %s",
                fleet.identified(), connections, timeout, fleet.firstProblem()));
      }
      TimeUnit.MILLISECONDS.sleep(SETTLE.toMillis());
      long after = Processes.rssKb(pid);
      boolean gc = target.forceGc();
      TimeUnit.MILLISECONDS.sleep(SETTLE.toMillis());
      long afterGc = Processes.rssKb(pid);
      return new Result(target.name(), connections, fleet.identified(), before, after, afterGc, gc);
    }
  }
}
