package org.redisalerts.relay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.LogText;
import org.redisalerts.relay.admin.AdminServer;
import org.redisalerts.relay.auth.RevocationList;
import org.redisalerts.relay.auth.TokenVerifier;
import org.redisalerts.relay.clients.AccessPolicy;
import org.redisalerts.relay.clients.ClientProtocol;
import org.redisalerts.relay.dispatch.DeliveryListener;
import org.redisalerts.relay.dispatch.Dispatcher;
import org.redisalerts.relay.dispatch.ThisMachine;
import org.redisalerts.relay.monitoring.RelayMetrics;
import org.redisalerts.relay.monitoring.RelayScheduler;
import org.redisalerts.relay.redis.RevocationFeed;
import org.redisalerts.relay.redis.Revocations;
import org.redisalerts.relay.redis.WatchListWatcher;
import org.redisalerts.relay.tls.CertificateFiles;
import org.redisalerts.relay.websocket.OriginPolicy;
import org.redisalerts.relay.websocket.SocketServer;
import org.redisalerts.relay.websocket.SocketSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay, assembled from its parts: the WebSocket side ({@code websocket}: sockets, handshakes,
 * frames; {@code clients}: the identify protocol), the Redis side ({@code redis}: the watch list
 * and the delivery steps), and the dispatcher between them ({@code dispatch}). {@link #start}
 * returns once the port is bound; {@link #close} stops taking work, lets alerts in flight finish,
 * and closes clients with 1001 (going away).
 *
 * <p>To embed it: {@code new RelayServer(RelayConfig.builder(endpoint).build(), listener).start()}.
 */
public final class RelayServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RelayServer.class);

  /** Threads that decode what clients send. */
  private static final int DECODERS = 2;

  /** Largest HTTP upgrade request accepted. */
  private static final int MAX_HANDSHAKE_BYTES = 16 * 1024;

  /** Control messages a client may send: per second sustained, and at once. */
  private static final double MESSAGES_PER_SECOND = 20;

  private static final int MESSAGE_BURST = 60;

  private final RelayConfig config;
  private final JsonCodec codec = new JsonCodec();
  private final RelayMetrics metrics = new RelayMetrics();
  private final ScheduledExecutorService timer;
  private final Dispatcher dispatcher;
  private final ClientProtocol protocol;
  private final SocketServer sockets;
  private final WatchListWatcher watcher;

  /** Present when identify tokens are on. */
  private final TokenVerifier tokens;

  private final RevocationFeed revocationFeed;
  private AdminServer admin;
  private boolean started;
  private boolean listening;
  private boolean closed;

  /**
   * What makes this process's token unique among relays that share a name: where its process ids
   * mean something ({@link ThisMachine}), then 8 random hex digits.
   */
  private static String uniqueSuffix() {
    byte[] random = new byte[4];
    new java.security.SecureRandom().nextBytes(random);
    return ThisMachine.processIdsTag() + java.util.HexFormat.of().formatHex(random);
  }

  public RelayServer(RelayConfig config) {
    this(config, new RelayListener() {});
  }

  public RelayServer(RelayConfig config, RelayListener listener) {
    this.config = config;
    ScheduledThreadPoolExecutor t = new RelayScheduler("relay-timer");
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
    this.dispatcher =
        new Dispatcher(
            new Dispatcher.Settings(
                config.claimBatch(),
                config.maxBufferBytes(),
                config.forwardEvents(),
                config.keys().deadLetters(),
                config.settleDelay(),
                config.recheckInterval(),
                config.ackWindow(),
                config.relayId() + ":" + uniqueSuffix(),
                config.lease(),
                config.writeTimeout(),
                config.ackTimeout()),
            config.redis(),
            config.keys(),
            codec,
            metrics,
            bridge(listener),
            timer);
    this.tokens = Tokens.verifier(config);
    RevocationList revoked = new RevocationList();
    this.protocol =
        new ClientProtocol(
            new ClientProtocol.Settings(
                new AccessPolicy(config.keys(), config.allowKeys()),
                config.identifyTimeout(),
                config.writeTimeout(),
                MESSAGES_PER_SECOND,
                MESSAGE_BURST,
                tokens,
                revoked,
                config.ackTimeout() == null ? config.writeTimeout() : config.ackTimeout(),
                config.ackWindow()),
            codec,
            dispatcher,
            metrics,
            timer);
    this.revocationFeed =
        tokens == null
            ? null
            : new RevocationFeed(
                config.redis(),
                new Revocations(config.keys()),
                new RevocationFeed.Listener() {
                  @Override
                  public void replaced(java.util.List<RevocationList.Revocation> all) {
                    revoked.replace(all);
                    protocol.revocationsChanged();
                  }

                  @Override
                  public void added(RevocationList.Revocation revocation) {
                    revoked.add(revocation);
                    protocol.revocationsChanged();
                  }
                });
    try {
      this.sockets =
          new SocketServer(
              new SocketSettings(
                  config.bind(),
                  config.port(),
                  config.backlog(),
                  config.maxConnections(),
                  config.maxConnectionsPerIp(),
                  config.handshakeTimeout(),
                  MAX_HANDSHAKE_BYTES,
                  config.maxFrameBytes(),
                  config.pingInterval(),
                  config.writeTimeout(),
                  DECODERS,
                  OriginPolicy.of(config.allowedOrigins(), config.requireOrigin()),
                  config.tls() ? CertificateFiles.load(config.tlsCert(), config.tlsKey()) : null),
              protocol,
              metrics);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    this.watcher =
        new WatchListWatcher(
            config.redis(), config.keys(), config.watchBatch(), dispatcher, metrics);
    metrics.gauge(
        "relay.connections.open",
        "TCP connections held, from accept to close (handshaking, refused and identified ones)",
        sockets::heldConnections);
  }

  private static DeliveryListener bridge(RelayListener listener) {
    return new DeliveryListener() {
      @Override
      public void ready(String key, int connections, String client) {
        listener.connectionReady(key, connections);
      }

      @Override
      public void closed(String key, int remaining, String client, int code, String reason) {
        listener.connectionClosed(key, remaining);
      }

      @Override
      public void delivered(String key, int count) {
        listener.delivered(key, count);
      }

      @Override
      public void deadLettered(String key, String reason) {
        listener.deadLettered(key, reason);
      }

      @Override
      public void refused(String key, String reason) {
        listener.refused(key, reason);
      }
    };
  }

  /** Binds the port and starts watching; returns when clients can connect. */
  public synchronized RelayServer start() throws IOException {
    if (started) {
      throw new IllegalStateException("already started");
    }
    started = true;
    sockets.start();
    listening = true;
    dispatcher.start();
    watcher.start();
    if (revocationFeed != null) {
      revocationFeed.start();
    }
    if (config.adminPort() != null) {
      admin = new AdminServer(config.adminBind(), config.adminPort(), this::health, metrics);
      admin.start();
    }
    log.info(
        "relay listening on {}://{}:{}/ watch={} allow={} redis={} tokens={}",
        config.tls() ? "wss" : "ws",
        config.bind(),
        port(),
        LogText.quote(config.keys().watch()),
        config.allowKeys(),
        config.redis(),
        tokens == null ? "off" : tokens.settings().keys().describe());
    if (tokens == null && !loopback(config.bind())) {
      log.warn(
          "identify tokens are off and the relay listens on {}: any client that knows (or"
              + " guesses) a key the allow-list admits can read its alerts; see --token-secret-file,"
              + " --token-public-key, --token-jwks",
          config.bind());
    }
    return this;
  }

  private static boolean loopback(String address) {
    try {
      return java.net.InetAddress.getByName(address).isLoopbackAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  /** The port clients connect to (the bound one when configured with 0). */
  public int port() {
    return sockets.port();
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

  /** TCP connections held now, handshaking, refused and identified ones alike. */
  public int openConnections() {
    return sockets.heldConnections();
  }

  /** Identified connections now. */
  public int connections() {
    return dispatcher.connections();
  }

  /** Tasks waiting on the relay's timer: what clients can make it hold, for tests. */
  int scheduledTasks() {
    return ((ScheduledThreadPoolExecutor) timer).getQueue().size();
  }

  /** Every metric in the Prometheus text format, as /metrics serves it. */
  public String metricsText() {
    return metrics.scrape();
  }

  /** What /healthz reports. */
  AdminServer.Health health() {
    boolean watching = watcher.running();
    boolean redisUp = watcher.redisReachable();
    String reason =
        !watching
            ? "watcher stopped"
            : watcher.refusal() != null
                ? "redis refuses the pop of the watch list: " + watcher.refusal()
                : !redisUp ? "redis unreachable: " + watcher.lastError() : null;
    String json =
        reason == null
            ? "{\"status\":\"ok\",\"connections\":" + dispatcher.connections() + "}"
            : "{\"status\":\"unavailable\",\"reason\":" + codec.write(reason) + "}";
    return new AdminServer.Health(reason == null, json);
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
      if (revocationFeed != null) {
        revocationFeed.close();
      }
      dispatcher.close();
      sockets.close();
      protocol.close();
      timer.shutdownNow();
      return;
    }
    if (admin != null) {
      admin.close();
    }
    log.info(
        "relay stopping: no new work; waiting up to {} ms for alerts in flight",
        config.shutdownTimeout().toMillis());
    sockets.stopAccepting();
    watcher.close();
    if (revocationFeed != null) {
      revocationFeed.close();
    }
    dispatcher.stopTakingWork();
    try {
      boolean rest = dispatcher.awaitRest(config.shutdownTimeout());
      sockets.closeAll(1001, "relay going away");
      sockets.awaitClosed(Duration.ofSeconds(5));
      if (!rest) {
        // Closing the sockets ended the sends still out; what they wrote is trimmed now.
        dispatcher.awaitRest(Duration.ofSeconds(5));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn(
          "relay stop interrupted; alerts not yet trimmed are delivered again after a restart");
    }
    dispatcher.close();
    sockets.close();
    protocol.close();
    timer.shutdownNow();
    log.info("relay stopped: delivered={} dead-lettered={}", delivered(), deadLettered());
  }
}
