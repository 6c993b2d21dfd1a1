package org.redisalerts.bench;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Local addresses to connect from. One source address and one relay address leave about 28,000
 * ephemeral ports, so past {@link #PER_ADDRESS} connections they are spread over 127.0.0.2,
 * 127.0.0.3, ... (all loopback on Linux), each bound before connecting.
 */
public final class SourceAddresses {

  /** Connections per source address, well inside the ephemeral range. */
  public static final int PER_ADDRESS = 12_000;

  private final int count;

  /**
   * @param count addresses to spread over; 0 picks enough for the connections, and none (the
   *     kernel's choice) when one suffices
   */
  private SourceAddresses(int count) {
    this.count = count;
  }

  public static SourceAddresses forConnections(int connections, int requested) {
    if (requested < 0 || requested > 250) {
      throw new IllegalArgumentException("source addresses must be 0 to 250: " + requested);
    }
    if (requested > 0) {
      return new SourceAddresses(requested);
    }
    int needed = (connections + PER_ADDRESS - 1) / PER_ADDRESS;
    return new SourceAddresses(needed <= 1 ? 0 : needed);
  }

  /** The address connection {@code index} binds to; null for the kernel's choice. */
  public InetAddress forConnection(int index) {
    if (count == 0) {
      return null;
    }
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (2 + index % count)});
    } catch (UnknownHostException e) {
      throw new IllegalStateException("a literal address cannot be unknown", e);
    }
  }

  public int count() {
    return count;
  }
}
