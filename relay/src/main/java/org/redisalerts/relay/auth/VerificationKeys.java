package org.redisalerts.relay.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.redisalerts.common.FileChanges;
import org.redisalerts.common.LogText;
import org.redisalerts.common.Pem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys that verify identify tokens, from one of three sources: an HMAC secret file, a PEM
 * public key file, or a JWKS file of several keys by {@code kid}. The key fixes the algorithm
 * family, never the token: a secret verifies HS256/384/512 only, an RSA key RS and PS, an EC key
 * the ES algorithm of its curve, an Ed25519 key EdDSA; a token whose header names another algorithm
 * (an HMAC token "signed" with a public key, {@code none}) is refused before any verification.
 */
public abstract class VerificationKeys {

  private static final Logger log = LoggerFactory.getLogger(VerificationKeys.class);

  /** Secrets shorter than this are refused at start (HS256 needs 256 bits). */
  public static final int MIN_SECRET_BYTES = 32;

  private static final Set<JWSAlgorithm> HMAC =
      Set.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512);
  private static final Set<JWSAlgorithm> RSA =
      Set.of(
          JWSAlgorithm.RS256,
          JWSAlgorithm.RS384,
          JWSAlgorithm.RS512,
          JWSAlgorithm.PS256,
          JWSAlgorithm.PS384,
          JWSAlgorithm.PS512);

  /** One key, the algorithms it may verify, and its verifier. */
  private record Entry(Set<JWSAlgorithm> algorithms, JWSAlgorithm pinned, JWSVerifier verifier) {}

  VerificationKeys() {}

  /**
   * The verifier for a token with {@code header}.
   *
   * @throws TokenRefusal (invalid) when no key may verify it, saying why
   */
  public abstract JWSVerifier verifierFor(JWSHeader header) throws TokenRefusal;

  /** What the keys are, for the start-up log line (never the secret). */
  public abstract String describe();

  /**
   * An HMAC secret: the file's bytes with one trailing newline removed.
   *
   * @throws IllegalArgumentException when the secret is shorter than {@value #MIN_SECRET_BYTES}
   *     bytes
   */
  public static VerificationKeys secretFile(Path file) throws IOException {
    byte[] secret = readSecret(file);
    Entry entry = new Entry(HMAC, null, macVerifier(secret, file.toString()));
    return single(entry, "HMAC secret from " + file);
  }

  /** The bytes of a secret file, one trailing newline removed, at least 32 of them. */
  public static byte[] readSecret(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int n = bytes.length;
    if (n > 0 && bytes[n - 1] == '\n') {
      n--;
      if (n > 0 && bytes[n - 1] == '\r') {
        n--;
      }
    }
    if (n < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          file
              + ": the secret is "
              + n
              + " bytes; at least "
              + MIN_SECRET_BYTES
              + " are needed (e.g. head -c 48 /dev/urandom | base64 > FILE)");
    }
    return java.util.Arrays.copyOf(bytes, n);
  }

  /** A PEM public key (SubjectPublicKeyInfo): RSA, EC (P-256, P-384, P-521) or Ed25519. */
  public static VerificationKeys publicKeyFile(Path file) throws IOException {
    PublicKey key = Pem.publicKey(file);
    return single(
        entryFor(key, null, file.toString()), key.getAlgorithm() + " public key from " + file);
  }

  /** A JWKS file; re-read when it changes, so keys rotate without a restart. */
  public static VerificationKeys jwksFile(Path file) throws IOException {
    return new JwksFile(file);
  }

  private static VerificationKeys single(Entry entry, String description) {
    return new VerificationKeys() {
      @Override
      public JWSVerifier verifierFor(JWSHeader header) throws TokenRefusal {
        return check(entry, header);
      }

      @Override
      public String describe() {
        return description;
      }
    };
  }

  private static JWSVerifier check(Entry entry, JWSHeader header) throws TokenRefusal {
    JWSAlgorithm alg = header.getAlgorithm();
    if (!entry.algorithms().contains(alg)
        || (entry.pinned() != null && !entry.pinned().equals(alg))) {
      // Named only when it is a JWS algorithm: the header is the client's text (SPEC 7: no part
      // of a token is logged, and a client could put one there).
      String named =
          JWSAlgorithm.Family.SIGNATURE.contains(alg) || JWSAlgorithm.Family.HMAC_SHA.contains(alg)
              ? "algorithm " + LogText.quote(alg.getName())
              : "an algorithm that is not a JWS one";
      throw TokenRefusal.invalid(named + " is not accepted for this key");
    }
    return entry.verifier();
  }

  private static Entry entryFor(PublicKey key, JWSAlgorithm pinned, String where) {
    try {
      if (key instanceof RSAPublicKey rsa) {
        return new Entry(RSA, pinned, new RSASSAVerifier(rsa));
      }
      if (key instanceof ECPublicKey ec) {
        JWSAlgorithm alg =
            switch (ec.getParams().getCurve().getField().getFieldSize()) {
              case 256 -> JWSAlgorithm.ES256;
              case 384 -> JWSAlgorithm.ES384;
              case 521 -> JWSAlgorithm.ES512;
              default -> throw new IllegalArgumentException(where + ": unsupported EC curve");
            };
        return new Entry(Set.of(alg), pinned, new ECDSAVerifier(ec));
      }
      if ("Ed25519".equals(key.getAlgorithm()) || "EdDSA".equals(key.getAlgorithm())) {
        return new Entry(Ed25519Jdk.ALGORITHMS, pinned, Ed25519Jdk.verifier(key));
      }
    } catch (JOSEException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(
        where + ": a " + key.getAlgorithm() + " key cannot verify tokens");
  }

  private static MACVerifier macVerifier(byte[] secret, String where) {
    try {
      return new MACVerifier(secret);
    } catch (JOSEException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  /** A JWKS file, read again (at most once a second) when its time or size changes. */
  private static final class JwksFile extends VerificationKeys {
    private final Path file;
    private volatile Map<String, Entry> byKid;
    private volatile Entry only;
    private final FileChanges changes;

    JwksFile(Path file) throws IOException {
      this.file = file;
      this.changes = new FileChanges(Duration.ofSeconds(1), file);
      load(true);
    }

    @Override
    public JWSVerifier verifierFor(JWSHeader header) throws TokenRefusal {
      refresh();
      String kid = header.getKeyID();
      Entry entry;
      if (kid != null) {
        entry = byKid.get(kid);
        if (entry == null) {
          // The kid is named when it looks like one: short, and without the dots of a token.
          boolean named = kid.length() <= 64 && kid.matches("[A-Za-z0-9_\\-]+");
          throw TokenRefusal.invalid(
              (named ? "no key " + LogText.quote(kid) : "no key of that kid") + " in the key set");
        }
      } else {
        entry = only;
        if (entry == null) {
          throw TokenRefusal.invalid("no kid, and the key set has more than one key");
        }
      }
      return check(entry, header);
    }

    @Override
    public String describe() {
      return "JWKS from " + file + " (" + byKid.size() + " keys; re-read when it changes)";
    }

    private void refresh() {
      if (!changes.changed()) {
        return;
      }
      synchronized (this) {
        try {
          load(false);
        } catch (IOException | RuntimeException e) {
          log.error(
              "cannot read the key set {}: {}; the keys read before stay in use",
              file,
              e.getMessage());
          changes.remember();
        }
      }
    }

    private void load(boolean first) throws IOException {
      changes.remember();
      JWKSet set;
      try {
        set = JWKSet.load(file.toFile());
      } catch (java.text.ParseException e) {
        throw new IllegalArgumentException(file + ": not a JWKS (" + e.getMessage() + ")");
      }
      Map<String, Entry> keys = new HashMap<>();
      Entry any = null;
      List<JWK> jwks = set.getKeys();
      for (JWK jwk : jwks) {
        if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
          continue;
        }
        JWSAlgorithm pinned =
            jwk.getAlgorithm() == null ? null : JWSAlgorithm.parse(jwk.getAlgorithm().getName());
        Entry entry = entryFor(jwk, pinned);
        any = entry;
        if (jwk.getKeyID() != null) {
          keys.put(jwk.getKeyID(), entry);
        }
      }
      if (any == null) {
        throw new IllegalArgumentException(file + ": the key set holds no signature key");
      }
      byKid = Map.copyOf(keys);
      only = jwks.size() == 1 ? any : null;
      if (!first) {
        log.info("key set {} read again: {} keys", file, keys.size());
      }
    }

    private Entry entryFor(JWK jwk, JWSAlgorithm pinned) {
      String where = file + " key " + LogText.quote(jwk.getKeyID());
      try {
        if (jwk instanceof OctetSequenceKey oct) {
          byte[] secret = oct.toByteArray();
          if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException(where + ": an HMAC key under 32 bytes");
          }
          return new Entry(HMAC, pinned, macVerifier(secret, where));
        }
        if (jwk instanceof RSAKey rsa) {
          return VerificationKeys.entryFor(rsa.toRSAPublicKey(), pinned, where);
        }
        if (jwk instanceof ECKey ec) {
          return VerificationKeys.entryFor(ec.toECPublicKey(), pinned, where);
        }
        if (jwk instanceof OctetKeyPair okp && "Ed25519".equals(okp.getCurve().getName())) {
          return VerificationKeys.entryFor(ed25519(okp.getDecodedX()), pinned, where);
        }
      } catch (JOSEException | GeneralSecurityException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
      throw new IllegalArgumentException(where + ": unsupported key type " + jwk.getKeyType());
    }
  }

  /** A JDK Ed25519 public key from its 32 raw bytes (RFC 8410 SubjectPublicKeyInfo). */
  static PublicKey ed25519(byte[] raw) throws GeneralSecurityException {
    byte[] prefix = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    byte[] der = new byte[prefix.length + raw.length];
    System.arraycopy(prefix, 0, der, 0, prefix.length);
    System.arraycopy(raw, 0, der, prefix.length, raw.length);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
  }
}
