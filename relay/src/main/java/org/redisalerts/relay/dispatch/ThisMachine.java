package org.redisalerts.relay.dispatch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Where this process's process ids mean something: the kernel's boot and the process-id namespace
 * (Linux: {@code /proc/sys/kernel/random/boot_id} and {@code /proc/self/ns/pid}), as 8 hex digits.
 * Two relays with the same tag see the same processes, so one can tell that the other's process is
 * gone; a container, another machine, or a host name shared by both, has another tag. Where these
 * cannot be read, the tag is random: no other process shares it.
 */
public final class ThisMachine {

  private static final String TAG = tag();

  private ThisMachine() {}

  /** This process's tag (the same for every call). */
  public static String processIdsTag() {
    return TAG;
  }

  private static String tag() {
    try {
      String boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
      String namespace = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest((boot + "\n" + namespace).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (IOException | UnsupportedOperationException | NoSuchAlgorithmException e) {
      byte[] random = new byte[4];
      new SecureRandom().nextBytes(random);
      return HexFormat.of().formatHex(random);
    }
  }
}
