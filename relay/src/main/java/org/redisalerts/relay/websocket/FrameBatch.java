package org.redisalerts.relay.websocket;

import java.nio.ByteBuffer;
import java.util.List;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.TextFrame;

/**
 * A batch of alerts encoded once as consecutive WebSocket text frames, one per alert, in a single
 * buffer that every connection of the key shares: the selector writes a batch with one system call
 * per connection (or a few, when the socket's buffer fills), and fan-out to C connections encodes
 * it once instead of C times.
 *
 * <p>Immutable once built; {@link #bytes()} hands out an independent view each time.
 */
public final class FrameBatch {

  /**
   * Encodes server frames (never masked). {@link Draft_6455#createBinaryFrame} reads nothing that a
   * handshake would change on an instance that never takes part in one, so one instance serves
   * every thread.
   */
  private static final Draft_6455 ENCODER = new Draft_6455();

  private final ByteBuffer bytes;

  /** {@code ends[i]}: the offset just past the frame of alert {@code i}. */
  private final int[] ends;

  private FrameBatch(ByteBuffer bytes, int[] ends) {
    this.bytes = bytes;
    this.ends = ends;
  }

  /** Encodes each entry as one final text frame whose payload is exactly its bytes. */
  public static FrameBatch encode(List<byte[]> entries) {
    ByteBuffer[] frames = new ByteBuffer[entries.size()];
    int[] ends = new int[entries.size()];
    int length = 0;
    for (int i = 0; i < frames.length; i++) {
      frames[i] = encodeText(entries.get(i));
      length += frames[i].remaining();
      ends[i] = length;
    }
    ByteBuffer bytes = ByteBuffer.allocate(length);
    for (ByteBuffer frame : frames) {
      bytes.put(frame);
    }
    bytes.flip();
    return new FrameBatch(bytes, ends);
  }

  /** One final text frame whose payload is {@code payload}, as a server sends it. */
  static ByteBuffer encodeText(byte[] payload) {
    TextFrame frame = new TextFrame();
    frame.setPayload(ByteBuffer.wrap(payload));
    frame.setFin(true);
    return ENCODER.createBinaryFrame(frame);
  }

  public int count() {
    return ends.length;
  }

  /** The frames of alerts {@code first} to the last, sharing this batch's bytes. */
  public FrameBatch from(int first) {
    if (first == 0) {
      return this;
    }
    int start = ends[first - 1];
    ByteBuffer tail = bytes.duplicate();
    tail.position(tail.position() + start);
    int[] tailEnds = new int[ends.length - first];
    for (int i = 0; i < tailEnds.length; i++) {
      tailEnds[i] = ends[first + i] - start;
    }
    return new FrameBatch(tail.slice(), tailEnds);
  }

  /** Encoded length of the whole batch. */
  public int length() {
    return bytes.remaining();
  }

  /** How many alerts' frames lie wholly within the first {@code written} bytes of the batch. */
  public int framesWithin(long written) {
    int lo = 0;
    int hi = ends.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ends[mid] <= written) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * The end of the frame that byte {@code offset} falls in, or {@code offset} itself when it is a
   * frame boundary: where a batch may be cut without breaking a frame.
   */
  int boundaryAtOrAfter(long offset) {
    int whole = framesWithin(offset);
    int end = whole == 0 ? 0 : ends[whole - 1];
    if (end == offset || whole == ends.length) {
      return end;
    }
    return ends[whole];
  }

  /** The encoded frames, as a view of their own. */
  ByteBuffer bytes() {
    return bytes.duplicate();
  }
}
