package org.redisalerts.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed certificates for {@code localhost} and 127.0.0.1, made with the JDK's own {@code
 * keytool} (so tests need no library and no {@code openssl}) and written as a relay reads them: a
 * PEM chain and a PEM PKCS#8 private key.
 */
public final class TestCertificates {

  /**
   * One certificate on disk.
   *
   * @param chain the PEM certificate file
   * @param key the PEM PKCS#8 private key file
   * @param certificate the certificate itself
   */
  public record Issued(Path chain, Path key, X509Certificate certificate, PrivateKey privateKey) {

    /** A client context that trusts exactly this certificate. */
    public SSLContext trustingIt() {
      return trusting(certificate);
    }
  }

  private TestCertificates() {}

  /**
   * Makes a key pair and a self-signed certificate ({@code keyAlgorithm} "EC" or "RSA"), writing
   * {@code name.crt} and {@code name.key} in {@code dir}. Each call makes a new key and a new
   * random serial.
   */
  public static Issued issue(Path dir, String name, String keyAlgorithm) {
    return issue(dir, name, keyAlgorithm, "dns:localhost,ip:127.0.0.1");
  }

  /**
   * As {@link #issue(Path, String, String)}, for the names in {@code subjectAltNames} (keytool's
   * form: {@code dns:relay.example,ip:10.0.0.1}).
   */
  public static Issued issue(Path dir, String name, String keyAlgorithm, String subjectAltNames) {
    try {
      Path store = Files.createTempFile(dir, name, ".p12");
      Files.delete(store);
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
      command.addAll(
          List.of(
              "-genkeypair",
              "-alias",
              "relay",
              "-keyalg",
              keyAlgorithm,
              "-dname",
              "CN=localhost",
              "-ext",
              "SAN=" + subjectAltNames,
              "-validity",
              "2",
              "-keystore",
              store.toString(),
              "-storetype",
              "PKCS12",
              "-storepass",
              "changeit",
              "-keypass",
              "changeit"));
      if (keyAlgorithm.equals("RSA")) {
        command.addAll(List.of("-keysize", "2048"));
      }
      Process keytool = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] output = keytool.getInputStream().readAllBytes();
      if (!keytool.waitFor(60, TimeUnit.SECONDS) || keytool.exitValue() != 0) {
        throw new IllegalStateException("keytool failed: " + new String(output, US_ASCII));
      }
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        keys.load(in, "changeit".toCharArray());
      }
      Files.delete(store);
      PrivateKey key = (PrivateKey) keys.getKey("relay", "changeit".toCharArray());
      X509Certificate certificate = (X509Certificate) keys.getCertificate("relay");
      Path chain = dir.resolve(name + ".crt");
      Path keyFile = dir.resolve(name + ".key");
      writeAtomically(chain, pem("CERTIFICATE", certificate.getEncoded()));
      writeAtomically(keyFile, pem("PRIVATE KEY", key.getEncoded()));
      return new Issued(chain, keyFile, certificate, key);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot make a test certificate", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * Writes {@code issued}'s RSA key in PKCS#1 form ({@code BEGIN RSA PRIVATE KEY}), as {@code
   * openssl genrsa} used to: the RSAPrivateKey structure that PKCS#8 wraps.
   */
  public static Path writePkcs1(Issued issued, Path file) throws IOException {
    byte[] pkcs8 = issued.privateKey().getEncoded();
    // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE, privateKey OCTET STRING }
    int[] at = {0};
    enter(pkcs8, at, 0x30);
    skip(pkcs8, at, 0x02);
    skip(pkcs8, at, 0x30);
    int length = enter(pkcs8, at, 0x04);
    byte[] pkcs1 = java.util.Arrays.copyOfRange(pkcs8, at[0], at[0] + length);
    Files.writeString(file, pem("RSA PRIVATE KEY", pkcs1), US_ASCII);
    return file;
  }

  /** A client context that trusts {@code certificates} and nothing else. */
  public static SSLContext trusting(Certificate... certificates) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      for (int i = 0; i < certificates.length; i++) {
        trust.setCertificateEntry("relay-" + i, certificates[i]);
      }
      TrustManagerFactory managers =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      managers.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, managers.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Replaces {@code file} in one step, as certbot and cert-manager do. */
  public static void writeAtomically(Path file, String text) throws IOException {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.writeString(next, text, US_ASCII);
    Files.move(
        next,
        file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }

  /** Reads a DER tag and length at {@code at}; leaves {@code at} at the content. */
  private static int enter(byte[] der, int[] at, int tag) {
    if ((der[at[0]] & 0xff) != tag) {
      throw new IllegalArgumentException("unexpected DER tag " + der[at[0]] + " at " + at[0]);
    }
    at[0]++;
    int first = der[at[0]++] & 0xff;
    if (first < 0x80) {
      return first;
    }
    int length = 0;
    for (int i = 0; i < (first & 0x7f); i++) {
      length = (length << 8) | (der[at[0]++] & 0xff);
    }
    return length;
  }

  private static void skip(byte[] der, int[] at, int tag) {
    int length = enter(der, at, tag);
    at[0] += length;
  }
}
