package org.redisalerts.bench;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/**
 * The tool's own ceiling: the same clients against a trivial in-process sender that writes
 * the alerts straight to the sockets (no Redis, no relay). A relay result close to this
 * number is limited by the tool, not the relay.
 */
public final class CeilingRun {

  private final String name;
  private final LoadSpec shape;

  public CeilingRun(String name, LoadSpec shape) {
    this.name = name;
    this.shape = shape;
  }

  public BenchResult run() throws Exception {
    TrivialSender sender = new TrivialSender(shape);
    sender.start();
    sender.ready.join();
    try {
      LoadSpec spec = new LoadSpec(URI.create("ws://127.0.0.1:" + sender.getPort() + "/"), shape.redis(),
          shape.watch(), shape.keys(), shape.clientsPerKey(), shape.alertsPerKey(), shape.bytes(), 0,
          shape.timeout());
      return new LoadRun(name, spec).run(() -> {
        sender.blast();
        return (long) spec.keys() * spec.alertsPerKey();
      });
    } finally {
      sender.stop(1000);
    }
  }

  /** Answers identifies; once every client has identified, writes every alert to every client. */
  static final class TrivialSender extends WebSocketServer {
    final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final LoadSpec shape;
    private final Map<WebSocket, String> keys = new ConcurrentHashMap<>();

    TrivialSender(LoadSpec shape) {
      super(new InetSocketAddress("127.0.0.1", 0), 2);
      this.shape = shape;
      setReuseAddr(true);
      setTcpNoDelay(true);
    }

    /** Sends everything; called once every client has identified. */
    void blast() {
      String padding = "x".repeat(Math.max(0, shape.bytes() - 64));
      List<WebSocket> all = new ArrayList<>(keys.keySet());
      for (int seq = 0; seq < shape.alertsPerKey(); seq++) {
        String alert = "{\"event\":\"alert\",\"seq\":" + seq + ",\"t\":" + System.nanoTime() + ",\"pad\":\""
            + padding + "\"}";
        for (WebSocket socket : all) {
          socket.send(alert);
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
}
