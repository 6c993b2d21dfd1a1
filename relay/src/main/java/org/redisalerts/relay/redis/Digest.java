package org.redisalerts.relay.redis;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** The digest deliver.lua compares: SHA-1 of entries concatenated, in lower-case hex. */
public final class Digest {

  private Digest() {}

  public static String of(List<byte[]> entries) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-1", e);
    }
    for (byte[] entry : entries) {
      sha.update(entry);
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
