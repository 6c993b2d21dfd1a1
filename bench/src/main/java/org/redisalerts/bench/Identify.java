package org.redisalerts.bench;

import java.util.List;

/**
 * The identify message a client sends for its key. The plain one is the original's; a token
 * (section 7 of the spec, {@link SignedIdentify}) or {@code "ack":true} (section 9) are fields
 * added here.
 */
@FunctionalInterface
public interface Identify {

  String json(String key);

  /** Whether clients identify with {@code "ack":true} and acknowledge what they receive. */
  default boolean acks() {
    return false;
  }

  /**
   * Does ahead of the connects what identifying these keys needs (minting their tokens), so that a
   * storm measures the relay and not this; returns the identify to use.
   */
  default Identify forKeys(List<String> keys) {
    return this;
  }

  Identify PLAIN = key -> "{\"event\":\"identify\",\"queue\":\"" + key + "\"}";

  /** Identifies with {@code "ack":true}: the client acknowledges alerts (SPEC 9). */
  Identify ACK =
      new Identify() {
        @Override
        public String json(String key) {
          return "{\"event\":\"identify\",\"queue\":\"" + key + "\",\"ack\":true}";
        }

        @Override
        public boolean acks() {
          return true;
        }
      };
}
