package org.redisalerts.relay.clients;

import java.util.List;
import org.redisalerts.common.AlertKeys;
import org.redisalerts.common.KeyGlob;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.relay.monitoring.RelayMetrics;

/**
 * Which keys a client may identify with: those the allow-list matches, except the relay's own keys
 * (watch list, dead letters, claim lists), whatever the allow-list says.
 */
public final class AccessPolicy {

  private final RelayKeys relayKeys;
  private final List<KeyGlob> allowed;

  public AccessPolicy(RelayKeys relayKeys, List<KeyGlob> allowed) {
    this.relayKeys = relayKeys;
    this.allowed = List.copyOf(allowed);
  }

  /** Why a key was refused: the metric's reason and the message for the client. */
  public record Denial(RelayMetrics.Refusal reason, String message) {}

  /**
   * @return null when {@code key} may be identified with, otherwise why not
   */
  public Denial refusal(String key) {
    try {
      AlertKeys.validate(key);
    } catch (IllegalArgumentException e) {
      return new Denial(RelayMetrics.Refusal.MALFORMED, e.getMessage());
    }
    if (relayKeys.isReserved(key)) {
      return new Denial(RelayMetrics.Refusal.RESERVED_KEY, "key is reserved for the relay");
    }
    for (KeyGlob glob : allowed) {
      if (glob.matches(key)) {
        return null;
      }
    }
    return new Denial(RelayMetrics.Refusal.NOT_ALLOWED, "key is not allowed");
  }
}
