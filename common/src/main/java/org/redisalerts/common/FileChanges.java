package org.redisalerts.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Tells whether files were replaced since they were last read, looking at most once per interval: a
 * key set or a certificate that is renewed on disk (by certbot, cert-manager, an operator) is
 * picked up without a restart, and a busy caller pays for one look a second, not one per use. A
 * file counts as changed when its modification time or its size differs, or when it appears or
 * disappears. Symbolic links are followed (certbot's live directory is made of them).
 *
 * <p>Thread-safe.
 */
public final class FileChanges {

  private record Version(Object modified, long size) {}

  private static final Version MISSING = new Version("missing", -1);

  private final List<Path> files;
  private final long intervalNanos;
  private List<Version> remembered;
  private long lastLook;

  public FileChanges(Duration interval, Path... files) {
    this.files = List.of(files);
    this.intervalNanos = interval.toNanos();
    this.remembered = versions();
    this.lastLook = System.nanoTime();
  }

  /** Remembers the files as they are now: call it after reading them (or failing to). */
  public synchronized void remember() {
    remembered = versions();
    lastLook = System.nanoTime();
  }

  /**
   * Whether any file differs from what {@link #remember} saw; always false when the last look was
   * less than the interval ago.
   */
  public synchronized boolean changed() {
    long now = System.nanoTime();
    if (now - lastLook < intervalNanos) {
      return false;
    }
    lastLook = now;
    return !Objects.equals(versions(), remembered);
  }

  private List<Version> versions() {
    List<Version> out = new ArrayList<>(files.size());
    for (Path file : files) {
      try {
        out.add(new Version(Files.getLastModifiedTime(file), Files.size(file)));
      } catch (IOException e) {
        out.add(MISSING);
      }
    }
    return out;
  }
}
