package org.redisalerts.relay.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.framing.Framedata;
import org.junit.jupiter.api.Test;

/** A batch encoded once: frames a client's parser reads back exactly, and where each ends. */
class FrameBatchTest {

  private static byte[] entry(int length) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = (byte) ('a' + i % 26);
    }
    return bytes;
  }

  /** Every length form of RFC 6455 5.2: 7-bit, 16-bit and 64-bit payload lengths. */
  private static final List<byte[]> ENTRIES =
      List.of(
          entry(0),
          entry(1),
          entry(125),
          entry(126),
          entry(65_535),
          entry(65_536),
          "{\"event\":\"alert\",\"m\":\"é ✓ 😀\"}".getBytes(StandardCharsets.UTF_8));

  @Test
  void aClientParserReadsBackEachEntryAsOneFinalTextFrame() throws Exception {
    FrameBatch frames = FrameBatch.encode(ENTRIES);
    Draft_6455 client = new Draft_6455();
    List<Framedata> parsed = client.translateFrame(frames.bytes());

    assertThat(parsed).hasSize(ENTRIES.size());
    List<byte[]> payloads = new ArrayList<>();
    for (Framedata frame : parsed) {
      assertThat(frame.getOpcode()).isEqualTo(Opcode.TEXT);
      assertThat(frame.isFin()).isTrue();
      assertThat(frame.getTransfereMasked()).isFalse();
      ByteBuffer payload = frame.getPayloadData();
      byte[] bytes = new byte[payload.remaining()];
      payload.get(bytes);
      payloads.add(bytes);
    }
    assertThat(payloads).containsExactlyElementsOf(ENTRIES);
  }

  @Test
  void framesWithinCountsOnlyFramesWhollyWritten() {
    // Header sizes: 2 bytes up to 125 bytes of payload, 4 up to 65,535, 10 beyond.
    FrameBatch frames = FrameBatch.encode(List.of(entry(10), entry(200), entry(70_000)));
    int first = 2 + 10;
    int second = first + 4 + 200;
    int third = second + 10 + 70_000;
    assertThat(frames.length()).isEqualTo(third);
    assertThat(frames.count()).isEqualTo(3);

    assertThat(frames.framesWithin(-5)).isZero();
    assertThat(frames.framesWithin(0)).isZero();
    assertThat(frames.framesWithin(first - 1)).isZero();
    assertThat(frames.framesWithin(first)).isEqualTo(1);
    assertThat(frames.framesWithin(second - 1)).isEqualTo(1);
    assertThat(frames.framesWithin(second)).isEqualTo(2);
    assertThat(frames.framesWithin(third - 1)).isEqualTo(2);
    assertThat(frames.framesWithin(third)).isEqualTo(3);
    assertThat(frames.framesWithin(third + 1_000L)).isEqualTo(3);
  }

  @Test
  void eachConnectionGetsItsOwnViewOfTheSharedBytes() {
    FrameBatch frames = FrameBatch.encode(List.of(entry(50), entry(60)));
    ByteBuffer one = frames.bytes();
    ByteBuffer two = frames.bytes();
    one.position(one.limit());
    assertThat(two.remaining()).isEqualTo(frames.length());
    assertThat(frames.bytes().remaining()).isEqualTo(frames.length());
  }
}
