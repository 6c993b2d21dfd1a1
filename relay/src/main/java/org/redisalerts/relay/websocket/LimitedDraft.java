package org.redisalerts.relay.websocket;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.InvalidFrameException;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.exceptions.LimitExceededException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.HandshakeBuilder;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.redisalerts.common.DecodedText;

/**
 * RFC 6455 with a limit on every message a client sends, counted as it is assembled: the library
 * checks each frame against its limit, and a fragmented message only at its first and last frame,
 * so a client that sends continuation frames and never the final one would be buffered without
 * bound. Here the message closes with 1009 as soon as its fragments pass the limit. Every fragment
 * counts as at least {@link #FRAGMENT_COST} bytes, for what the library keeps per fragment: empty
 * continuation frames, 6 bytes each on the wire, would otherwise add nothing to the count while the
 * library holds a buffer for each. (A message in one frame counts its bytes only.)
 *
 * <p>The handshake response carries what RFC 6455 4.2.2 requires and nothing else: the library's
 * adds a Date header made with a new SimpleDateFormat for every connection, which a storm of
 * reconnecting clients pays for ten thousand times, and a Server header that names the library.
 *
 * <p>Every frame a client sends must be masked (RFC 6455 5.1: the server closes the connection on
 * one that is not, with 1002); the library unmasks what is masked and takes the rest as it is, so
 * the draft walks the client's bytes frame by frame to see the mask bit of each. On the way it
 * checks that a close frame's reason is UTF-8 (1007 if not, RFC 6455 8.1), which the library fails
 * to do.
 *
 * <p>One instance per connection (the library copies the draft for each handshake); frames of one
 * connection are processed by one thread at a time.
 */
final class LimitedDraft extends Draft_6455 {

  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  /**
   * What a fragment counts for at least: about what the library holds for one (a ByteBuffer in its
   * list of fragments), so a message under the limit has at most limit / 64 fragments.
   */
  static final int FRAGMENT_COST = 64;

  private final int maxMessageBytes;

  /** Bytes of the message being assembled. Only touched by the connection's decoder. */
  private long assembled;

  /** The current frame's header as far as it has come: two bytes and the extended length. */
  private final byte[] header = new byte[10];

  private int headerBytes;

  /** Bytes of the current frame still to come after its header: mask key and payload. */
  private long frameLeft;

  /**
   * The current frame's mask key and payload when it is a close frame (at most 4 + 125 bytes, RFC
   * 6455 5.5), to check its reason; null for any other frame.
   */
  private byte[] close;

  private int closeBytes;

  LimitedDraft(int maxMessageBytes) {
    super(Collections.emptyList(), maxMessageBytes);
    this.maxMessageBytes = maxMessageBytes;
  }

  @Override
  public Draft copyInstance() {
    return new LimitedDraft(maxMessageBytes);
  }

  @Override
  public HandshakeBuilder postProcessHandshakeResponseAsServer(
      ClientHandshake request, ServerHandshakeBuilder response) throws InvalidHandshakeException {
    String key = request.getFieldValue("Sec-WebSocket-Key");
    if (key == null || key.isEmpty()) {
      throw new InvalidHandshakeException("missing Sec-WebSocket-Key");
    }
    response.put("Upgrade", "websocket");
    response.put("Connection", "Upgrade");
    response.put("Sec-WebSocket-Accept", accept(key));
    response.setHttpStatusMessage("Switching Protocols");
    return response;
  }

  /** The Sec-WebSocket-Accept value for a client's key (RFC 6455 4.2.2). */
  static String accept(String key) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-1")
              .digest((key.trim() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-1", e);
    }
  }

  @Override
  public List<Framedata> translateFrame(ByteBuffer buffer) throws InvalidDataException {
    checkFrames(buffer);
    return super.translateFrame(buffer);
  }

  /**
   * Follows the frames in {@code buffer} (without consuming it), which continues what the client
   * sent before; throws on the first frame without the mask bit (1002), and on a close frame whose
   * reason is not UTF-8 (1007). The library would fail on that one with a NullPointerException
   * (Java-WebSocket 1.6.0, CloseFrame.isValid after its reason could not be decoded).
   */
  private void checkFrames(ByteBuffer buffer) throws InvalidDataException {
    int at = buffer.position();
    int end = buffer.limit();
    while (at < end) {
      if (frameLeft > 0) {
        int skip = (int) Math.min(frameLeft, end - at);
        if (close != null) {
          int n = Math.min(skip, close.length - closeBytes);
          buffer.get(at, close, closeBytes, n);
          closeBytes += n;
        }
        at += skip;
        frameLeft -= skip;
        if (frameLeft == 0 && close != null) {
          checkCloseReason();
        }
        continue;
      }
      header[headerBytes++] = buffer.get(at++);
      if (headerBytes < 2) {
        continue;
      }
      if ((header[1] & 0x80) == 0) {
        throw new InvalidFrameException("client frames must be masked");
      }
      int shortLength = header[1] & 0x7f;
      int extended = shortLength == 126 ? 2 : shortLength == 127 ? 8 : 0;
      if (headerBytes < 2 + extended) {
        continue;
      }
      long length = shortLength;
      if (extended > 0) {
        length = 0;
        for (int i = 2; i < 2 + extended; i++) {
          length = (length << 8) | (header[i] & 0xff);
        }
      }
      frameLeft = 4 + (length < 0 ? Long.MAX_VALUE - 4 : length); // the library refuses a huge one
      headerBytes = 0;
      int opcode = header[0] & 0x0f;
      if (opcode < 8 && (length < 0 || length > maxMessageBytes)) {
        // A data frame larger than a whole message may be: refused as the message it starts, with
        // the same reason as one assembled from fragments (the library's own differ by size).
        throw new LimitExceededException(
            "message over " + maxMessageBytes + " bytes", maxMessageBytes);
      }
      boolean closeFrame = opcode == 8;
      // A longer one is refused by the library as a control frame over 125 bytes.
      close = closeFrame && length > 2 && length <= 125 ? new byte[4 + (int) length] : null;
      closeBytes = 0;
    }
  }

  /** The close frame just read: its reason (after the 2-byte code), unmasked, must be UTF-8. */
  private void checkCloseReason() throws InvalidDataException {
    byte[] frame = close;
    close = null;
    byte[] reason = new byte[frame.length - 6];
    for (int i = 0; i < reason.length; i++) {
      reason[i] = (byte) (frame[6 + i] ^ frame[(2 + i) % 4]);
    }
    if (DecodedText.utf8OrNull(reason) == null) {
      throw new InvalidDataException(CloseFrame.NO_UTF8, "close reason is not UTF-8");
    }
  }

  @Override
  public void processFrame(WebSocketImpl connection, Framedata frame) throws InvalidDataException {
    Opcode op = frame.getOpcode();
    boolean data = op == Opcode.TEXT || op == Opcode.BINARY || op == Opcode.CONTINUOUS;
    if (data) {
      int bytes = frame.getPayloadData().remaining();
      boolean fragment = op == Opcode.CONTINUOUS || !frame.isFin();
      assembled =
          (op == Opcode.CONTINUOUS ? assembled : 0)
              + (fragment ? Math.max(FRAGMENT_COST, bytes) : bytes);
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
