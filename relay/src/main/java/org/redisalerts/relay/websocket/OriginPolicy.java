package org.redisalerts.relay.websocket;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which pages may open a connection, by the {@code Origin} header browsers send: a page on another
 * site must not be able to use a visitor's browser to read alerts (cross-site WebSocket hijacking).
 * Origins are compared as {@code scheme://host[:port]} after lower-casing scheme and host and
 * dropping a default port. Clients that send no {@code Origin} (not browsers) are accepted unless
 * the policy requires one. Immutable.
 */
public final class OriginPolicy {

  private static final OriginPolicy ANY = new OriginPolicy(true, Set.of(), false);

  private final boolean any;
  private final Set<String> allowed;
  private final boolean requireOrigin;

  private OriginPolicy(boolean any, Set<String> allowed, boolean requireOrigin) {
    this.any = any;
    this.allowed = Set.copyOf(allowed);
    this.requireOrigin = requireOrigin;
  }

  /** Every origin, and none, is accepted: the original's behaviour. */
  public static OriginPolicy any() {
    return ANY;
  }

  /**
   * @param origins {@code scheme://host[:port]} entries, or {@code *} for any
   * @param requireOrigin refuse handshakes that carry no {@code Origin}
   * @throws IllegalArgumentException naming an entry that is not an origin
   */
  public static OriginPolicy of(List<String> origins, boolean requireOrigin) {
    boolean any = false;
    Set<String> allowed = new LinkedHashSet<>();
    for (String origin : origins) {
      String trimmed = origin.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      if (trimmed.equals("*")) {
        any = true;
        continue;
      }
      String normal = normalise(trimmed);
      if (normal == null) {
        throw new IllegalArgumentException(
            "not an origin (write scheme://host[:port]): " + trimmed);
      }
      allowed.add(normal);
    }
    if (!any && allowed.isEmpty() && origins.isEmpty()) {
      any = true;
    }
    return new OriginPolicy(any, allowed, requireOrigin);
  }

  /**
   * @param origin the handshake's {@code Origin} header, or null when it has none
   * @return whether the handshake may go on
   */
  public boolean allows(String origin) {
    if (origin == null || origin.isEmpty()) {
      return !requireOrigin;
    }
    if (any) {
      return true;
    }
    String normal = normalise(origin.trim());
    return normal != null && allowed.contains(normal);
  }

  /** {@code scheme://host[:port]} in canonical form, or null when {@code text} is not an origin. */
  static String normalise(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      return null;
    }
    String scheme = uri.getScheme();
    String host = uri.getHost();
    if (scheme == null || host == null || uri.getRawUserInfo() != null) {
      return null;
    }
    String path = uri.getRawPath();
    if ((path != null && !path.isEmpty() && !path.equals("/"))
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      return null;
    }
    scheme = scheme.toLowerCase(Locale.ROOT);
    host = host.toLowerCase(Locale.ROOT);
    int port = uri.getPort();
    boolean defaultPort =
        port == -1
            || (port == 80 && (scheme.equals("http") || scheme.equals("ws")))
            || (port == 443 && (scheme.equals("https") || scheme.equals("wss")));
    return scheme + "://" + host + (defaultPort ? "" : ":" + port);
  }

  @Override
  public String toString() {
    String list = any ? "*" : String.join(",", allowed);
    return requireOrigin ? list + " (Origin required)" : list;
  }
}
