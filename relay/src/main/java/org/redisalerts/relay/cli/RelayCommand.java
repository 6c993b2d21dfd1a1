package org.redisalerts.relay.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.redisalerts.cli.StopSignals;
import org.redisalerts.common.AlertKeys;
import org.redisalerts.common.Durations;
import org.redisalerts.common.KeyGlob;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.relay.EmbeddedRedis;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code relay}: parses options, runs the relay until SIGTERM or SIGINT, exits 0. */
@Command(
    name = "relay",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Delivers alerts that back-end code pushes onto Redis lists to the WebSocket clients "
          + "that identify with each list's key. Alerts wait in Redis until their client is "
          + "connected and leave it only once written to the client's socket.",
      ""
    },
    footer = {
      "",
      "Every option can also be set with the environment variable shown in its description.",
      "Exit status: 0 stopped by SIGTERM/SIGINT, 1 could not start, 2 bad command line."
    })
public final class RelayCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--redis",
      paramLabel = "URL",
      defaultValue = "${env:RWA_REDIS:-" + RedisEndpoint.DEFAULT_URL + "}",
      description =
          "Redis to watch (redis://[user:password@]host[:port][/db]). Default ${DEFAULT-VALUE}; env RWA_REDIS.")
  String redis;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "${env:RWA_PORT:-3001}",
      description = "WebSocket port. Default ${DEFAULT-VALUE}; env RWA_PORT.")
  int port;

  @Option(
      names = "--bind",
      paramLabel = "ADDR",
      defaultValue = "${env:RWA_BIND:-0.0.0.0}",
      description = "Address to listen on. Default ${DEFAULT-VALUE}; env RWA_BIND.")
  String bind;

  @Option(
      names = "--watch",
      paramLabel = "LIST",
      defaultValue = "${env:RWA_WATCH:-" + RelayKeys.DEFAULT_WATCH + "}",
      description =
          "The watch list publishers append keys to. Default ${DEFAULT-VALUE}; env RWA_WATCH. "
              + "Bad entries go to LIST:dead.")
  String watch;

  @Option(
      names = "--allow-keys",
      paramLabel = "GLOB",
      split = ",",
      defaultValue = "${env:RWA_ALLOW_KEYS:-" + AlertKeys.DEFAULT_ALLOW + "}",
      description =
          "Keys clients may identify with (Redis glob; repeat or comma-separate). "
              + "Default ${DEFAULT-VALUE}; env RWA_ALLOW_KEYS. The relay's own keys are always refused.")
  List<String> allowKeys;

  @Option(
      names = "--forward-events",
      paramLabel = "EVENT",
      split = ",",
      defaultValue = "${env:RWA_FORWARD_EVENTS:-alert}",
      description =
          "Values of \"event\" that are forwarded; others are dead-lettered. "
              + "Default ${DEFAULT-VALUE}; env RWA_FORWARD_EVENTS.")
  List<String> forwardEvents;

  @Option(
      names = "--embedded-redis",
      defaultValue = "${env:RWA_EMBEDDED_REDIS:-false}",
      description =
          "Start the bundled Redis server on the port of --redis (loopback only, nothing "
              + "kept on disk) and stop it on exit. env RWA_EMBEDDED_REDIS=true.")
  boolean embeddedRedis;

  @Option(
      names = "--max-frame-bytes",
      paramLabel = "BYTES",
      defaultValue = "${env:RWA_MAX_FRAME_BYTES:-4096}",
      description =
          "Largest frame a client may send; larger ones close it (1009). "
              + "Default ${DEFAULT-VALUE}; env RWA_MAX_FRAME_BYTES.")
  int maxFrameBytes;

  @Option(
      names = "--identify-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_IDENTIFY_TIMEOUT:-10s}",
      description =
          "Time a client has to identify before it is closed (1008). "
              + "Default ${DEFAULT-VALUE}; env RWA_IDENTIFY_TIMEOUT.")
  String identifyTimeout;

  @Option(
      names = "--handshake-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_HANDSHAKE_TIMEOUT:-10s}",
      description =
          "Time a TCP connection has to complete its TLS and WebSocket handshakes before it is "
              + "closed. Default ${DEFAULT-VALUE}; env RWA_HANDSHAKE_TIMEOUT.")
  String handshakeTimeout;

  @Option(
      names = "--ping-interval",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_PING_INTERVAL:-30s}",
      description =
          "How often clients are pinged; one that does not answer is dropped. "
              + "Default ${DEFAULT-VALUE}; env RWA_PING_INTERVAL.")
  String pingInterval;

  @Option(
      names = "--claim-batch",
      paramLabel = "N",
      defaultValue = "${env:RWA_CLAIM_BATCH:-500}",
      description =
          "Most alerts taken from one list in one step. Default ${DEFAULT-VALUE}; env RWA_CLAIM_BATCH.")
  int claimBatch;

  @Option(
      names = "--shutdown-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_SHUTDOWN_TIMEOUT:-10s}",
      description =
          "On SIGTERM, how long to wait for alerts in flight before returning them to "
              + "their lists. Default ${DEFAULT-VALUE}; env RWA_SHUTDOWN_TIMEOUT.")
  String shutdownTimeout;

  @Option(
      names = "--write-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_WRITE_TIMEOUT:-30s}",
      description =
          "A client that takes longer than this to read one batch of alerts is closed as too "
              + "slow (1008); what it did not get stays queued. Default ${DEFAULT-VALUE}; env RWA_WRITE_TIMEOUT.")
  String writeTimeout;

  @Option(
      names = "--max-connections",
      paramLabel = "N",
      defaultValue = "${env:RWA_MAX_CONNECTIONS:-10000}",
      description =
          "Most connections open at once; more are refused with 1013 (try again later). "
              + "Default ${DEFAULT-VALUE}; env RWA_MAX_CONNECTIONS.")
  int maxConnections;

  @Option(
      names = "--max-connections-per-ip",
      paramLabel = "N",
      defaultValue = "${env:RWA_MAX_CONNECTIONS_PER_IP:-0}",
      description =
          "Most connections open at once from one address; more are refused with 1013. "
              + "0 (the default) for no such limit; env RWA_MAX_CONNECTIONS_PER_IP.")
  int maxConnectionsPerIp;

  @Option(
      names = "--allowed-origins",
      paramLabel = "ORIGIN",
      split = ",",
      defaultValue = "${env:RWA_ALLOWED_ORIGINS:-*}",
      description =
          "Origins browser pages may connect from (scheme://host[:port], repeat or "
              + "comma-separate; * for any); a handshake from another origin gets HTTP 403. "
              + "Default ${DEFAULT-VALUE}; env RWA_ALLOWED_ORIGINS.")
  List<String> allowedOrigins;

  @Option(
      names = "--require-origin",
      defaultValue = "${env:RWA_REQUIRE_ORIGIN:-false}",
      description =
          "Refuse handshakes that carry no Origin header (clients other than browsers). "
              + "env RWA_REQUIRE_ORIGIN=true.")
  boolean requireOrigin;

  @Option(
      names = "--admin-bind",
      paramLabel = "ADDR",
      defaultValue = "${env:RWA_ADMIN_BIND:-127.0.0.1}",
      description =
          "Address of the admin HTTP listener. Default ${DEFAULT-VALUE}; env RWA_ADMIN_BIND.")
  String adminBind;

  @Option(
      names = "--admin-port",
      paramLabel = "PORT",
      defaultValue = "${env:RWA_ADMIN_PORT}",
      description =
          "Serve /healthz and /metrics (Prometheus) over HTTP on this port, on --admin-bind. "
              + "Off unless set; env RWA_ADMIN_PORT.")
  Integer adminPort;

  @Option(
      names = "--max-buffer-bytes",
      paramLabel = "BYTES",
      defaultValue = "${env:RWA_MAX_BUFFER_BYTES:-1048576}",
      description =
          "Most bytes of alerts the relay holds for one connection at a time (one batch; a single "
              + "larger alert still goes alone). Default ${DEFAULT-VALUE}; env RWA_MAX_BUFFER_BYTES.")
  long maxBufferBytes;

  /** Counted down by SIGTERM/SIGINT; tests count it down themselves. */
  final CountDownLatch stop = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    RelayConfig config = config();
    PrintWriter out = spec.commandLine().getOut();
    EmbeddedRedis embedded = embeddedRedis ? EmbeddedRedis.start(config.redis()) : null;
    try (RelayServer relay = new RelayServer(config)) {
      relay.start();
      out.printf("relay ready on ws://%s:%d/%n", config.bind(), relay.port());
      out.flush();
      StopSignals.onStop(stop::countDown);
      stop.await();
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
    return 0;
  }

  RelayConfig config() {
    List<KeyGlob> globs = new ArrayList<>();
    for (String glob : allowKeys) {
      if (!glob.isBlank()) {
        globs.add(new KeyGlob(glob.trim()));
      }
    }
    return RelayConfig.builder(RedisEndpoint.parse(redis))
        .port(port)
        .bind(bind)
        .watch(watch)
        .allowKeys(globs)
        .forwardEvents(new LinkedHashSet<>(forwardEvents))
        .maxFrameBytes(maxFrameBytes)
        .identifyTimeout(duration("--identify-timeout", identifyTimeout))
        .handshakeTimeout(duration("--handshake-timeout", handshakeTimeout))
        .pingInterval(duration("--ping-interval", pingInterval))
        .claimBatch(claimBatch)
        .maxBufferBytes(maxBufferBytes)
        .shutdownTimeout(duration("--shutdown-timeout", shutdownTimeout))
        .writeTimeout(duration("--write-timeout", writeTimeout))
        .maxConnections(maxConnections)
        .maxConnectionsPerIp(maxConnectionsPerIp)
        .allowedOrigins(allowedOrigins)
        .requireOrigin(requireOrigin)
        .adminBind(adminBind)
        .adminPort(adminPort)
        .build();
  }

  private static Duration duration(String option, String text) {
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
  }
}
