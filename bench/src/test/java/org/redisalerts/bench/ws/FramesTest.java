package org.redisalerts.bench.ws;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FramesTest {

  /** Records what a reader parsed, copying payloads (they are valid only during the call). */
  static final class Recorder implements Frames.Sink {
    final List<String> events = new ArrayList<>();

    @Override
    public void onMessage(int opcode, ByteBuffer payload) {
      events.add(opcode + ":" + UTF_8.decode(payload));
    }

    @Override
    public void onControl(int opcode, ByteBuffer payload) {
      events.add("control " + opcode + ":" + payload.remaining());
    }
  }

  private static ByteBuffer encode(int opcode, boolean fin, String text, boolean masked) {
    ByteBuffer payload = ByteBuffer.wrap(text.getBytes(UTF_8));
    ByteBuffer out = ByteBuffer.allocate(Frames.encodedLength(payload.remaining(), masked));
    Frames.encode(out, opcode, fin, payload, masked, 0x1234_5678);
    assertThat(out.hasRemaining()).as("encodedLength is exact").isFalse();
    return out.flip();
  }

  @Test
  void framesOfAllThreeLengthFormsRoundTripMaskedAndUnmasked() throws Exception {
    for (boolean masked : new boolean[] {false, true}) {
      for (int length : new int[] {0, 1, 125, 126, 127, 65_535, 65_536, 200_000}) {
        String text = "x".repeat(Math.max(0, length - 1)) + (length > 0 ? "y" : "");
        ByteBuffer frame = encode(Frames.TEXT, true, text, masked);
        int header = frame.remaining() - length;
        assertThat(header)
            .as("header of a %d-byte frame", length)
            .isEqualTo((length < 126 ? 2 : length <= 65_535 ? 4 : 10) + (masked ? 4 : 0));
        Recorder sink = new Recorder();
        assertThat(new Frames.Reader(1 << 20).read(frame, sink)).isZero();
        assertThat(sink.events).containsExactly("1:" + text);
      }
    }
  }

  @Test
  void aPartialFrameIsLeftInPlaceWithTheSizeItNeeds() throws Exception {
    ByteBuffer whole = encode(Frames.TEXT, true, "a".repeat(300), false);
    Frames.Reader reader = new Frames.Reader(4096);
    Recorder sink = new Recorder();

    ByteBuffer headerOnly = whole.duplicate().limit(3);
    assertThat(reader.read(headerOnly, sink)).isEqualTo(4); // 2 + 2 length bytes
    assertThat(headerOnly.position()).isZero();

    ByteBuffer most = whole.duplicate().limit(200);
    assertThat(reader.read(most, sink)).isEqualTo(304);
    assertThat(most.position()).isZero();
    assertThat(sink.events).isEmpty();

    assertThat(reader.read(whole, sink)).isZero();
    assertThat(sink.events).containsExactly("1:" + "a".repeat(300));
  }

  @Test
  void aFragmentedServerMessageIsJoinedAroundAPing() throws Exception {
    ByteBuffer stream = ByteBuffer.allocate(1024);
    stream.put(encode(Frames.TEXT, false, "{\"event\":", false));
    stream.put(encode(Frames.PING, true, "hi", false));
    stream.put(encode(Frames.CONTINUATION, false, "\"alert\",", false));
    stream.put(encode(Frames.CONTINUATION, true, "\"seq\":1}", false));
    stream.put(encode(Frames.TEXT, true, "next", false));
    stream.flip();
    Recorder sink = new Recorder();
    Frames.Reader reader = new Frames.Reader(4096);
    // Byte by byte, as a slow socket might hand it over.
    ByteBuffer arrived = ByteBuffer.allocate(1024);
    while (stream.hasRemaining()) {
      arrived.put(stream.get()).flip();
      reader.read(arrived, sink);
      arrived.compact();
    }
    assertThat(sink.events)
        .containsExactly("control 9:2", "1:{\"event\":\"alert\",\"seq\":1}", "1:next");
  }

  @Test
  void brokenFramesAreProtocolErrors() {
    Frames.Reader reader = new Frames.Reader(100);
    assertThatThrownBy(
            () -> reader.read(encode(Frames.TEXT, true, "x".repeat(101), false), new Recorder()))
        .isInstanceOf(Frames.ProtocolError.class);
    assertThatThrownBy(
            () ->
                new Frames.Reader(100)
                    .read(encode(Frames.CONTINUATION, true, "x", false), new Recorder()))
        .isInstanceOf(Frames.ProtocolError.class);
    ByteBuffer reserved = encode(Frames.TEXT, true, "x", false);
    reserved.put(0, (byte) (reserved.get(0) | 0x40));
    assertThatThrownBy(() -> new Frames.Reader(100).read(reserved, new Recorder()))
        .isInstanceOf(Frames.ProtocolError.class);
  }
}
