package org.redisalerts.relay.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.redisalerts.cli.ByteSize;
import org.redisalerts.cli.RedisOptions;
import org.redisalerts.cli.StopSignals;
import org.redisalerts.common.AlertKeys;
import org.redisalerts.common.KeyGlob;
import org.redisalerts.relay.EmbeddedRedis;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayConfig.Defaults;
import org.redisalerts.relay.RelayServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code relay}: parses options, runs the relay until SIGTERM or SIGINT, exits 0. */
@Command(
    name = "relay",
    mixinStandardHelpOptions = true,
    subcommands = {TokenCommand.class, CheckTokenCommand.class, RevokeCommand.class},
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
      "Durations: 500ms, 10s, 2m, 1h or PT10S. Sizes: 4096, 64KiB, 1MiB.",
      "Exit status: 0 stopped by SIGTERM/SIGINT, 1 could not start, 2 bad command line.",
      "Shell completion: source <(scripts/relay --generate-completion)"
    })
public final class RelayCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin RedisOptions redis;

  @Mixin TokenOptions tokens;

  @Option(
      names = "--port",
      paramLabel = "PORT",
      defaultValue = "${env:RWA_PORT:-" + RelayConfig.DEFAULT_PORT + "}",
      description = "WebSocket port (0 picks a free one). Default ${DEFAULT-VALUE}; env RWA_PORT.")
  int port;

  @Option(
      names = "--bind",
      paramLabel = "ADDR",
      defaultValue = "${env:RWA_BIND:-" + RelayConfig.DEFAULT_BIND + "}",
      description = "Address to listen on. Default ${DEFAULT-VALUE}; env RWA_BIND.")
  String bind;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      defaultValue = "${env:RWA_TLS_CERT}",
      description =
          "Serve wss:// only (TLS 1.2 and 1.3) with this PEM certificate chain, the server's own "
              + "certificate first; read again when it changes (renewals need no restart). "
              + "Needs --tls-key. env RWA_TLS_CERT.")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      defaultValue = "${env:RWA_TLS_KEY}",
      description =
          "The certificate's private key, PEM PKCS#8 (-----BEGIN PRIVATE KEY-----), RSA or EC. "
              + "env RWA_TLS_KEY.")
  Path tlsKey;

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
      defaultValue = "${env:RWA_MAX_FRAME_BYTES:-" + RelayConfig.DEFAULT_MAX_FRAME_BYTES + "}",
      description =
          "Largest message a client may send, fragments added up; larger ones close it (1009). "
              + "Default ${DEFAULT-VALUE}; env RWA_MAX_FRAME_BYTES.")
  ByteSize maxFrameBytes;

  @Option(
      names = "--identify-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_IDENTIFY_TIMEOUT:-" + Defaults.IDENTIFY_TIMEOUT + "}",
      description =
          "Time a client has to identify before it is closed (1008). "
              + "Default ${DEFAULT-VALUE}; env RWA_IDENTIFY_TIMEOUT.")
  Duration identifyTimeout;

  @Option(
      names = "--handshake-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_HANDSHAKE_TIMEOUT:-" + Defaults.HANDSHAKE_TIMEOUT + "}",
      description =
          "Time a TCP connection has to complete its TLS and WebSocket handshakes before it is "
              + "closed. Default ${DEFAULT-VALUE}; env RWA_HANDSHAKE_TIMEOUT.")
  Duration handshakeTimeout;

  @Option(
      names = "--ping-interval",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_PING_INTERVAL:-" + Defaults.PING_INTERVAL + "}",
      description =
          "How often clients are pinged; one that does not answer is dropped. "
              + "Default ${DEFAULT-VALUE}; env RWA_PING_INTERVAL.")
  Duration pingInterval;

  @Option(
      names = "--claim-batch",
      paramLabel = "N",
      defaultValue = "${env:RWA_CLAIM_BATCH:-" + RelayConfig.DEFAULT_CLAIM_BATCH + "}",
      description =
          "Most alerts read from one list in one step. Default ${DEFAULT-VALUE}; env RWA_CLAIM_BATCH.")
  int claimBatch;

  @Option(
      names = "--max-buffer-bytes",
      paramLabel = "BYTES",
      defaultValue = "${env:RWA_MAX_BUFFER_BYTES:-" + Defaults.MAX_BUFFER_BYTES + "}",
      description =
          "Most bytes of alerts the relay holds for one key at a time (one batch); also the "
              + "largest alert it delivers: a larger entry goes to the dead letters with its size "
              + "and first bytes. Default ${DEFAULT-VALUE}; env RWA_MAX_BUFFER_BYTES.")
  ByteSize maxBufferBytes;

  @Option(
      names = "--shutdown-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_SHUTDOWN_TIMEOUT:-" + Defaults.SHUTDOWN_TIMEOUT + "}",
      description =
          "On SIGTERM, how long alerts in flight may take to be written before the relay stops; "
              + "what was not written stays in its list. Default ${DEFAULT-VALUE}; "
              + "env RWA_SHUTDOWN_TIMEOUT.")
  Duration shutdownTimeout;

  @Option(
      names = "--write-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_WRITE_TIMEOUT:-" + Defaults.WRITE_TIMEOUT + "}",
      description =
          "A client that reads nothing for this long, or has not read a batch this long (per "
              + "MiB of the batch) after it was queued, is closed as too slow (1008); what it "
              + "did not get stays queued. Default ${DEFAULT-VALUE}; env RWA_WRITE_TIMEOUT.")
  Duration writeTimeout;

  @Option(
      names = "--max-connections",
      paramLabel = "N",
      defaultValue = "${env:RWA_MAX_CONNECTIONS:-" + RelayConfig.DEFAULT_MAX_CONNECTIONS + "}",
      description =
          "Most TCP connections held at once, counted from accept (handshaking ones too); more "
              + "are refused with 1013 (try again later). Default ${DEFAULT-VALUE}; "
              + "env RWA_MAX_CONNECTIONS.")
  int maxConnections;

  @Option(
      names = "--max-connections-per-ip",
      paramLabel = "N",
      defaultValue = "${env:RWA_MAX_CONNECTIONS_PER_IP:-0}",
      description =
          "Most connections held at once from one address; more are refused with 1013. "
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
      defaultValue = "${env:RWA_ADMIN_BIND:-" + RelayConfig.DEFAULT_ADMIN_BIND + "}",
      description =
          "Address of the admin HTTP listener (never --bind's). Default ${DEFAULT-VALUE}; "
              + "env RWA_ADMIN_BIND.")
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
      names = "--recheck-interval",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_RECHECK_INTERVAL:-" + Defaults.RECHECK_INTERVAL + "}",
      description =
          "How often the lists of connected keys are looked at without a watch entry, so an "
              + "alert whose watch entry never came is still delivered. Default ${DEFAULT-VALUE}; "
              + "env RWA_RECHECK_INTERVAL.")
  Duration recheckInterval;

  @Option(
      names = "--ack-window",
      paramLabel = "N",
      defaultValue = "${env:RWA_ACK_WINDOW:-" + RelayConfig.DEFAULT_ACK_WINDOW + "}",
      description =
          "Most alerts sent and not yet acknowledged on a connection that identified with"
              + " \"ack\":true; when it is full, more go once acks free half of it. Default"
              + " ${DEFAULT-VALUE}; env"
              + " RWA_ACK_WINDOW.")
  int ackWindow;

  @Option(
      names = "--ack-timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_ACK_TIMEOUT}",
      description =
          "An acknowledging connection that does not acknowledge what was written to it within"
              + " this is closed (1008); what it did not acknowledge stays queued. Default: the"
              + " write timeout; env RWA_ACK_TIMEOUT.")
  Duration ackTimeout;

  @Option(
      names = "--relay-id",
      paramLabel = "NAME",
      defaultValue = "${env:RWA_RELAY_ID}",
      description =
          "This relay's name among the relays that share the watch list, for logs and metrics."
              + " Default: the host name and process id; env RWA_RELAY_ID.")
  String relayId;

  @Option(
      names = "--lease",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_LEASE:-" + Defaults.LEASE + "}",
      description =
          "With several relays on one Redis and watch list: how long a key stays with the relay"
              + " that delivers it unless renewed, so how soon another relay takes over the keys"
              + " of one that died. Default ${DEFAULT-VALUE}; env RWA_LEASE.")
  Duration lease;

  /** Counted down by SIGTERM/SIGINT; tests count it down themselves. */
  final CountDownLatch stop = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    RelayConfig config = config();
    PrintWriter out = spec.commandLine().getOut();
    EmbeddedRedis embedded = embeddedRedis ? EmbeddedRedis.start(config.redis()) : null;
    try (RelayServer relay = new RelayServer(config)) {
      relay.start();
      out.printf(
          "relay ready on %s://%s:%d/%n", config.tls() ? "wss" : "ws", config.bind(), relay.port());
      out.flush();
      StopSignals.onStop(stop::countDown);
      stop.await();
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
    return ExitCodes.OK;
  }

  RelayConfig config() {
    List<KeyGlob> globs = new ArrayList<>();
    for (String glob : allowKeys) {
      if (!glob.isBlank()) {
        globs.add(new KeyGlob(glob.trim()));
      }
    }
    return tokens
        .applyTo(RelayConfig.builder(redis.endpoint()))
        .port(port)
        .bind(bind)
        .watch(redis.watch())
        .allowKeys(globs)
        .forwardEvents(new LinkedHashSet<>(forwardEvents))
        .maxFrameBytes(Math.toIntExact(Math.min(Integer.MAX_VALUE, maxFrameBytes.bytes())))
        .identifyTimeout(identifyTimeout)
        .handshakeTimeout(handshakeTimeout)
        .pingInterval(pingInterval)
        .claimBatch(claimBatch)
        .maxBufferBytes(maxBufferBytes.bytes())
        .shutdownTimeout(shutdownTimeout)
        .writeTimeout(writeTimeout)
        .maxConnections(maxConnections)
        .maxConnectionsPerIp(maxConnectionsPerIp)
        .allowedOrigins(allowedOrigins)
        .requireOrigin(requireOrigin)
        .adminBind(adminBind)
        .adminPort(adminPort)
        .recheckInterval(recheckInterval)
        .tls(tlsCert, tlsKey)
        .ackWindow(ackWindow)
        .ackTimeout(ackTimeout)
        .relayId(relayId == null || relayId.isBlank() ? RelayConfig.defaultRelayId() : relayId)
        .lease(lease)
        .build();
  }
}
