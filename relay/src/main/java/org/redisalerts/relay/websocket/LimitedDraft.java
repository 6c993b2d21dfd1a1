package org.redisalerts.relay.websocket;

import java.util.Collections;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.LimitExceededException;
import org.java_websocket.framing.Framedata;

/**
 * RFC 6455 with a limit on every message a client sends, counted as it is assembled: the library
 * checks each frame against its limit, and a fragmented message only at its first and last frame,
 * so a client that sends continuation frames and never the final one would be buffered without
 * bound. Here the message closes with 1009 as soon as its fragments pass the limit.
 *
 * <p>One instance per connection (the library copies the draft for each handshake); frames of one
 * connection are processed by one thread at a time.
 */
final class LimitedDraft extends Draft_6455 {

  private final int maxMessageBytes;

  /** Bytes of the message being assembled. Only touched by the connection's decoder. */
  private long assembled;

  LimitedDraft(int maxMessageBytes) {
    super(Collections.emptyList(), maxMessageBytes);
    this.maxMessageBytes = maxMessageBytes;
  }

  @Override
  public Draft copyInstance() {
    return new LimitedDraft(maxMessageBytes);
  }

  @Override
  public void processFrame(WebSocketImpl connection, Framedata frame) throws InvalidDataException {
    Opcode op = frame.getOpcode();
    boolean data = op == Opcode.TEXT || op == Opcode.BINARY || op == Opcode.CONTINUOUS;
    if (data) {
      assembled = (op == Opcode.CONTINUOUS ? assembled : 0) + frame.getPayloadData().remaining();
      if (assembled > maxMessageBytes) {
        assembled = 0;
        throw new LimitExceededException(
            "message over " + maxMessageBytes + " bytes", maxMessageBytes);
      }
    }
    super.processFrame(connection, frame);
    if (data && frame.isFin()) {
      assembled = 0;
    }
  }
}
