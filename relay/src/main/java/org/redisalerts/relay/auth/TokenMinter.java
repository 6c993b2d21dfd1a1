package org.redisalerts.relay.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * Signs identify tokens, for {@code relay token} and for tests: with an HMAC secret (HS256 unless
 * told otherwise) or a private key (its family's first algorithm unless told otherwise).
 */
public final class TokenMinter {

  private final JWSSigner signer;
  private final JWSAlgorithm algorithm;
  private final String keyId;

  private TokenMinter(JWSSigner signer, JWSAlgorithm algorithm) {
    this(signer, algorithm, null);
  }

  private TokenMinter(JWSSigner signer, JWSAlgorithm algorithm, String keyId) {
    this.signer = signer;
    this.algorithm = algorithm;
    this.keyId = keyId;
  }

  /**
   * The same minter, naming its key {@code kid} in each token's header, so a relay with a key set
   * (JWKS) finds the key; null for none.
   */
  public TokenMinter keyId(String kid) {
    return new TokenMinter(signer, algorithm, kid);
  }

  /**
   * @param algorithm HS256, HS384 or HS512; null for HS256
   */
  public static TokenMinter withSecret(byte[] secret, JWSAlgorithm algorithm) {
    JWSAlgorithm alg = algorithm == null ? JWSAlgorithm.HS256 : algorithm;
    if (!JWSAlgorithm.Family.HMAC_SHA.contains(alg)) {
      throw new IllegalArgumentException("a secret signs HS256, HS384 or HS512, not " + alg);
    }
    try {
      return new TokenMinter(new MACSigner(secret), alg);
    } catch (JOSEException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * @param algorithm an algorithm of the key's family; null for its first (RS256, ES of its curve,
   *     EdDSA)
   */
  public static TokenMinter withPrivateKey(PrivateKey key, JWSAlgorithm algorithm) {
    try {
      switch (key.getAlgorithm()) {
        case "RSA" -> {
          JWSAlgorithm alg = algorithm == null ? JWSAlgorithm.RS256 : algorithm;
          if (!JWSAlgorithm.Family.RSA.contains(alg)) {
            throw new IllegalArgumentException("an RSA key signs RS* or PS*, not " + alg);
          }
          return new TokenMinter(new RSASSASigner(key), alg);
        }
        case "EC" -> {
          ECDSASigner signer = new ECDSASigner((ECPrivateKey) key);
          JWSAlgorithm alg =
              switch (((ECPrivateKey) key).getParams().getCurve().getField().getFieldSize()) {
                case 256 -> JWSAlgorithm.ES256;
                case 384 -> JWSAlgorithm.ES384;
                default -> JWSAlgorithm.ES512;
              };
          if (algorithm != null && !algorithm.equals(alg)) {
            throw new IllegalArgumentException("this EC key signs " + alg + ", not " + algorithm);
          }
          return new TokenMinter(signer, alg);
        }
        case "Ed25519", "EdDSA" -> {
          JWSAlgorithm alg = algorithm == null ? JWSAlgorithm.EdDSA : algorithm;
          if (!Ed25519Jdk.ALGORITHMS.contains(alg)) {
            throw new IllegalArgumentException("an Ed25519 key signs EdDSA, not " + alg);
          }
          return new TokenMinter(Ed25519Jdk.signer(key), alg);
        }
        default ->
            throw new IllegalArgumentException(
                "a " + key.getAlgorithm() + " key cannot sign tokens");
      }
    } catch (JOSEException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  public JWSAlgorithm algorithm() {
    return algorithm;
  }

  /**
   * A signed token.
   *
   * @param queues exact keys or Redis globs the token covers
   * @param subject {@code sub}, or null
   * @param id {@code jti}, or null
   * @param ttl from now to {@code exp}
   * @param issuer {@code iss}, or null
   * @param audience {@code aud}, or null
   */
  public String mint(
      List<String> queues,
      String subject,
      String id,
      Duration ttl,
      String issuer,
      String audience,
      Instant now) {
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .claim("queues", List.copyOf(queues))
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)));
    if (subject != null) {
      claims.subject(subject);
    }
    if (id != null) {
      claims.jwtID(id);
    }
    if (issuer != null) {
      claims.issuer(issuer);
    }
    if (audience != null) {
      claims.audience(audience);
    }
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(algorithm).type(JOSEObjectType.JWT).keyID(keyId).build(),
            claims.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign the token: " + e.getMessage(), e);
    }
    return jwt.serialize();
  }
}
