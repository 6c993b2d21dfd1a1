package org.redisalerts.relay.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.redisalerts.common.FileChanges;
import org.redisalerts.common.Pem;
import org.redisalerts.relay.websocket.TlsContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's certificate, from a PEM chain and a PKCS#8 private key on disk, served with TLS 1.2
 * and 1.3 only. When the files change (a renewal by certbot or cert-manager) they are read again,
 * at most once a second, by the next connection that arrives: new connections get the new
 * certificate, open ones keep theirs. Files that cannot be used (unreadable, a key that does not
 * match the certificate, half of a renewal) leave the certificate in use as it was, with an error
 * logged, and are tried again when they change again.
 *
 * <p>Thread-safe.
 */
public final class CertificateFiles implements TlsContext {

  private static final Logger log = LoggerFactory.getLogger(CertificateFiles.class);

  private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /**
   * The JSSE setting that refuses renegotiations a client starts (TLS 1.2; 1.3 has none): each
   * costs the relay a full handshake, and one connection could ask for them back to back for as
   * long as its handshake deadline lasts, a core's worth of CPU that no connection limit counts.
   * The relay never renegotiates itself. Set unless the JVM was given a value.
   */
  static final String REJECT_CLIENT_RENEGOTIATION = "jdk.tls.rejectClientInitiatedRenegotiation";

  static {
    if (System.getProperty(REJECT_CLIENT_RENEGOTIATION) == null) {
      System.setProperty(REJECT_CLIENT_RENEGOTIATION, "true");
    }
  }

  private static final char[] NO_PASSWORD = new char[0];

  /** What one pair of files gave. */
  private record Loaded(SSLContext context, X509Certificate certificate, String[] protocols) {}

  private final Path certFile;
  private final Path keyFile;
  private final FileChanges changes;
  private volatile Loaded current;

  private CertificateFiles(Path certFile, Path keyFile, Loaded first) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.changes = new FileChanges(Duration.ofSeconds(1), certFile, keyFile);
    this.current = first;
  }

  /**
   * Reads the certificate chain and its key.
   *
   * @throws IllegalArgumentException naming the file and what is wrong (for a key in PKCS#1 or SEC1
   *     form, the {@code openssl} command that converts it)
   */
  public static CertificateFiles load(Path certFile, Path keyFile) {
    Loaded first = read(certFile, keyFile);
    log.info("TLS certificate {}", describe(first.certificate()));
    warnIfNotValidNow(first.certificate());
    return new CertificateFiles(certFile, keyFile, first);
  }

  @Override
  public SSLEngine newEngine() {
    if (changes.changed()) {
      reload();
    }
    Loaded loaded = current;
    SSLEngine engine = loaded.context().createSSLEngine();
    engine.setUseClientMode(false);
    engine.setEnabledProtocols(loaded.protocols());
    return engine;
  }

  /** The certificate new connections get. */
  public X509Certificate certificate() {
    return current.certificate();
  }

  private synchronized void reload() {
    changes.remember(); // a failure is tried again only when the files change again
    Loaded next;
    try {
      next = read(certFile, keyFile);
    } catch (IllegalArgumentException e) {
      log.error(
          "TLS files changed but cannot be used: {}; still serving {}",
          e.getMessage(),
          describe(current.certificate()));
      return;
    }
    current = next;
    log.info("TLS certificate read again: {}", describe(next.certificate()));
    warnIfNotValidNow(next.certificate());
  }

  private static Loaded read(Path certFile, Path keyFile) {
    try {
      List<X509Certificate> chain = Pem.certificates(certFile);
      PrivateKey key = Pem.privateKey(keyFile);
      checkPair(chain.get(0), key, certFile, keyFile);
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("relay", key, NO_PASSWORD, chain.toArray(new Certificate[0]));
      KeyManagerFactory managers =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      managers.init(store, NO_PASSWORD);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(managers.getKeyManagers(), null, null);
      List<String> supported = Arrays.asList(context.getSupportedSSLParameters().getProtocols());
      String[] protocols = PROTOCOLS.stream().filter(supported::contains).toArray(String[]::new);
      if (protocols.length == 0) {
        throw new IllegalArgumentException("this JVM supports neither TLS 1.3 nor TLS 1.2");
      }
      return new Loaded(context, chain.get(0), protocols);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          certFile + ", " + keyFile + ": cannot be used for TLS: " + e.getMessage(), e);
    }
  }

  /** Signs with the key and verifies with the certificate: they must be one pair. */
  private static void checkPair(
      X509Certificate certificate, PrivateKey key, Path certFile, Path keyFile)
      throws GeneralSecurityException {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default ->
              throw new IllegalArgumentException(
                  keyFile + ": a " + key.getAlgorithm() + " key; TLS needs RSA or EC");
        };
    byte[] probe = "redis-ws-alerts key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(probe);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    try {
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // a key of another type than the certificate's: not a pair either
    }
    throw new IllegalArgumentException(
        keyFile + " is not the private key of the first certificate in " + certFile);
  }

  private static void warnIfNotValidNow(X509Certificate certificate) {
    Instant now = Instant.now();
    if (now.isAfter(certificate.getNotAfter().toInstant())) {
      log.warn(
          "the TLS certificate expired at {}: clients will refuse it",
          certificate.getNotAfter().toInstant());
    } else if (now.isBefore(certificate.getNotBefore().toInstant())) {
      log.warn("the TLS certificate is valid only from {}", certificate.getNotBefore().toInstant());
    }
  }

  private static String describe(X509Certificate certificate) {
    return "subject=\""
        + certificate.getSubjectX500Principal().getName()
        + "\" serial="
        + certificate.getSerialNumber().toString(16)
        + " expires="
        + certificate.getNotAfter().toInstant();
  }
}
