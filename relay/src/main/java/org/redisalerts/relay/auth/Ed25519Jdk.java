package org.redisalerts.relay.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Set;

/**
 * EdDSA (Ed25519) signatures with the JDK's own {@code Signature} (Java 15+): nimbus-jose-jwt's
 * Ed25519 classes need Google Tink, a large dependency for one algorithm the JDK already has.
 */
final class Ed25519Jdk {

  /** The algorithm names a header may carry for an Ed25519 key. */
  static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);

  private Ed25519Jdk() {}

  static JWSVerifier verifier(PublicKey key) {
    return new Verifier(key);
  }

  static JWSSigner signer(PrivateKey key) {
    return new Signer(key);
  }

  private static final class Verifier implements JWSVerifier {
    private final PublicKey key;
    private final JCAContext context = new JCAContext();

    Verifier(PublicKey key) {
      this.key = key;
    }

    @Override
    public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature)
        throws JOSEException {
      if (!ALGORITHMS.contains(header.getAlgorithm())) {
        throw new JOSEException("unsupported algorithm " + header.getAlgorithm());
      }
      if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
        return false; // no critical extension is understood
      }
      try {
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(key);
        s.update(signingInput);
        return s.verify(signature.decode());
      } catch (GeneralSecurityException e) {
        return false;
      }
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
      return ALGORITHMS;
    }

    @Override
    public JCAContext getJCAContext() {
      return context;
    }
  }

  private static final class Signer implements JWSSigner {
    private final PrivateKey key;
    private final JCAContext context = new JCAContext();

    Signer(PrivateKey key) {
      this.key = key;
    }

    @Override
    public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
      try {
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(key);
        s.update(signingInput);
        return Base64URL.encode(s.sign());
      } catch (GeneralSecurityException e) {
        throw new JOSEException("cannot sign with the Ed25519 key: " + e.getMessage(), e);
      }
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
      return ALGORITHMS;
    }

    @Override
    public JCAContext getJCAContext() {
      return context;
    }
  }
}
