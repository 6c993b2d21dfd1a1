package org.redisalerts.bench;

import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.java_websocket.WebSocket;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.Framedata;
import org.java_websocket.framing.TextFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/**
 * The tool's own ceiling: the same clients against a trivial in-process sender that writes the
 * alerts straight to the sockets (no Redis, no relay), in batches encoded once and written with one
 * call per connection, as the relay writes them. A relay result close to this number is limited by
 * the tool, not the relay.
 */
public final class CeilingRun {

  /** Alerts per batch, as many as the relay claims at once by default. */
  private static final int BATCH = 500;

  private final String name;
  private final LoadSpec shape;
  private final int warmup;

  public CeilingRun(String name, LoadSpec shape, int warmup) {
    this.name = name;
    this.shape = shape;
    this.warmup = warmup;
  }

  public CeilingRun(String name, LoadSpec shape) {
    this(name, shape, 0);
  }

  public BenchResult run() throws Exception {
    return run(new PrintWriter(Writer.nullWriter()));
  }

  public BenchResult run(PrintWriter log) throws Exception {
    TrivialSender sender = new TrivialSender(shape);
    sender.start();
    sender.ready.join();
    try {
      LoadSpec spec =
          new LoadSpec(
              URI.create("ws://127.0.0.1:" + sender.getPort() + "/"),
              shape.redis(),
              shape.watch(),
              shape.keys(),
              shape.clientsPerKey(),
              shape.alertsPerKey(),
              shape.bytes(),
              0,
              shape.timeout());
      return new LoadRun(name, spec, warmup)
          .run(
              alertsPerKey -> {
                sender.blast(alertsPerKey);
                return (long) spec.keys() * alertsPerKey;
              },
              log);
    } finally {
      sender.stop(1000);
    }
  }

  /** Answers identifies; once every client has identified, writes every alert to every client. */
  static final class TrivialSender extends WebSocketServer {
    final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final LoadSpec shape;
    private final Map<WebSocket, String> keys = new ConcurrentHashMap<>();
    private final Draft_6455 encoder = new Draft_6455();

    TrivialSender(LoadSpec shape) {
      super(new InetSocketAddress("127.0.0.1", 0), 2, List.of(new BatchDraft()));
      this.shape = shape;
      setReuseAddr(true);
      setTcpNoDelay(true);
    }

    /** Sends {@code alertsPerKey} alerts, numbered from 0, to every client. */
    void blast(int alertsPerKey) {
      String padding = BenchClient.padding(shape.bytes());
      List<WebSocket> all = new ArrayList<>(keys.keySet());
      for (int first = 0; first < alertsPerKey; first += BATCH) {
        List<ByteBuffer> frames = new ArrayList<>(BATCH);
        int length = 0;
        for (int seq = first; seq < Math.min(alertsPerKey, first + BATCH); seq++) {
          String alert = BenchClient.alert(seq, padding);
          TextFrame frame = new TextFrame();
          frame.setPayload(ByteBuffer.wrap(alert.getBytes(StandardCharsets.UTF_8)));
          ByteBuffer encoded = encoder.createBinaryFrame(frame);
          frames.add(encoded);
          length += encoded.remaining();
        }
        ByteBuffer batch = ByteBuffer.allocate(length);
        frames.forEach(batch::put);
        batch.flip();
        for (WebSocket socket : all) {
          socket.sendFrame(new Batch(batch.duplicate()));
        }
      }
    }

    @Override
    public void onStart() {
      ready.complete(null);
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {}

    @Override
    public void onMessage(WebSocket conn, String message) {
      keys.put(conn, message);
      conn.send("{\"message\":\"you are now connected\"}");
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {}

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {}

    @Override
    public void onError(WebSocket conn, Exception ex) {}
  }

  /** Encoded frames that {@link BatchDraft} queues as they are. */
  private static final class Batch extends TextFrame {
    Batch(ByteBuffer encodedFrames) {
      setPayload(encodedFrames);
    }
  }

  /** RFC 6455, except that a {@link Batch} is already encoded. */
  private static final class BatchDraft extends Draft_6455 {
    @Override
    public Draft copyInstance() {
      return new BatchDraft();
    }

    @Override
    public ByteBuffer createBinaryFrame(Framedata framedata) {
      return framedata instanceof Batch batch
          ? batch.getPayloadData()
          : super.createBinaryFrame(framedata);
    }
  }
}
