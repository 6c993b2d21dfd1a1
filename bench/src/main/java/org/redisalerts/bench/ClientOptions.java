package org.redisalerts.bench;

import java.io.IOException;
import java.util.List;

/**
 * How the tool's clients connect: selector threads, local source addresses (0: as many as the
 * connections need), the identify message, connects started per second (0: no pacing), and connects
 * in flight at most (0: any number, every connect at once).
 */
public record ClientOptions(
    int threads,
    int sourceAddresses,
    Identify identify,
    int connectRate,
    int maxConnecting,
    int retries) {

  /**
   * Connects in flight when a load case or an idle run opens its clients: enough to open thousands
   * a second, few enough not to overflow a relay's accept backlog (a load case measures alerts, not
   * a storm).
   */
  public static final int GENTLE = 200;

  public ClientOptions {
    if (threads < 1 || threads > 64) {
      throw new IllegalArgumentException("client threads must be 1 to 64: " + threads);
    }
    if (connectRate < 0) {
      throw new IllegalArgumentException(
          "connect rate must be 0 (no pacing) or more: " + connectRate);
    }
    if (retries < 0) {
      throw new IllegalArgumentException("retries must be 0 or more: " + retries);
    }
    if (maxConnecting < 0) {
      throw new IllegalArgumentException(
          "connects in flight must be 0 (any number) or more: " + maxConnecting);
    }
  }

  public static ClientOptions defaults() {
    return new ClientOptions(2, 0, Identify.PLAIN, 0, GENTLE, RETRIES);
  }

  /** Connects made again for a load case's client whose connect or upgrade failed. */
  public static final int RETRIES = 3;

  /** The same, for a storm: every failure counted, none retried. */
  public ClientOptions noRetries() {
    return new ClientOptions(threads, sourceAddresses, identify, connectRate, maxConnecting, 0);
  }

  /** The same, identifying with {@code other}. */
  public ClientOptions withIdentify(Identify other) {
    return new ClientOptions(threads, sourceAddresses, other, connectRate, maxConnecting, retries);
  }

  /** Opens the clients of a load case. */
  ClientFleet open(Target target, LoadSpec spec) throws IOException, InterruptedException {
    return ClientFleet.forLoad(
        target,
        spec,
        threads,
        SourceAddresses.forConnections(spec.connections(), sourceAddresses),
        identify,
        connectRate,
        maxConnecting,
        retries);
  }

  /** Opens {@code keys.size()} clients, one per key. */
  ClientFleet open(Target target, List<String> keys) throws IOException, InterruptedException {
    int[] indexes = new int[keys.size()];
    return new ClientFleet(
        target.relays(),
        target.clientTls(),
        keys,
        indexes,
        threads,
        SourceAddresses.forConnections(keys.size(), sourceAddresses),
        identify,
        connectRate,
        maxConnecting,
        retries);
  }
}
