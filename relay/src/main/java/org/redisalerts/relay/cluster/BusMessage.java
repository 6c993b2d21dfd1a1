package org.redisalerts.relay.cluster;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A message between relays of one watch list (SPEC 10), and its bytes on a pub/sub channel: a type,
 * the sender's token, the key, then what the type carries. Binary, since alerts are bytes.
 *
 * @param type what it says
 * @param from the sender's token (where to answer)
 * @param key the recipient key it is about
 * @param id for {@link Type#BATCH}, {@link Type#REPORT} and {@link Type#ROOM}: the batch's number
 *     at its owner
 * @param entries for {@link Type#BATCH}: the alerts, oldest first
 * @param count for {@link Type#REPORT}: how many of the batch's alerts were delivered there; for
 *     {@link Type#JOIN}: 1 when the sender's connections of the key acknowledge; for {@link
 *     Type#HINT}: 1 when the sender has connections of the key and counts on this relay to forward
 *     its batches; for {@link Type#ROOM}: how many more alerts its acknowledging connections of the
 *     key may be sent
 */
public record BusMessage(
    Type type, String from, String key, long id, List<byte[]> entries, int count) {

  /** The kinds of message. */
  public enum Type {
    /** Owner to a relay with connections of the key: write these alerts to them. */
    BATCH,
    /** That relay to the owner: this many of the batch were delivered here. */
    REPORT,
    /** A relay to the owner: it has connections of the key now. */
    JOIN,
    /** A relay to the owner: it has no connection of the key any more. */
    LEAVE,
    /** A relay to the owner: a watch entry for the key came here. */
    HINT,
    /** The owner, stopping, to the relays with connections of the key: it is free. */
    TAKE_OVER,
    /** The owner to a relay that joined: every batch read from now on is forwarded to it. */
    JOINED,
    /**
     * A relay with acknowledging connections of the key to the owner: they took the batch {@code
     * id} and every one before it into their sockets, and have room for {@code count} more alerts
     * (their acknowledgements still to come). Sent when they took a batch, and again when
     * acknowledgements free half a window.
     */
    ROOM
  }

  public static BusMessage batch(String from, String key, long id, List<byte[]> entries) {
    return new BusMessage(Type.BATCH, from, key, id, entries, entries.size());
  }

  public static BusMessage report(String from, String key, long id, int delivered) {
    return new BusMessage(Type.REPORT, from, key, id, List.of(), delivered);
  }

  public static BusMessage room(String from, String key, long id, int room) {
    return new BusMessage(Type.ROOM, from, key, id, List.of(), room);
  }

  public static BusMessage join(String from, String key, boolean acknowledging) {
    return new BusMessage(Type.JOIN, from, key, 0, List.of(), acknowledging ? 1 : 0);
  }

  /**
   * A watch entry for {@code key} came to {@code from}; {@code joined} when {@code from} counts on
   * the receiver to forward the key's batches to its connections.
   */
  public static BusMessage hint(String from, String key, boolean joined) {
    return new BusMessage(Type.HINT, from, key, 0, List.of(), joined ? 1 : 0);
  }

  public static BusMessage of(Type type, String from, String key) {
    return new BusMessage(type, from, key, 0, List.of(), 0);
  }

  /** The message's bytes. */
  public byte[] encode() {
    byte[] fromBytes = from.getBytes(UTF_8);
    byte[] keyBytes = key.getBytes(UTF_8);
    int size = 1 + 4 + fromBytes.length + 4 + keyBytes.length + 8 + 4;
    for (byte[] e : entries) {
      size += 4 + e.length;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put((byte) type.ordinal());
    out.putInt(fromBytes.length).put(fromBytes);
    out.putInt(keyBytes.length).put(keyBytes);
    out.putLong(id);
    out.putInt(type == Type.BATCH ? entries.size() : count);
    for (byte[] e : entries) {
      out.putInt(e.length).put(e);
    }
    return out.array();
  }

  /**
   * Reads a message.
   *
   * @throws IllegalArgumentException when the bytes are not one (another version, or noise)
   */
  public static BusMessage decode(byte[] bytes) {
    try {
      ByteBuffer in = ByteBuffer.wrap(bytes);
      int t = in.get();
      if (t < 0 || t >= Type.values().length) {
        throw new IllegalArgumentException("unknown message type " + t);
      }
      Type type = Type.values()[t];
      String from = string(in);
      String key = string(in);
      long id = in.getLong();
      int count = in.getInt();
      List<byte[]> entries = List.of();
      if (type == Type.BATCH) {
        if (count < 0 || count > in.remaining() / 4) {
          throw new IllegalArgumentException("bad entry count " + count);
        }
        entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          entries.add(bytes(in));
        }
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException("trailing bytes");
      }
      return new BusMessage(type, from, key, id, entries, count);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated message", e);
    }
  }

  private static String string(ByteBuffer in) {
    return new String(bytes(in), UTF_8);
  }

  private static byte[] bytes(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException("bad length " + length);
    }
    byte[] b = new byte[length];
    in.get(b);
    return b;
  }
}
