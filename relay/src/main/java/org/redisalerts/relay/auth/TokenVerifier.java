package org.redisalerts.relay.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.redisalerts.common.KeyGlob;

/**
 * Checks an identify token as SPEC 7 says: a JWT signed with one of the relay's keys (in the key's
 * algorithm family), {@code exp} required and enforced to the second with no leeway, {@code nbf}
 * and {@code iat} checked with 30 s of clock skew, {@code iss} and {@code aud} pinned when
 * configured, and {@code queues} naming the keys it covers. Thread-safe.
 *
 * <p>Messages never contain the token or any of its values.
 */
public final class TokenVerifier {

  /** Clock skew allowed for {@code nbf} and {@code iat}. */
  public static final long SKEW_SECONDS = 30;

  /** 9999-12-31T23:59:59Z: the latest time a token's claims may name. */
  static final long LATEST_SECONDS = 253_402_300_799L;

  /** Tokens longer than this are refused unread. */
  static final int MAX_TOKEN_CHARS = 8192;

  /**
   * What the verifier is told.
   *
   * @param keys the verification keys
   * @param issuer the {@code iss} a token must carry; null: any
   * @param audience the {@code aud} a token must name; null: any
   */
  public record Settings(VerificationKeys keys, String issuer, String audience) {}

  private final Settings settings;

  public TokenVerifier(Settings settings) {
    this.settings = settings;
  }

  public Settings settings() {
    return settings;
  }

  /**
   * @param compact the token as the client sent it; null or blank when it sent none
   * @return the verified token
   * @throws TokenRefusal saying why it is not accepted
   */
  public Token verify(String compact, Instant now) throws TokenRefusal {
    if (compact == null || compact.isBlank()) {
      throw TokenRefusal.required();
    }
    if (compact.length() > MAX_TOKEN_CHARS) {
      throw TokenRefusal.invalid("longer than " + MAX_TOKEN_CHARS + " characters");
    }
    JWT jwt;
    try {
      jwt = JWTParser.parse(compact);
    } catch (ParseException e) {
      throw TokenRefusal.invalid("not a JWT");
    }
    if (jwt instanceof PlainJWT) {
      throw TokenRefusal.invalid("unsigned (alg none)");
    }
    if (!(jwt instanceof SignedJWT signed)) {
      throw TokenRefusal.invalid("encrypted tokens are not accepted");
    }
    if (signed.getHeader().getCriticalParams() != null
        && !signed.getHeader().getCriticalParams().isEmpty()) {
      throw TokenRefusal.invalid("it names critical header parameters (crit); none is understood");
    }
    JWSVerifier verifier = settings.keys().verifierFor(signed.getHeader());
    boolean valid;
    try {
      valid = signed.verify(verifier);
    } catch (JOSEException | IllegalStateException e) {
      // The library's message may repeat what the client put in the header; it is not logged.
      throw TokenRefusal.invalid("cannot be verified");
    }
    if (!valid) {
      throw TokenRefusal.invalid("bad signature");
    }
    Map<String, Object> raw = signed.getPayload().toJSONObject();
    if (raw == null) {
      throw TokenRefusal.invalid("its claims are not a JSON object");
    }
    checkClaimTypes(raw);
    JWTClaimsSet claims;
    try {
      claims = signed.getJWTClaimsSet();
    } catch (ParseException e) {
      throw TokenRefusal.invalid("its claims cannot be read");
    }
    checkTimesInRange(signed);
    return check(claims, now);
  }

  /** Says which registered claim has the wrong type, rather than that the claims are no object. */
  private static void checkClaimTypes(Map<String, Object> raw) throws TokenRefusal {
    for (String time : List.of("exp", "nbf", "iat")) {
      if (raw.containsKey(time) && !(raw.get(time) instanceof Number)) {
        throw TokenRefusal.invalid(time + " is not a number");
      }
    }
    for (String text : List.of("iss", "sub", "jti")) {
      if (raw.containsKey(text) && !(raw.get(text) instanceof String)) {
        throw TokenRefusal.invalid(text + " is not a string");
      }
    }
    Object aud = raw.get("aud");
    if (raw.containsKey("aud")
        && !(aud instanceof String)
        && !(aud instanceof List<?> list && list.stream().allMatch(String.class::isInstance))) {
      throw TokenRefusal.invalid("aud is not a string or a list of strings");
    }
  }

  /**
   * The library turns exp, nbf and iat into Dates, and seconds past about 292 million years
   * overflow on the way into the past (an exp of 2^63-1 came out "expired"): the numbers as sent
   * are checked first.
   */
  private static void checkTimesInRange(SignedJWT signed) throws TokenRefusal {
    Map<String, Object> raw = signed.getPayload().toJSONObject();
    for (String time : List.of("exp", "nbf", "iat")) {
      if (raw != null
          && raw.get(time) instanceof Number n
          && !(n.doubleValue() >= 0 && n.doubleValue() <= LATEST_SECONDS)) {
        throw TokenRefusal.invalid(time + " is not a time between 1970 and 9999");
      }
    }
  }

  private Token check(JWTClaimsSet claims, Instant now) throws TokenRefusal {
    long seconds = now.getEpochSecond();
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw TokenRefusal.invalid("no exp");
    }
    if (seconds >= exp.toInstant().getEpochSecond()) {
      throw TokenRefusal.expired();
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && nbf.toInstant().getEpochSecond() > seconds + SKEW_SECONDS) {
      throw TokenRefusal.invalid("not valid yet (nbf)");
    }
    Date iat = claims.getIssueTime();
    if (iat != null && iat.toInstant().getEpochSecond() > seconds + SKEW_SECONDS) {
      throw TokenRefusal.invalid("issued in the future (iat)");
    }
    if (settings.issuer() != null && !settings.issuer().equals(claims.getIssuer())) {
      throw TokenRefusal.invalid("wrong issuer (iss)");
    }
    if (settings.audience() != null
        && (claims.getAudience() == null || !claims.getAudience().contains(settings.audience()))) {
      throw TokenRefusal.invalid("wrong audience (aud)");
    }
    String subject;
    String id;
    List<String> queues;
    try {
      subject = claims.getSubject();
      id = claims.getJWTID();
      queues = claims.getStringListClaim("queues");
    } catch (ParseException e) {
      throw TokenRefusal.invalid("sub, jti or queues has the wrong type");
    }
    if (queues == null || queues.isEmpty()) {
      throw TokenRefusal.invalid("no queues");
    }
    List<KeyGlob> globs = new ArrayList<>(queues.size());
    for (String q : queues) {
      if (q == null || q.isEmpty()) {
        throw TokenRefusal.invalid("an empty entry in queues");
      }
      try {
        globs.add(new KeyGlob(q));
      } catch (IllegalArgumentException e) {
        throw TokenRefusal.invalid("a pattern in queues is not a valid glob");
      }
    }
    return new Token(subject, id, exp.toInstant(), iat == null ? null : iat.toInstant(), globs);
  }
}
