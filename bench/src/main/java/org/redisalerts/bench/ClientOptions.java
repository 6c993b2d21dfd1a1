package org.redisalerts.bench;

import java.io.IOException;
import java.util.List;

/**
 * How the tool's clients connect: selector threads, local source addresses (0: as many as the
 * connections need), and the identify message.
 */
public record ClientOptions(int threads, int sourceAddresses, Identify identify) {

  public ClientOptions {
    if (threads < 1 || threads > 64) {
      throw new IllegalArgumentException("client threads must be 1 to 64: " + threads);
    }
  }

  public static ClientOptions defaults() {
    return new ClientOptions(2, 0, Identify.PLAIN);
  }

  /** Opens the clients of a load case. */
  ClientFleet open(Target target, LoadSpec spec) throws IOException {
    return ClientFleet.forLoad(
        target,
        spec,
        threads,
        SourceAddresses.forConnections(spec.connections(), sourceAddresses),
        identify);
  }

  /** Opens {@code keys.size()} clients, one per key. */
  ClientFleet open(Target target, List<String> keys) throws IOException {
    int[] indexes = new int[keys.size()];
    return new ClientFleet(
        target.relays(),
        keys,
        indexes,
        threads,
        SourceAddresses.forConnections(keys.size(), sourceAddresses),
        identify);
  }
}
