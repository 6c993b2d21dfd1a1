package org.redisalerts.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;

/**
 * The tool's own ceiling: the same clients, the same shape, against {@link CeilingServer}, which
 * writes every alert from one pre-encoded buffer in big writes (no Redis, no relay). What this
 * delivers per second is what the receiving side can take; a relay result close to it is limited by
 * the tool, not the relay. Latency here only shows queueing in the clients.
 */
public final class CeilingRun {

  private final String name;
  private final LoadSpec spec;
  private final ClientOptions clients;
  private final int warmup;

  public CeilingRun(String name, LoadSpec spec, ClientOptions clients, int warmup) {
    this.name = name;
    this.spec = spec;
    this.clients = clients;
    this.warmup = warmup;
  }

  /** The ceiling's sender alone, as a target (for a storm against it). */
  public static Target sender(int bytes) throws IOException {
    return new CeilingServer(bytes);
  }

  public BenchResult run() throws IOException, InterruptedException {
    return run(new PrintWriter(Writer.nullWriter()));
  }

  public BenchResult run(PrintWriter log) throws IOException, InterruptedException {
    try (CeilingServer sender = new CeilingServer(spec.bytes())) {
      return new LoadRun(name, sender, spec, clients, warmup)
          .run(alertsPerKey -> sender.blast(alertsPerKey, spec.keys()), log);
    }
  }
}
