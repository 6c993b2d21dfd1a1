package org.redisalerts.relay.auth;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The revocations this relay knows of, mirrored from Redis: by {@code jti} (that token), or by
 * {@code sub} (every token of that subject issued before the revocation, and every one without
 * {@code iat}). Thread-safe; checks take no lock.
 */
public final class RevocationList {

  /** One revocation as Redis keeps it. */
  public record Revocation(Kind kind, String value, Instant at) {}

  /** What a revocation names. */
  public enum Kind {
    JTI,
    SUB
  }

  private record Snapshot(Set<String> ids, Map<String, Instant> subjects) {}

  private volatile Snapshot snapshot = new Snapshot(Set.of(), Map.of());

  /** Replaces everything known with {@code all} (a reload from Redis). */
  public void replace(Collection<Revocation> all) {
    Set<String> ids = new HashSet<>();
    Map<String, Instant> subjects = new HashMap<>();
    for (Revocation r : all) {
      put(r, ids, subjects);
    }
    snapshot = new Snapshot(Set.copyOf(ids), Map.copyOf(subjects));
  }

  /** Adds one revocation (from the pub/sub signal). */
  public synchronized void add(Revocation r) {
    Snapshot s = snapshot;
    Set<String> ids = new HashSet<>(s.ids());
    Map<String, Instant> subjects = new HashMap<>(s.subjects());
    put(r, ids, subjects);
    snapshot = new Snapshot(Set.copyOf(ids), Map.copyOf(subjects));
  }

  private static void put(Revocation r, Set<String> ids, Map<String, Instant> subjects) {
    if (r.kind() == Kind.JTI) {
      ids.add(r.value());
    } else {
      subjects.merge(r.value(), r.at(), (a, b) -> a.isAfter(b) ? a : b);
    }
  }

  /** Whether {@code token} is revoked. */
  public boolean revokes(Token token) {
    Snapshot s = snapshot;
    if (token.id() != null && s.ids().contains(token.id())) {
      return true;
    }
    if (token.subject() == null) {
      return false;
    }
    Instant at = s.subjects().get(token.subject());
    return at != null && (token.issuedAt() == null || token.issuedAt().isBefore(at));
  }

  public int size() {
    Snapshot s = snapshot;
    return s.ids().size() + s.subjects().size();
  }
}
