package org.redisalerts.relay;

import java.nio.ByteBuffer;
import java.util.List;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.Framedata;
import org.java_websocket.framing.TextFrame;

/**
 * A batch of alerts encoded once as consecutive WebSocket text frames, one per alert, in a single
 * buffer that every connection of the key shares. A connection queues the whole batch as one
 * buffer, so the selector writes it with one system call (or a few, when the socket's buffer fills)
 * instead of one per alert, and fan-out to C connections encodes the batch once instead of C times.
 *
 * <p>Immutable once built; {@link #frames()} hands out an independent view each time.
 */
final class AlertFrames {

  /**
   * Encodes server frames (never masked). {@link Draft_6455#createBinaryFrame} reads nothing that a
   * handshake would change on an instance that never takes part in one, so one instance serves
   * every thread.
   */
  private static final Draft_6455 ENCODER = new Draft_6455();

  private final ByteBuffer bytes;

  /** {@code ends[i]}: the offset in {@link #bytes} just past the frame of alert {@code i}. */
  private final int[] ends;

  private AlertFrames(ByteBuffer bytes, int[] ends) {
    this.bytes = bytes;
    this.ends = ends;
  }

  /** Encodes each entry as one final text frame whose payload is exactly its bytes. */
  static AlertFrames encode(List<byte[]> entries) {
    ByteBuffer[] frames = new ByteBuffer[entries.size()];
    int[] ends = new int[entries.size()];
    int length = 0;
    for (int i = 0; i < frames.length; i++) {
      TextFrame frame = new TextFrame();
      frame.setPayload(ByteBuffer.wrap(entries.get(i)));
      frame.setFin(true);
      frames[i] = ENCODER.createBinaryFrame(frame);
      length += frames[i].remaining();
      ends[i] = length;
    }
    ByteBuffer bytes = ByteBuffer.allocate(length);
    for (ByteBuffer frame : frames) {
      bytes.put(frame);
    }
    bytes.flip();
    return new AlertFrames(bytes, ends);
  }

  int count() {
    return ends.length;
  }

  /** Encoded length of the whole batch. */
  int length() {
    return bytes.remaining();
  }

  /** How many alerts' frames lie wholly within the first {@code bytes} of the batch. */
  int framesWithin(long bytes) {
    int lo = 0;
    int hi = ends.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ends[mid] <= bytes) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The batch as one piece of outgoing data for a connection (see {@link QueuedBytesDraft}). */
  Framedata frames() {
    return new Encoded(bytes.duplicate());
  }

  /**
   * Already-encoded frames passing through the library's send path as if they were one frame:
   * {@link QueuedBytesDraft} queues their bytes as they are. Never given to any other draft.
   */
  static final class Encoded extends TextFrame {
    private Encoded(ByteBuffer bytes) {
      setPayload(bytes);
    }
  }
}
