package org.redisalerts.listen;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.redisalerts.common.Pem;

/**
 * Whom {@code listen} trusts on {@code wss://}: the certificate authorities the JVM trusts (on
 * Debian, the system's, through {@code ca-certificates-java}) plus those of {@code --ca}.
 */
final class RelayTrust {

  private RelayTrust() {}

  /**
   * A client TLS context trusting the JVM's CAs and the certificates in {@code caFile}.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read or holds no certificate
   */
  static SSLContext context(Path caFile) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      if (caFile == null) {
        context.init(null, null, null);
        return context;
      }
      List<X509Certificate> extra = Pem.certificates(caFile);
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      Path cacerts = Path.of(System.getProperty("java.home"), "lib", "security", "cacerts");
      if (Files.isReadable(cacerts)) {
        try (InputStream in = Files.newInputStream(cacerts)) {
          trust.load(in, null);
        }
      } else {
        trust.load(null, null);
      }
      for (int i = 0; i < extra.size(); i++) {
        trust.setCertificateEntry("listen-ca-" + i, extra.get(i));
      }
      TrustManagerFactory managers =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      managers.init(trust);
      context.init(null, managers.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot use " + caFile + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read --ca " + e.getMessage(), e);
    }
  }

  /**
   * What went wrong with a TLS handshake, for people: null when {@code error} is not a TLS failure.
   */
  static String explain(Exception error, String host) {
    Throwable cause = error;
    while (cause != null && !(cause instanceof SSLHandshakeException)) {
      cause = cause.getCause();
    }
    if (cause == null) {
      return null;
    }
    String message = String.valueOf(cause.getMessage());
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof CertificateException && c.getMessage() != null) {
        String m = c.getMessage();
        if (m.contains("No subject alternative") || m.contains("No name matching")) {
          return "the relay's certificate is not valid for " + host + " (" + m + ")";
        }
        if (m.contains("expired") || m.contains("NotAfter")) {
          return "the relay's certificate has expired (" + m + ")";
        }
      }
    }
    if (message.contains("PKIX path") || message.contains("unable to find valid certification")) {
      return "the relay's certificate is not trusted: it is not signed by a certificate authority"
          + " this machine trusts (give its CA, or the certificate itself, with --ca FILE)";
    }
    return "TLS handshake with the relay failed: " + message;
  }
}
