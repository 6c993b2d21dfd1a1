package org.redisalerts.relay.dispatch;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.redisalerts.common.DeadLetter;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.relay.redis.OversizedEntry;
import org.redisalerts.relay.websocket.FrameBatch;

/**
 * Makes a {@link Batch} of the entries a step read: each is checked without being re-serialised;
 * the alerts become its frames, and a bad entry (not an alert, not forwarded, larger than a batch
 * may be) its dead-letter record, with the key, the reason and the time.
 */
final class BatchInspector {

  private final JsonCodec codec;
  private final long claimBytes;
  private final Set<String> forwardEvents;

  /**
   * @param claimBytes the most bytes a step reads of a key (an entry larger comes as a marker)
   * @param forwardEvents the {@code event} values that are forwarded
   */
  BatchInspector(JsonCodec codec, long claimBytes, Set<String> forwardEvents) {
    this.codec = codec;
    this.claimBytes = claimBytes;
    this.forwardEvents = forwardEvents;
  }

  Batch inspect(String key, List<byte[]> entries) {
    List<byte[]> alerts = new ArrayList<>(entries.size());
    int[] positions = new int[entries.size()];
    List<Batch.Dead> dead = List.of();
    Instant now = null;
    for (int i = 0; i < entries.size(); i++) {
      byte[] entry = entries.get(i);
      OversizedEntry oversized = OversizedEntry.of(entry);
      String reason;
      if (oversized != null) {
        reason = oversized.reason(claimBytes);
        entry = oversized.head();
      } else {
        reason = codec.checkAlert(entry, forwardEvents);
      }
      if (reason == null) {
        positions[alerts.size()] = i;
        alerts.add(entry);
      } else {
        if (now == null) {
          now = Instant.now();
          dead = new ArrayList<>();
        }
        DeadLetter letter = DeadLetter.of(key, entry, reason, now);
        dead.add(new Batch.Dead(i, reason, codec.writeBytes(letter)));
      }
    }
    return new Batch(entries, FrameBatch.encode(alerts), positions, dead, System.nanoTime());
  }
}
