package org.redisalerts.examples;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/** The Java example of docs/tokens.md: a back-end mints identify tokens with nimbus-jose-jwt. */
public final class AlertTokens {

  private final MACSigner signer; // thread-safe: one for the application

  /** The relay's --token-secret-file: the same bytes, one trailing newline dropped. */
  public AlertTokens(Path secretFile) throws IOException, JOSEException {
    String secret = Files.readString(secretFile, UTF_8);
    this.signer = new MACSigner(secret.replaceFirst("\r?\n$", "").getBytes(UTF_8));
  }

  /** A token that lets {@code userId} read the alerts of {@code key} for {@code ttl}. */
  public String mint(String userId, String key, Duration ttl) throws JOSEException {
    Instant now = Instant.now();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .claim("queues", List.of(key))
            .subject(userId)
            .jwtID(UUID.randomUUID().toString())
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    jwt.sign(signer);
    return jwt.serialize();
  }
}
