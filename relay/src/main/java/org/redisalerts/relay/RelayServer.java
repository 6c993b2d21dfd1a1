package org.redisalerts.relay;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.redisalerts.common.JsonCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;

/**
 * The relay, assembled: the WebSocket side, the registry, the Redis side and the dispatcher between
 * them, plus the watcher that feeds it. {@link #start} returns once the port is bound; {@link
 * #close} stops taking work, lets alerts in flight finish or go back to their lists, and closes
 * clients with 1001 (going away).
 */
public final class RelayServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RelayServer.class);

  private final RelayConfig config;
  private final JsonCodec codec;
  private final RedisClient redis;
  private final ScheduledExecutorService timer;
  private final Dispatcher dispatcher;
  private final ClientSocketServer sockets;
  private final WatchListWatcher watcher;
  private final ConnectionRegistry registry = new ConnectionRegistry();
  private final RelayMetrics metrics = new RelayMetrics();
  private AdminServer admin;
  private boolean started;
  private boolean listening;
  private boolean closed;

  public RelayServer(RelayConfig config) {
    this.config = config;
    this.codec = new JsonCodec();
    this.redis = config.redis().newClient(5_000, "relay");
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread thread = new Thread(r, "relay-timer");
              thread.setDaemon(true);
              return thread;
            });
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
    this.dispatcher =
        new Dispatcher(
            registry, new RedisQueues(redis, config.keys()), codec, config, timer, metrics);
    this.sockets =
        new ClientSocketServer(
            config,
            new AccessPolicy(config.keys(), config.allowKeys()),
            codec,
            dispatcher,
            timer,
            metrics);
    this.watcher = new WatchListWatcher(config.redis(), config, dispatcher, metrics);
    metrics.gauges(sockets::openConnections, registry::connectionCount, registry::keyCount);
  }

  /** Binds the port and starts watching; returns when clients can connect. */
  public synchronized RelayServer start() throws IOException, InterruptedException {
    if (started) {
      throw new IllegalStateException("already started");
    }
    started = true;
    sockets.startListening(Duration.ofSeconds(10));
    listening = true;
    watcher.start();
    if (config.adminPort() != null) {
      admin = new AdminServer(config.bind(), config.adminPort(), this::health, metrics);
      admin.start();
    }
    log.info(
        "relay listening on ws://{}:{}/ watch=\"{}\" allow={} redis={}",
        config.bind(),
        port(),
        config.keys().watch(),
        config.allowKeys(),
        config.redis());
    return this;
  }

  /** The port clients connect to (the bound one when configured with 0). */
  public int port() {
    return sockets.getPort();
  }

  /** The admin listener's port, or -1 when there is none. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /** Alerts written to at least one socket of their key since start. */
  public long delivered() {
    return metrics.deliveredCount();
  }

  /** Bad entries moved to the dead-letter list since start. */
  public long deadLettered() {
    return metrics.deadLetteredCount();
  }

  /** What /healthz reports. */
  AdminServer.Health health() {
    boolean watching = watcher.running();
    boolean redisUp = watcher.redisReachable();
    String reason =
        !watching
            ? "watcher stopped"
            : !redisUp ? "redis unreachable: " + watcher.lastError() : null;
    String json =
        reason == null
            ? "{\"status\":\"ok\",\"connections\":" + registry.connectionCount() + "}"
            : "{\"status\":\"unavailable\",\"reason\":" + codec.write(reason) + "}";
    return new AdminServer.Health(reason == null, json);
  }

  /** The WebSocket side, for tests that reach below the protocol. */
  ClientSocketServer sockets() {
    return sockets;
  }

  /** Open connections right now, identified or not (refused ones until they have closed). */
  public int openConnections() {
    return sockets.openConnections();
  }

  /** Identified connections right now. */
  public int connections() {
    return registry.connectionCount();
  }

  /**
   * Stops in order (see the class comment); idempotent. Keeps the interrupt flag if interrupted.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!listening) {
      dispatcher.close();
      timer.shutdownNow();
      redis.close();
      return;
    }
    if (admin != null) {
      admin.close();
    }
    log.info(
        "relay stopping: no new work; waiting up to {} ms for alerts in flight",
        config.shutdownTimeout().toMillis());
    watcher.close();
    dispatcher.stopTakingWork();
    try {
      boolean idle = dispatcher.awaitIdle(config.shutdownTimeout());
      sockets.stop(
          (int) Math.min(Integer.MAX_VALUE, config.shutdownTimeout().toMillis()),
          "relay going away");
      if (!idle) {
        // Closing the sockets completed the waiting sends; their claims now settle.
        dispatcher.awaitIdle(Duration.ofSeconds(5));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn(
          "relay stop interrupted; alerts still claimed go back to their lists at the next start");
    }
    dispatcher.close();
    timer.shutdownNow();
    redis.close();
    log.info("relay stopped: delivered={} dead-lettered={}", delivered(), deadLettered());
  }
}
