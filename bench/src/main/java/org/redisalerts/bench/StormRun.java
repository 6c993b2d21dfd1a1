package org.redisalerts.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * A connection storm: N clients connect and identify all at once (every connect is started as fast
 * as the tool can open sockets, none waits for another), as after a relay restart or a network
 * blip. Reports the time from the first connect to the last identify reply, each connection's own
 * connect-to-reply time, and what failed; then holds the connections for a moment to count those
 * the relay closes early.
 */
public final class StormRun {

  private final Target target;
  private final int clients;
  private final ClientOptions options;
  private final Duration timeout;
  private final Duration hold;

  public StormRun(
      Target target, int clients, ClientOptions options, Duration timeout, Duration hold) {
    if (clients < 1) {
      throw new IllegalArgumentException("a storm needs at least 1 client: " + clients);
    }
    this.target = target;
    this.clients = clients;
    this.options = options.noRetries();
    this.timeout = timeout;
    this.hold = hold;
  }

  /**
   * What a storm did.
   *
   * @param allIdentifiedMs first connect to last identify reply; the time to the timeout when not
   *     all identified
   */
  public record Result(
      String target,
      int clients,
      int sourceAddresses,
      int identified,
      boolean allIdentified,
      double allIdentifiedMs,
      double identifyP50Ms,
      double identifyP99Ms,
      double identifyMaxMs,
      int failedHandshakes,
      int refused,
      int closedEarly,
      double connectsQueuedMs,
      long listenOverflows,
      double relayCpuSeconds,
      double toolCpuSeconds,
      double machineBusySeconds) {

    public String toJson() {
      return String.format(
          Locale.ROOT,
          "{\"case\":\"storm\",\"target\":\"%s\",\"clients\":%d,\"sourceAddresses\":%d,"
              + "\"identified\":%d,\"allIdentified\":%b,\"allIdentifiedMs\":%.1f,"
              + "\"identifyMs\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
              + "\"failedHandshakes\":%d,\"refused\":%d,\"closedEarly\":%d,"
              + "\"connectsQueuedMs\":%.1f,\"listenOverflows\":%d,"
              + "\"relayCpuSeconds\":%.2f,\"toolCpuSeconds\":%.2f,\"machineBusySeconds\":%.2f}",
          target,
          clients,
          sourceAddresses,
          identified,
          allIdentified,
          allIdentifiedMs,
          identifyP50Ms,
          identifyP99Ms,
          identifyMaxMs,
          failedHandshakes,
          refused,
          closedEarly,
          connectsQueuedMs,
          listenOverflows,
          relayCpuSeconds,
          toolCpuSeconds,
          machineBusySeconds);
    }

    public String toTable() {
      return String.format(
          Locale.ROOT,
          "storm           %,d clients at once (%s)%n"
              + "identified      %,d%s in %,.0f ms from the first connect%n"
              + "per connection  connect to identify reply: p50 %.1f  p99 %.1f  max %.1f ms%n"
              + "failed handshakes %d  refused %d  closed early %d%n"
              + "connects        all started within %,.0f ms; listen queue overflows %,d%n"
              + "cpu             relay %.2f s, tool %.2f s, whole machine %.2f s (2 cores), until"
              + " all identified or the timeout%n",
          clients,
          target,
          identified,
          allIdentified ? " (all)" : " (NOT all)",
          allIdentifiedMs,
          identifyP50Ms,
          identifyP99Ms,
          identifyMaxMs,
          failedHandshakes,
          refused,
          closedEarly,
          connectsQueuedMs,
          listenOverflows,
          relayCpuSeconds,
          toolCpuSeconds,
          machineBusySeconds);
    }
  }

  private double relayCpu() throws IOException {
    return target.pids().isEmpty() ? -1 : Processes.cpuSeconds(target.pids());
  }

  public Result run() throws IOException, InterruptedException {
    List<String> keys = new ArrayList<>(clients);
    for (int i = 0; i < clients; i++) {
      keys.add("alert/storm-" + i);
    }
    // Tokens are minted before the clock starts: the storm measures the relay, not the minting.
    ClientOptions prepared = options.withIdentify(options.identify().forKeys(keys));
    long overflowsBefore = Processes.listenOverflows();
    double relayCpuBefore = relayCpu();
    double toolCpuBefore = Processes.ownCpuSeconds();
    double machineBefore = Processes.machineBusySeconds();
    try (ClientFleet fleet = prepared.open(target, keys)) {
      boolean all = fleet.awaitIdentified(timeout);
      long overflows = Processes.listenOverflows() - overflowsBefore;
      double relayCpuUsed = relayCpuBefore < 0 ? -1 : relayCpu() - relayCpuBefore;
      double toolCpuUsed = Processes.ownCpuSeconds() - toolCpuBefore;
      double machineUsed = Processes.machineBusySeconds() - machineBefore;
      long last = fleet.started();
      Histogram each = new Histogram(3);
      for (BenchClient c : fleet.clients()) {
        long at = c.identifiedAt();
        if (at != 0) {
          last = Math.max(last, at);
          each.recordValue(Math.max(0, at - c.connection.connectStarted()));
        }
      }
      double allMs = (all ? last - fleet.started() : timeout.toNanos()) / 1e6;
      // Hold the connections, to count those the relay drops soon after (a deadline, a limit).
      TimeUnit.MILLISECONDS.sleep(hold.toMillis());
      return new Result(
          target.name(),
          clients,
          SourceAddresses.forConnections(clients, options.sourceAddresses()).count(),
          fleet.identified(),
          all,
          allMs,
          each.getValueAtPercentile(50) / 1e6,
          each.getValueAtPercentile(99) / 1e6,
          each.getMaxValue() / 1e6,
          fleet.failedHandshakes(),
          fleet.refused(),
          fleet.closedEarly(),
          (fleet.connectsQueued() - fleet.started()) / 1e6,
          overflowsBefore < 0 ? -1 : overflows,
          relayCpuUsed,
          toolCpuUsed,
          machineUsed);
    }
  }
}
