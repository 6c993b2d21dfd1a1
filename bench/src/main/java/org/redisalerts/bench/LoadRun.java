package org.redisalerts.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Runs one load case against a target: connects and identifies every client (all at once), then
 * publishes each phase the way publishers do and waits for every delivery. An optional warm-up of
 * the same shape runs first on the same connections, unmeasured, and the measured run follows at
 * once: the relay and the tool are measured in their steady state, not while the JIT compiles what
 * a new phase or new connections bring. The measured phase also reports its {@link Costs}.
 */
public final class LoadRun {

  /**
   * Sends {@code alertsPerKey} alerts per key, numbered from 0; returns how many it sent. The
   * ceiling's stand-in for publishers.
   */
  @FunctionalInterface
  public interface Source {
    long publish(int alertsPerKey) throws IOException, InterruptedException;
  }

  private final String name;
  private final Target target;
  private final LoadSpec spec;
  private final ClientOptions clients;
  private final int warmup;

  /**
   * @param warmup alerts per key to publish first, unmeasured; 0 for none
   */
  public LoadRun(String name, Target target, LoadSpec spec, ClientOptions clients, int warmup) {
    if (warmup < 0) {
      throw new IllegalArgumentException("warm-up must be 0 or more: " + warmup);
    }
    this.name = name;
    this.target = target;
    this.spec = spec;
    this.clients = clients;
    this.warmup = warmup;
  }

  public BenchResult run() throws IOException, InterruptedException {
    return run(new PrintWriter(Writer.nullWriter()));
  }

  /** Publishes through Redis, as publishers do, and measures what that costs. */
  public BenchResult run(PrintWriter log) throws IOException, InterruptedException {
    try (ClientFleet fleet = clients.open(target, spec);
        Publishers publishers = new Publishers(spec, target.redis(), target.watch());
        CostMeter meter = new CostMeter(target.redis(), target.pids())) {
      awaitIdentified(fleet, log);
      if (warmup > 0) {
        warmUp(fleet, publishers::publish, log);
      }
      CostMeter.Start start = meter.start();
      long commandsBefore = publishers.commandsSent();
      BenchResult result =
          phase(
              name,
              spec.mode().name().toLowerCase(java.util.Locale.ROOT),
              fleet,
              publishers::publish,
              spec.alertsPerKey());
      Costs costs =
          meter.finish(
              start,
              publishers.commandsSent() - commandsBefore,
              result.alerts(),
              result.alerts() == 0
                  ? 0
                  : result.alerts() / Math.max(1e-9, result.alertsPerSecond()));
      return withCosts(result, costs);
    }
  }

  /** Runs with {@code source} sending every alert (the ceiling); no costs. */
  public BenchResult run(Source source, PrintWriter log) throws IOException, InterruptedException {
    try (ClientFleet fleet = clients.open(target, spec)) {
      awaitIdentified(fleet, log);
      if (warmup > 0) {
        warmUp(fleet, source, log);
      }
      return phase(name, "sent", fleet, source, spec.alertsPerKey());
    }
  }

  private void awaitIdentified(ClientFleet fleet, PrintWriter log) throws InterruptedException {
    if (!fleet.awaitIdentified(spec.timeout())) {
      throw new IllegalStateException(
          String.format(
              "%,d of %,d clients identified within %s (%,d failed handshakes, %,d refused, "
                  + "%,d closed early); first problem: %s",
              fleet.identified(),
              fleet.size(),
              spec.timeout(),
              fleet.failedHandshakes(),
              fleet.refused(),
              fleet.closedEarly(),
              fleet.firstProblem()));
    }
    log.printf(
        "connected: %,d clients identified in %,.0f ms (%,d connects retried)%n",
        fleet.size(), (lastIdentified(fleet) - fleet.started()) / 1e6, fleet.retried());
    log.flush();
  }

  private static long lastIdentified(ClientFleet fleet) {
    long last = fleet.started();
    for (BenchClient c : fleet.clients()) {
      last = Math.max(last, c.identifiedAt());
    }
    return last;
  }

  private void warmUp(ClientFleet fleet, Source source, PrintWriter log)
      throws IOException, InterruptedException {
    BenchResult warmed = phase("warm-up", "warm-up", fleet, source, warmup);
    log.printf(
        "warm-up: %,d of %,d deliveries at %,.0f/s%n",
        warmed.delivered(), warmed.expected(), warmed.deliveredPerSecond());
    log.flush();
    if (warmed.missing() > 0) {
      throw new IllegalStateException(
          "the warm-up did not complete: " + warmed.missing() + " missing");
    }
  }

  private BenchResult phase(
      String phaseName, String mode, ClientFleet fleet, Source source, int alertsPerKey)
      throws IOException, InterruptedException {
    AlertPhase phase = fleet.startPhase(alertsPerKey);
    int closedBefore = fleet.closedEarly();
    long expected = (long) fleet.size() * alertsPerKey;
    long start = System.nanoTime();
    long published = source.publish(alertsPerKey);
    long publishedAt = System.nanoTime();
    long left = spec.timeout().toNanos() - (publishedAt - start);
    phase.complete().await(Math.max(0, left), TimeUnit.NANOSECONDS);
    long last = start;
    long delivered = 0;
    long distinct = 0;
    long duplicates = 0;
    long outOfOrder = 0;
    int[] alertsByKey = new int[spec.keys()];
    for (BenchClient client : fleet.clients()) {
      BenchClient.Tally t = client.tally();
      last = Math.max(last, t.lastReceipt);
      delivered += t.received;
      distinct += t.distinct;
      duplicates += t.duplicates;
      outOfOrder += t.outOfOrder;
      alertsByKey[client.keyIndex] = Math.max(alertsByKey[client.keyIndex], t.distinct);
    }
    long alerts = 0;
    for (int a : alertsByKey) {
      alerts += a;
    }
    Histogram h = phase.latency();
    double seconds = Math.max(1e-9, (last - start) / 1e9);
    return new BenchResult(
        phaseName,
        target.name(),
        spec,
        mode,
        published,
        published / Math.max(1e-9, (publishedAt - start) / 1e9),
        expected,
        delivered,
        delivered / seconds,
        alerts,
        alerts / seconds,
        new BenchResult.Latency(
            ms(h.getValueAtPercentile(50)),
            ms(h.getValueAtPercentile(90)),
            ms(h.getValueAtPercentile(99)),
            ms(h.getValueAtPercentile(99.9)),
            ms(h.getMaxValue())),
        expected - distinct,
        duplicates,
        outOfOrder,
        fleet.closedEarly() - closedBefore,
        null);
  }

  private static BenchResult withCosts(BenchResult r, Costs costs) {
    return new BenchResult(
        r.name(),
        r.target(),
        r.spec(),
        r.mode(),
        r.published(),
        r.publishPerSecond(),
        r.expected(),
        r.delivered(),
        r.deliveredPerSecond(),
        r.alerts(),
        r.alertsPerSecond(),
        r.latency(),
        r.missing(),
        r.duplicates(),
        r.outOfOrder(),
        r.closedEarly(),
        costs);
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
