package org.redisalerts.relay.websocket;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Role;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.Handshakedata;
import org.junit.jupiter.api.Test;

/**
 * What {@link SocketServer} assumes of Java-WebSocket 1.6.0, each pinned here on the library alone
 * (no sockets): an upgrade of the library that breaks one of them fails this test, not delivery in
 * production.
 */
class JavaWebSocketContractTest {

  /** Records every callback the library makes. */
  private static final class Recorder extends WebSocketAdapter {
    final List<String> calls = new ArrayList<>();
    int writeDemands;

    @Override
    public synchronized void onWebsocketOpen(WebSocket conn, Handshakedata d) {
      calls.add("open");
    }

    @Override
    public synchronized void onWebsocketMessage(WebSocket conn, String message) {
      calls.add("text:" + message);
    }

    @Override
    public synchronized void onWebsocketMessage(WebSocket conn, ByteBuffer blob) {
      calls.add("binary");
    }

    @Override
    public synchronized void onWebsocketClose(
        WebSocket ws, int code, String reason, boolean remote) {
      calls.add("close:" + code + ":" + remote);
    }

    @Override
    public void onWebsocketClosing(WebSocket ws, int code, String reason, boolean remote) {}

    @Override
    public void onWebsocketCloseInitiated(WebSocket ws, int code, String reason) {}

    @Override
    public void onWebsocketError(WebSocket conn, Exception ex) {}

    @Override
    public synchronized void onWebsocketPing(WebSocket conn, Framedata f) {
      calls.add("ping");
    }

    @Override
    public synchronized void onWebsocketPong(WebSocket conn, Framedata f) {
      calls.add("pong");
    }

    @Override
    public synchronized void onWriteDemand(WebSocket conn) {
      writeDemands++;
    }

    @Override
    public InetSocketAddress getLocalSocketAddress(WebSocket conn) {
      return new InetSocketAddress("127.0.0.1", 1);
    }

    @Override
    public InetSocketAddress getRemoteSocketAddress(WebSocket conn) {
      return new InetSocketAddress("127.0.0.1", 2);
    }
  }

  /** A channel the library may only close: reading or writing it would be a broken assumption. */
  private static final class CloseOnlyChannel implements ByteChannel {
    int closes;

    @Override
    public int read(ByteBuffer dst) {
      throw new AssertionError("the library read the channel itself");
    }

    @Override
    public int write(ByteBuffer src) {
      throw new AssertionError("the library wrote the channel itself");
    }

    @Override
    public boolean isOpen() {
      return closes == 0;
    }

    @Override
    public void close() {
      closes++;
    }
  }

  private static final String UPGRADE =
      "GET /app HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          + "Origin: https://example.org\r\n\r\n";

  private final Recorder listener = new Recorder();
  private final CloseOnlyChannel channel = new CloseOnlyChannel();

  private WebSocketImpl serverConnection() {
    WebSocketImpl impl = new WebSocketImpl(listener, List.of(new LimitedDraft(4096)));
    impl.setChannel(channel);
    return impl;
  }

  private WebSocketImpl openConnection() {
    WebSocketImpl impl = serverConnection();
    impl.decode(ByteBuffer.wrap(UPGRADE.getBytes(US_ASCII)));
    impl.outQueue.clear();
    return impl;
  }

  /** A masked client frame. */
  private static ByteBuffer clientFrame(boolean fin, int opcode, byte[] payload) {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write((fin ? 0x80 : 0) | opcode);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else {
      frame.write(0x80 | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length);
    }
    byte[] mask = {1, 2, 3, 4};
    frame.writeBytes(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i & 3]);
    }
    return ByteBuffer.wrap(frame.toByteArray());
  }

  @Test
  void decodeRunsTheHandshakeQueuesTheResponseAndDemandsAWrite() {
    WebSocketImpl impl = serverConnection();
    impl.decode(ByteBuffer.wrap(UPGRADE.getBytes(US_ASCII)));
    assertThat(listener.calls).containsExactly("open");
    assertThat(impl.isOpen()).isTrue();
    ByteBuffer response = impl.outQueue.peek();
    assertThat(response).as("the response is in the public outQueue").isNotNull();
    assertThat(US_ASCII.decode(response.duplicate()).toString()).startsWith("HTTP/1.1 101");
    assertThat(listener.writeDemands).as("a write demand after queuing").isPositive();
  }

  @Test
  void everyFrameSentGoesThroughTheOutQueueFollowedByAWriteDemand() {
    WebSocketImpl impl = openConnection();
    int before = listener.writeDemands;
    impl.send("hello");
    impl.sendPing();
    assertThat(impl.outQueue).hasSize(2);
    assertThat(listener.writeDemands).isEqualTo(before + 2);
    assertThat(channel.closes).isZero();
  }

  @Test
  void framesAreDecodedAndControlFramesReported() {
    WebSocketImpl impl = openConnection();
    impl.decode(clientFrame(true, 1, "one".getBytes(UTF_8)));
    impl.decode(clientFrame(true, 9, new byte[0]));
    impl.decode(clientFrame(true, 10, new byte[0]));
    impl.decode(clientFrame(true, 2, new byte[] {1}));
    assertThat(listener.calls).containsExactly("open", "text:one", "ping", "pong", "binary");
  }

  @Test
  void processFrameSeesEveryContinuationSoFragmentsAreLimitedAsAssembled() {
    WebSocketImpl impl = openConnection();
    impl.decode(clientFrame(false, 1, new byte[3000]));
    impl.decode(clientFrame(false, 0, new byte[3000]));
    assertThat(impl.isOpen()).as("closing once the fragments pass 4096 bytes").isFalse();
    assertThat(impl.isFlushAndClose()).isTrue();
  }

  @Test
  void closeSendsItsFrameHoldingTheConnectionsMonitor() throws Exception {
    WebSocketImpl impl = openConnection();
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread holder =
        new Thread(
            () -> {
              synchronized (impl) {
                holding.countDown();
                try {
                  release.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });
    holder.start();
    holding.await();
    CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> impl.close(1001, "bye"));
    assertThat(closing)
        .as("close waits for the monitor our senders hold while they queue")
        .isNotCompleted();
    assertThat(impl.outQueue).isEmpty();
    release.countDown();
    closing.get(5, TimeUnit.SECONDS);
    holder.join();
    assertThat(impl.outQueue).hasSize(1);
    assertThat(impl.isOpen()).isFalse();
    assertThat(impl.isFlushAndClose()).isTrue();
    assertThat(listener.calls).as("not closed until the frame is written").containsExactly("open");
  }

  @Test
  void closeConnectionClosesTheChannelAndReportsOnce() {
    WebSocketImpl impl = openConnection();
    impl.close(1001, "bye");
    impl.closeConnection();
    impl.closeConnection(CloseFrame.ABNORMAL_CLOSE, "again", false);
    assertThat(channel.closes).isEqualTo(1);
    assertThat(listener.calls).containsExactly("open", "close:1001:false");
  }

  @Test
  void theEndOfTheStreamClosesAbnormally() {
    WebSocketImpl impl = openConnection();
    impl.eot();
    assertThat(listener.calls).containsExactly("open", "close:1006:true");
    assertThat(channel.closes).isEqualTo(1);
  }

  @Test
  void aConnectionClosedBeforeItsHandshakeIsReportedAndItsChannelClosed() {
    WebSocketImpl impl = serverConnection();
    impl.closeConnection(CloseFrame.NEVER_CONNECTED, "deadline", false);
    assertThat(channel.closes).isEqualTo(1);
    assertThat(listener.calls).containsExactly("close:" + CloseFrame.NEVER_CONNECTED + ":false");
  }

  @Test
  void theUpgradeRequestParserReadsHeadersCaseInsensitivelyAndJoinsRepeats() throws Exception {
    String twice = UPGRADE.replace("Origin: https://example.org\r\n", "origin: a\r\nORIGIN: b\r\n");
    ClientHandshake request =
        (ClientHandshake)
            Draft.translateHandshakeHttp(ByteBuffer.wrap(twice.getBytes(US_ASCII)), Role.SERVER);
    assertThat(request.getFieldValue("Origin")).isEqualTo("a; b");
    assertThat(request.getFieldValue("X-Missing")).isEmpty();
    assertThat(request.getResourceDescriptor()).isEqualTo("/app");
  }

  @Test
  void serverTextFramesAreEncodedAsRfc6455Says() {
    ByteBuffer frame = FrameBatch.encodeText(new byte[] {'h', 'i'});
    assertThat(frame.remaining()).isEqualTo(4);
    assertThat(frame.get(0)).isEqualTo((byte) 0x81);
    assertThat(frame.get(1)).isEqualTo((byte) 2);
    assertThat(new Draft_6455().getRole()).isNull();
  }
}
