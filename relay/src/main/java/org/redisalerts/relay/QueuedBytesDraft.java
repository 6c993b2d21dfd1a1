package org.redisalerts.relay;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.Handshakedata;

/**
 * RFC 6455 with a running count of the bytes put on one connection's outgoing queue. Every byte the
 * library sends (handshake, data, ping, pong, close) is encoded here first, so together with {@link
 * WrittenBytesChannel} the relay can tell when a frame it sent has reached the socket: its end
 * offset is at most this count read right after sending it. A batch of alerts the relay encoded
 * itself ({@link AlertFrames}) is queued as it is.
 *
 * <p>One instance per connection (the library copies the draft on each handshake).
 */
final class QueuedBytesDraft extends Draft_6455 {

  private final AtomicLong queued = new AtomicLong();

  /**
   * @param maxFrameBytes largest frame payload accepted from a client
   */
  QueuedBytesDraft(int maxFrameBytes) {
    super(Collections.emptyList(), maxFrameBytes);
  }

  @Override
  public Draft copyInstance() {
    return new QueuedBytesDraft(getMaxFrameSize());
  }

  @Override
  public ByteBuffer createBinaryFrame(Framedata framedata) {
    ByteBuffer frame =
        framedata instanceof AlertFrames.Encoded encoded
            ? encoded.getPayloadData()
            : super.createBinaryFrame(framedata);
    queued.addAndGet(frame.remaining());
    return frame;
  }

  @Override
  public List<ByteBuffer> createHandshake(Handshakedata handshakedata, boolean withcontent) {
    List<ByteBuffer> handshake = super.createHandshake(handshakedata, withcontent);
    for (ByteBuffer b : handshake) {
      queued.addAndGet(b.remaining());
    }
    return handshake;
  }

  /** Bytes encoded for this connection so far. */
  long queuedBytes() {
    return queued.get();
  }
}
