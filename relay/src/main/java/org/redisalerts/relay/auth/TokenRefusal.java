package org.redisalerts.relay.auth;

/** Why a token was not accepted, with the close code and reason SPEC 7 gives each case. */
public final class TokenRefusal extends Exception {

  private static final long serialVersionUID = 1L;

  /** Close code for an expired token. */
  public static final int EXPIRED_CODE = 4001;

  /** Close code for every other token refusal. */
  public static final int REFUSED_CODE = 4003;

  /** The kinds of refusal, as the metrics count them. */
  public enum Kind {
    REQUIRED,
    INVALID,
    EXPIRED,
    NOT_COVERING,
    REVOKED
  }

  private final Kind kind;

  private TokenRefusal(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public static TokenRefusal required() {
    return new TokenRefusal(Kind.REQUIRED, "token required");
  }

  /** {@code why} must not contain the token or any part of it. */
  public static TokenRefusal invalid(String why) {
    return new TokenRefusal(Kind.INVALID, "token invalid: " + why);
  }

  public static TokenRefusal expired() {
    return new TokenRefusal(Kind.EXPIRED, "token expired");
  }

  public static TokenRefusal notCovering(String key) {
    return new TokenRefusal(Kind.NOT_COVERING, "token does not cover " + key);
  }

  public static TokenRefusal revoked() {
    return new TokenRefusal(Kind.REVOKED, "token revoked");
  }

  public Kind kind() {
    return kind;
  }

  /** 4001 for an expired token, 4003 for every other refusal. */
  public int closeCode() {
    return kind == Kind.EXPIRED ? EXPIRED_CODE : REFUSED_CODE;
  }
}
