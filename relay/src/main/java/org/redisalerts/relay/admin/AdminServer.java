package org.redisalerts.relay.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.redisalerts.relay.monitoring.RelayMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP listener (the JDK's own server): {@code GET /healthz} answers 200 while Redis is
 * reachable and the watcher runs, 503 with the reason otherwise; {@code GET /metrics} answers the
 * Prometheus text format. One thread, {@code relay-admin}.
 */
public final class AdminServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

  /** What /healthz reports: healthy or not, and why, as a JSON object. */
  public record Health(boolean healthy, String json) {}

  private final HttpServer server;
  private final ExecutorService executor;

  public AdminServer(String bind, int port, Supplier<Health> health, RelayMetrics metrics)
      throws IOException {
    try {
      server = HttpServer.create(new InetSocketAddress(bind, port), 16);
    } catch (IOException e) {
      throw new IOException(
          "cannot listen on " + bind + ":" + port + " (--admin-port): " + e.getMessage(), e);
    } catch (UnresolvedAddressException e) {
      throw new IllegalArgumentException(
          "cannot listen on " + bind + ":" + port + ": --admin-bind names no known host", e);
    }
    executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "relay-admin");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/healthz",
        exchange -> {
          Health h = health.get();
          respond(exchange, h.healthy() ? 200 : 503, "application/json", h.json());
        });
    server.createContext(
        "/metrics",
        exchange ->
            respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
    server.createContext(
        "/", exchange -> respond(exchange, 404, "text/plain", "try /healthz or /metrics\n"));
  }

  public void start() {
    server.start();
    log.info(
        "admin listening on http://{}:{}/ (/healthz, /metrics)",
        server.getAddress().getHostString(),
        port());
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    try (exchange) {
      if (!"GET".equals(exchange.getRequestMethod())
          && !"HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", type);
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
