package org.redisalerts.relay.auth;

import java.time.Instant;
import java.util.List;
import org.redisalerts.common.KeyGlob;

/**
 * A verified identify token: who it is for, until when, and which keys it covers.
 *
 * @param subject {@code sub}, for logs and revocation; null when absent
 * @param id {@code jti}, for revocation; null when absent
 * @param expiresAt {@code exp}
 * @param issuedAt {@code iat}; null when absent
 * @param queues the keys it covers: exact keys or Redis globs
 */
public record Token(
    String subject, String id, Instant expiresAt, Instant issuedAt, List<KeyGlob> queues) {

  public Token {
    queues = List.copyOf(queues);
  }

  /** Whether {@code key} is one of the token's keys or matches one of its patterns. */
  public boolean covers(String key) {
    for (KeyGlob glob : queues) {
      if (glob.matches(key)) {
        return true;
      }
    }
    return false;
  }

  /** Whole seconds left at {@code now} (0 when expired). */
  public long secondsLeft(Instant now) {
    return Math.max(0, expiresAt.getEpochSecond() - now.getEpochSecond());
  }

  /** For log lines: sub and jti, never the token. */
  public String describe() {
    return "sub="
        + org.redisalerts.common.LogText.quote(subject)
        + " jti="
        + org.redisalerts.common.LogText.quote(id);
  }
}
