package org.redisalerts.bench;

/**
 * The identify message a client sends for its key. The plain one is the original's; a token
 * (section 7 of the spec) or {@code "ack":true} (section 9) are fields added here.
 */
@FunctionalInterface
public interface Identify {

  String json(String key);

  Identify PLAIN = key -> "{\"event\":\"identify\",\"queue\":\"" + key + "\"}";
}
