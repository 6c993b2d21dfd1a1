package org.redisalerts.relay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/** Keys for token tests, written as the files the relay reads. */
final class TestKeys {

  private TestKeys() {}

  static Path dir() {
    try {
      Path dir = Files.createTempDirectory("relay-keys-");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A secret file of {@code bytes} printable bytes and a trailing newline. */
  static Path secret(Path dir, int bytes) {
    byte[] raw = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      raw[i] = (byte) ('a' + ThreadLocalRandom.current().nextInt(26));
    }
    return write(dir.resolve("secret-" + bytes), new String(raw, StandardCharsets.US_ASCII) + "\n");
  }

  static KeyPair rsa() {
    return generate("RSA", null);
  }

  static KeyPair ec(String curve) {
    return generate("EC", curve);
  }

  static KeyPair ed25519() {
    return generate("Ed25519", null);
  }

  private static KeyPair generate(String algorithm, String curve) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance(algorithm);
      if (curve != null) {
        g.initialize(new ECGenParameterSpec(curve));
      } else if (algorithm.equals("RSA")) {
        g.initialize(2048);
      }
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static Path publicPem(Path dir, String name, KeyPair pair) {
    return write(dir.resolve(name + ".pub.pem"), pem("PUBLIC KEY", pair.getPublic().getEncoded()));
  }

  static Path privatePem(Path dir, String name, KeyPair pair) {
    return write(
        dir.resolve(name + ".key.pem"), pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
  }

  static String pem(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }

  static Path write(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.US_ASCII);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
