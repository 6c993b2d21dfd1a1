package org.redisalerts.relay;

import java.util.List;
import org.redisalerts.common.AlertKeys;
import org.redisalerts.common.KeyGlob;
import org.redisalerts.common.RelayKeys;

/**
 * Which keys a client may identify with: those the allow-list matches, except the relay's
 * own keys (watch list, dead letters, claim lists), whatever the allow-list says.
 */
final class AccessPolicy {

  private final RelayKeys relayKeys;
  private final List<KeyGlob> allowed;

  AccessPolicy(RelayKeys relayKeys, List<KeyGlob> allowed) {
    this.relayKeys = relayKeys;
    this.allowed = List.copyOf(allowed);
  }

  /** @return null when {@code key} may be identified with, otherwise why not */
  String refusal(String key) {
    try {
      AlertKeys.validate(key);
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    if (relayKeys.isReserved(key)) {
      return "key is reserved for the relay";
    }
    for (KeyGlob glob : allowed) {
      if (glob.matches(key)) {
        return null;
      }
    }
    return "key is not allowed";
  }
}
