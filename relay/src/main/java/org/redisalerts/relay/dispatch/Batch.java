package org.redisalerts.relay.dispatch;

import java.util.ArrayList;
import java.util.List;
import org.redisalerts.relay.websocket.FrameBatch;

/**
 * Entries read from one list in one step, as they are sent: the alerts encoded once for every
 * connection of the key, and the bad entries set aside for the dead-letter list.
 *
 * @param entries every entry read, oldest first (what the list's head holds)
 * @param frames the alerts among them, encoded
 * @param alertPositions for each alert, its position among the entries
 * @param dead the bad entries
 * @param readAt when the step read them (nanoTime)
 */
record Batch(
    List<byte[]> entries, FrameBatch frames, int[] alertPositions, List<Dead> dead, long readAt) {

  /** A bad entry, its position among the entries, and its dead-letter record. */
  record Dead(int position, String reason, byte[] record) {}

  int size() {
    return entries.size();
  }

  /** What the batch holds while it is out: its entries as read and its encoded frames. */
  long heldBytes() {
    long bytes = frames.length();
    for (byte[] entry : entries) {
      bytes += entry.length;
    }
    return bytes;
  }

  /** The alerts, oldest first (the entries that are sent). */
  List<byte[]> alerts() {
    List<byte[]> alerts = new ArrayList<>(frames.count());
    for (int i = 0; i < frames.count(); i++) {
      alerts.add(entries.get(alertPositions[i]));
    }
    return alerts;
  }

  /**
   * How many entries from the head are finished when {@code written} alerts (from the first) were
   * written: the alerts written and the bad entries before the first alert that was not.
   */
  int finished(int written) {
    return written >= frames.count() ? entries.size() : alertPositions[written];
  }

  /** The bad entries at positions {@code from} (inclusive) to {@code to} (exclusive). */
  List<Dead> deadBetween(int from, int to) {
    List<Dead> between = new ArrayList<>(dead.size());
    for (Dead d : dead) {
      if (d.position() >= from && d.position() < to) {
        between.add(d);
      }
    }
    return between;
  }

  /** How many alerts are at positions {@code from} (inclusive) to {@code to} (exclusive). */
  int alertsBetween(int from, int to) {
    int count = 0;
    for (int i = 0; i < frames.count(); i++) {
      if (alertPositions[i] >= from && alertPositions[i] < to) {
        count++;
      }
    }
    return count;
  }
}
