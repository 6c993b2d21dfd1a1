package org.redisalerts.bench.ws;

import java.nio.ByteBuffer;

/**
 * RFC 6455 framing, the part a load tool needs: encodes single-frame messages (masked, as a client
 * must send them, or unmasked, as a server sends them) and parses frames incrementally, joining
 * fragmented messages. Stateless apart from a {@link Reader}'s fragment buffer.
 */
public final class Frames {

  public static final int CONTINUATION = 0x0;
  public static final int TEXT = 0x1;
  public static final int BINARY = 0x2;
  public static final int CLOSE = 0x8;
  public static final int PING = 0x9;
  public static final int PONG = 0xA;

  private Frames() {}

  /** The encoded size of a frame with {@code payloadLength} bytes of payload. */
  public static int encodedLength(int payloadLength, boolean masked) {
    return headerLength(payloadLength, masked) + payloadLength;
  }

  private static int headerLength(long payloadLength, boolean masked) {
    int base = payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10;
    return masked ? base + 4 : base;
  }

  /**
   * Puts one final frame of {@code opcode} into {@code out}; masks the payload with {@code mask}
   * when {@code masked} (a client frame). {@code payload} is read from its position to its limit
   * and left unchanged.
   */
  public static void encode(
      ByteBuffer out, int opcode, ByteBuffer payload, boolean masked, int mask) {
    encode(out, opcode, true, payload, masked, mask);
  }

  /** As {@link #encode(ByteBuffer, int, ByteBuffer, boolean, int)}, with the FIN bit given. */
  public static void encode(
      ByteBuffer out, int opcode, boolean fin, ByteBuffer payload, boolean masked, int mask) {
    int length = payload.remaining();
    out.put((byte) ((fin ? 0x80 : 0) | opcode));
    int maskBit = masked ? 0x80 : 0;
    if (length < 126) {
      out.put((byte) (maskBit | length));
    } else if (length <= 0xFFFF) {
      out.put((byte) (maskBit | 126));
      out.putShort((short) length);
    } else {
      out.put((byte) (maskBit | 127));
      out.putLong(length);
    }
    int start = payload.position();
    if (!masked) {
      out.put(payload.duplicate());
      return;
    }
    out.putInt(mask);
    byte[] key = {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
    for (int i = 0; i < length; i++) {
      out.put((byte) (payload.get(start + i) ^ key[i & 3]));
    }
  }

  /** Receives what a {@link Reader} parses. Payload buffers are valid only during the call. */
  public interface Sink {
    /** A complete text or binary message (fragments joined). */
    void onMessage(int opcode, ByteBuffer payload);

    /** A control frame: close, ping or pong. */
    void onControl(int opcode, ByteBuffer payload);
  }

  /** A frame that breaks the protocol; the connection should be dropped. */
  public static final class ProtocolError extends Exception {
    private static final long serialVersionUID = 1L;

    ProtocolError(String message) {
      super(message);
    }
  }

  /**
   * Parses frames from buffers that hold whatever the socket gave; keeps the fragments of an
   * unfinished message. One reader per connection; not thread-safe.
   */
  public static final class Reader {
    private final int maxMessageBytes;
    private ByteBuffer fragments; // null unless inside a fragmented message; write mode
    private int fragmentOpcode;

    public Reader(int maxMessageBytes) {
      this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * Consumes every complete frame in {@code in} (from its position to its limit), unmasking in
     * place, and hands messages to {@code sink}. Leaves a partial frame unconsumed.
     *
     * @return 0 when {@code in} is used up, otherwise the encoded size of the partial frame at its
     *     position (or a lower bound on it, when even its header is incomplete), so that the caller
     *     can make room for it
     */
    public int read(ByteBuffer in, Sink sink) throws ProtocolError {
      while (in.hasRemaining()) {
        int start = in.position();
        int available = in.remaining();
        if (available < 2) {
          return 2;
        }
        int b0 = in.get(start) & 0xFF;
        int b1 = in.get(start + 1) & 0xFF;
        if ((b0 & 0x70) != 0) {
          throw new ProtocolError("reserved bits set (no extension was negotiated)");
        }
        boolean masked = (b1 & 0x80) != 0;
        int len7 = b1 & 0x7F;
        int header = len7 < 126 ? 2 : len7 == 126 ? 4 : 10;
        if (masked) {
          header += 4;
        }
        if (available < header) {
          return header;
        }
        long length =
            len7 < 126
                ? len7
                : len7 == 126 ? in.getShort(start + 2) & 0xFFFF : in.getLong(start + 2);
        if (length < 0 || length > maxMessageBytes) {
          throw new ProtocolError("frame of " + length + " bytes is over the limit");
        }
        int total = header + (int) length;
        if (available < total) {
          return total;
        }
        int payloadStart = start + header;
        if (masked) {
          int maskAt = payloadStart - 4;
          for (int i = 0; i < length; i++) {
            int at = payloadStart + i;
            in.put(at, (byte) (in.get(at) ^ in.get(maskAt + (i & 3))));
          }
        }
        ByteBuffer payload = in.duplicate();
        payload.limit(payloadStart + (int) length).position(payloadStart);
        in.position(start + total);
        deliver(b0, payload, sink);
      }
      return 0;
    }

    private void deliver(int b0, ByteBuffer payload, Sink sink) throws ProtocolError {
      boolean fin = (b0 & 0x80) != 0;
      int opcode = b0 & 0x0F;
      if (opcode >= 0x8) {
        if (!fin || payload.remaining() > 125) {
          throw new ProtocolError("a control frame must be final and at most 125 bytes");
        }
        sink.onControl(opcode, payload);
        return;
      }
      if (opcode == CONTINUATION) {
        if (fragments == null) {
          throw new ProtocolError("continuation frame without a message to continue");
        }
        if (fragments.position() + payload.remaining() > maxMessageBytes) {
          throw new ProtocolError("fragmented message is over the limit");
        }
        fragments = ensure(fragments, payload.remaining());
        fragments.put(payload);
        if (fin) {
          ByteBuffer whole = fragments.flip();
          fragments = null;
          sink.onMessage(fragmentOpcode, whole);
        }
        return;
      }
      if (opcode != TEXT && opcode != BINARY) {
        throw new ProtocolError("unknown opcode " + opcode);
      }
      if (fragments != null) {
        throw new ProtocolError("new message before the fragmented one ended");
      }
      if (fin) {
        sink.onMessage(opcode, payload);
        return;
      }
      fragmentOpcode = opcode;
      fragments = ensure(ByteBuffer.allocate(Math.max(256, payload.remaining() * 2)), 0);
      fragments = ensure(fragments, payload.remaining());
      fragments.put(payload);
    }

    private static ByteBuffer ensure(ByteBuffer buffer, int more) {
      if (buffer.remaining() >= more) {
        return buffer;
      }
      ByteBuffer bigger =
          ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + more));
      buffer.flip();
      bigger.put(buffer);
      return bigger;
    }
  }
}
