package org.redisalerts.common;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keys and certificates in PEM files, read with the JDK alone: public keys as SubjectPublicKeyInfo
 * ({@code BEGIN PUBLIC KEY}), private keys as PKCS#8 ({@code BEGIN PRIVATE KEY}), certificates as
 * X.509. RSA, EC and Ed25519 keys. A private key in another form (PKCS#1, SEC1, encrypted) is
 * refused with the {@code openssl} command that converts it.
 */
public final class Pem {

  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)\\s*-----END \\1-----");

  private static final String[] KEY_ALGORITHMS = {"RSA", "EC", "Ed25519"};

  /** One PEM block: its label and its decoded bytes. */
  public record Block(String label, byte[] der) {}

  private Pem() {}

  /** Every block of {@code text}, in order. */
  public static List<Block> blocks(String text) {
    List<Block> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String base64 = m.group(2).replaceAll("\\s", "");
      try {
        blocks.add(new Block(m.group(1), Base64.getDecoder().decode(base64)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("a PEM block " + m.group(1) + " is not valid base64");
      }
    }
    return blocks;
  }

  /**
   * The public key in {@code file} ({@code BEGIN PUBLIC KEY}).
   *
   * @throws IllegalArgumentException naming the file and what is wrong with it
   */
  public static PublicKey publicKey(Path file) throws IOException {
    Block block = only(file, "PUBLIC KEY", "a public key (-----BEGIN PUBLIC KEY-----)");
    X509EncodedKeySpec spec = new X509EncodedKeySpec(block.der());
    for (String algorithm : KEY_ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePublic(spec);
      } catch (GeneralSecurityException e) {
        // not this algorithm: try the next
      }
    }
    throw new IllegalArgumentException(
        file + ": not an RSA, EC or Ed25519 public key this JVM can read");
  }

  /**
   * The private key in {@code file}, which must be PKCS#8 ({@code BEGIN PRIVATE KEY}).
   *
   * @throws IllegalArgumentException naming the file, and for a key in another form the command
   *     that converts it
   */
  public static PrivateKey privateKey(Path file) throws IOException {
    List<Block> blocks = blocks(read(file));
    for (Block block : blocks) {
      switch (block.label()) {
        case "PRIVATE KEY" -> {
          PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(block.der());
          for (String algorithm : KEY_ALGORITHMS) {
            try {
              return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
              // not this algorithm: try the next
            }
          }
          throw new IllegalArgumentException(
              file + ": not an RSA, EC or Ed25519 private key this JVM can read");
        }
        case "RSA PRIVATE KEY", "EC PRIVATE KEY" ->
            throw new IllegalArgumentException(
                file
                    + ": the key is in "
                    + (block.label().startsWith("RSA") ? "PKCS#1" : "SEC1")
                    + " form; convert it to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in "
                    + file
                    + " -out key-pkcs8.pem");
        case "ENCRYPTED PRIVATE KEY" ->
            throw new IllegalArgumentException(
                file
                    + ": the key is encrypted; write it unencrypted (PKCS#8) with: "
                    + "openssl pkcs8 -topk8 -nocrypt -in "
                    + file
                    + " -out key-pkcs8.pem");
        default -> {
          // not a key: look further
        }
      }
    }
    throw new IllegalArgumentException(
        file + ": no private key found (expected -----BEGIN PRIVATE KEY-----, PKCS#8)");
  }

  /**
   * The certificates in {@code file}, in order (a chain: the server's own first).
   *
   * @throws IllegalArgumentException naming the file when it holds none
   */
  public static List<X509Certificate> certificates(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    List<X509Certificate> certificates = new ArrayList<>();
    try {
      for (var c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(bytes))) {
        certificates.add((X509Certificate) c);
      }
    } catch (CertificateException e) {
      throw new IllegalArgumentException(file + ": not a PEM certificate chain: " + e.getMessage());
    }
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException(
          file + ": no certificate found (expected -----BEGIN CERTIFICATE-----)");
    }
    return certificates;
  }

  private static Block only(Path file, String label, String expected) throws IOException {
    for (Block block : blocks(read(file))) {
      if (block.label().equals(label)) {
        return block;
      }
    }
    throw new IllegalArgumentException(file + ": expected " + expected);
  }

  private static String read(Path file) throws IOException {
    return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
  }
}
