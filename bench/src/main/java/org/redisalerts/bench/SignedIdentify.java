package org.redisalerts.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.redisalerts.relay.auth.TokenMinter;

/**
 * Identifies with a signed token (SPEC 7) per key, minted by the relay's own {@link TokenMinter} as
 * a back-end would: {@code queues} is the key alone, {@code sub} the key, an hour to {@code exp}.
 * Tokens are minted ahead, by {@link #forKeys}; a key without one gets it minted when its client
 * opens. Immutable once returned by {@link #forKeys}.
 */
public final class SignedIdentify implements Identify {

  static final Duration TTL = Duration.ofHours(1);

  private final TokenMinter minter;
  private final boolean ack;
  private final Map<String, String> tokens;

  public SignedIdentify(TokenMinter minter, boolean ack) {
    this(minter, ack, Map.of());
  }

  private SignedIdentify(TokenMinter minter, boolean ack, Map<String, String> tokens) {
    this.minter = minter;
    this.ack = ack;
    this.tokens = tokens;
  }

  @Override
  public boolean acks() {
    return ack;
  }

  @Override
  public Identify forKeys(List<String> keys) {
    if (tokens.keySet().containsAll(keys)) {
      return this;
    }
    Map<String, String> minted = new HashMap<>(tokens);
    Instant now = Instant.now();
    for (String key : keys) {
      minted.computeIfAbsent(key, k -> mint(k, now));
    }
    return new SignedIdentify(minter, ack, Map.copyOf(minted));
  }

  @Override
  public String json(String key) {
    String token = tokens.get(key);
    return "{\"event\":\"identify\",\"queue\":\""
        + key
        + "\",\"token\":\""
        + (token != null ? token : mint(key, Instant.now()))
        + (ack ? "\",\"ack\":true}" : "\"}");
  }

  private String mint(String key, Instant now) {
    return minter.mint(List.of(key), key, null, TTL, null, null, now);
  }
}
