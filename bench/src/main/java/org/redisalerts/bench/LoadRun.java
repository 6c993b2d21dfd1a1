package org.redisalerts.bench;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.redisalerts.common.RedisEndpoint;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * Runs one load case against a relay: connects and identifies every client, publishes (pipelined,
 * or paced at a rate) the way publishers do, and waits for every delivery. An optional warm-up of
 * the same shape runs first on the same connections, unmeasured, and the measured run follows at
 * once: the relay and the tool are measured in their steady state, not while the JIT compiles what
 * a new phase or new connections bring.
 */
public final class LoadRun {

  /**
   * Publishes {@code alertsPerKey} alerts per key, numbered from 0; returns how many it published.
   */
  @FunctionalInterface
  public interface Source {
    long publish(int alertsPerKey);
  }

  private static final int PIPELINE = 1000;

  private final LoadSpec spec;
  private final String name;
  private final int warmup;

  /**
   * @param warmup alerts per key to publish first, unmeasured; 0 for none
   */
  public LoadRun(String name, LoadSpec spec, int warmup) {
    if (warmup < 0) {
      throw new IllegalArgumentException("warm-up must be 0 or more: " + warmup);
    }
    this.name = name;
    this.spec = spec;
    this.warmup = warmup;
  }

  public LoadRun(String name, LoadSpec spec) {
    this(name, spec, 0);
  }

  /** Publishes through Redis, as publishers do. */
  public BenchResult run(PrintWriter log) throws InterruptedException {
    try (Jedis redis = RedisEndpoint.parse(spec.redis()).newConnection(30_000, "bench")) {
      return run(alertsPerKey -> publish(redis, alertsPerKey), log);
    }
  }

  public BenchResult run() throws InterruptedException {
    return run(new PrintWriter(Writer.nullWriter()));
  }

  /** Runs with {@code source} publishing every alert. */
  public BenchResult run(Source source, PrintWriter log) throws InterruptedException {
    int clientCount = spec.keys() * spec.clientsPerKey();
    CountDownLatch identified = new CountDownLatch(clientCount);
    List<BenchClient> clients = new ArrayList<>(clientCount);
    try {
      for (int k = 0; k < spec.keys(); k++) {
        for (int c = 0; c < spec.clientsPerKey(); c++) {
          BenchClient client = new BenchClient(spec.relay(), spec.key(k), identified);
          clients.add(client);
          client.open();
        }
      }
      if (!identified.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("not every client was answered within 60 s");
      }
      if (warmup > 0) {
        BenchResult warmed = phase("warm-up", clients, source, warmup);
        log.printf(
            "warm-up: %,d of %,d deliveries at %,.0f/s%n",
            warmed.delivered(), warmed.expected(), warmed.deliveredPerSecond());
        log.flush();
        if (warmed.missing() > 0) {
          throw new IllegalStateException(
              "the warm-up did not complete: " + warmed.missing() + " missing");
        }
      }
      return phase(name, clients, source, spec.alertsPerKey());
    } finally {
      for (BenchClient client : clients) {
        client.close();
      }
    }
  }

  private BenchResult phase(
      String phaseName, List<BenchClient> clients, Source source, int alertsPerKey)
      throws InterruptedException {
    Recorder latency = new Recorder(3);
    CountDownLatch complete = new CountDownLatch(clients.size());
    for (BenchClient client : clients) {
      client.startPhase(alertsPerKey, latency, complete);
    }
    long expected = (long) clients.size() * alertsPerKey;
    long start = System.nanoTime();
    long published = source.publish(alertsPerKey);
    long publishedAt = System.nanoTime();
    complete.await(spec.timeout().toMillis(), TimeUnit.MILLISECONDS);
    long last = start;
    long delivered = 0;
    long distinct = 0;
    long duplicates = 0;
    long outOfOrder = 0;
    for (BenchClient client : clients) {
      last = Math.max(last, client.lastReceipt());
      delivered += client.received();
      distinct += client.distinct();
      duplicates += client.duplicates();
      outOfOrder += client.outOfOrder();
    }
    Histogram h = latency.getIntervalHistogram();
    double seconds = Math.max(1e-9, (last - start) / 1e9);
    return new BenchResult(
        phaseName,
        spec.keys(),
        spec.clientsPerKey(),
        alertsPerKey,
        spec.bytes(),
        spec.rate(),
        published,
        published / Math.max(1e-9, (publishedAt - start) / 1e9),
        expected,
        delivered,
        delivered / seconds,
        ms(h.getValueAtPercentile(50)),
        ms(h.getValueAtPercentile(90)),
        ms(h.getValueAtPercentile(99)),
        ms(h.getMaxValue()),
        expected - distinct,
        duplicates,
        outOfOrder);
  }

  /**
   * Publishes every alert, round-robin over the keys. Pipelined, each key's alerts go in groups:
   * one RPUSH of the group onto the key's list, then one RPUSH of as many watch entries, the order
   * a publisher keeps. Paced, each alert goes as its own two commands.
   */
  private long publish(Jedis redis, int alertsPerKey) {
    String padding = BenchClient.padding(spec.bytes());
    int group = spec.rate() > 0 ? 1 : Math.min(100, alertsPerKey);
    long start = System.nanoTime();
    long sent = 0;
    long unsynced = 0;
    Pipeline pipeline = redis.pipelined();
    for (int first = 0; first < alertsPerKey; first += group) {
      int last = Math.min(alertsPerKey, first + group);
      for (int k = 0; k < spec.keys(); k++) {
        if (spec.rate() > 0) {
          long wait = start + (long) (sent * 1e9 / spec.rate()) - System.nanoTime();
          if (wait > 0) {
            pipeline.sync();
            LockSupport.parkNanos(wait);
          }
        }
        String key = spec.key(k);
        String[] alerts = new String[last - first];
        String[] watch = new String[last - first];
        for (int seq = first; seq < last; seq++) {
          alerts[seq - first] = BenchClient.alert(seq, padding);
          watch[seq - first] = key;
        }
        pipeline.rpush(key, alerts);
        pipeline.rpush(spec.watch(), watch);
        sent += alerts.length;
        unsynced += alerts.length;
        if (unsynced >= PIPELINE) {
          pipeline.sync();
          unsynced = 0;
        }
      }
    }
    pipeline.sync();
    return sent;
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
