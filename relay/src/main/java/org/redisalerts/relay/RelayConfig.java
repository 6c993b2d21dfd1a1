package org.redisalerts.relay;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.redisalerts.common.AlertKeys;
import org.redisalerts.common.Durations;
import org.redisalerts.common.KeyGlob;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;

/**
 * Everything the relay is told, checked once. Build one with {@link #builder}, which starts from
 * the defaults below; the command line's options map onto it one to one.
 *
 * @param redis where Redis is
 * @param bind the address to listen on
 * @param port the WebSocket port; 0 picks a free one
 * @param keys the watch list and the relay's own keys
 * @param allowKeys globs of keys clients may identify with
 * @param forwardEvents the {@code event} values that are forwarded; others are dead-lettered
 * @param maxFrameBytes the largest message a client may send (fragments assembled)
 * @param identifyTimeout how long a client has to identify after connecting
 * @param handshakeTimeout how long a TCP connection may take to complete its handshakes
 * @param pingInterval how often clients are pinged; one that misses a pong is dropped
 * @param claimBatch the most alerts read from one list in one step
 * @param maxBufferBytes the most bytes of alerts held for one connection at a time (one batch), and
 *     the largest alert delivered: a larger entry is dead-lettered without being read whole
 * @param watchBatch the most watch entries taken in one step
 * @param shutdownTimeout how long a stop may wait for alerts in flight
 * @param writeTimeout how long a connection may take to take in what was sent to it before it is
 *     closed as too slow (so it cannot hold up the other connections of its key)
 * @param maxConnections the most TCP connections held at once, counted from accept
 * @param maxConnectionsPerIp the most held from one address; 0 for no such limit
 * @param backlog connections the kernel may queue before the relay accepts them
 * @param allowedOrigins {@code Origin}s browsers may connect from ({@code *}: any); empty: any
 * @param requireOrigin refuse handshakes without an {@code Origin}
 * @param adminBind the address of the admin HTTP listener
 * @param adminPort port of the admin HTTP listener (/healthz, /metrics); null: none; 0: any free
 * @param recheckInterval how often connected keys' lists are looked at without a watch entry
 * @param tokenSecretFile an HMAC secret that verifies identify tokens (SPEC 7); null: none
 * @param tokenPublicKey a PEM public key that verifies identify tokens; null: none
 * @param tokenJwks a JWKS file of keys that verify identify tokens; null: none (at most one of the
 *     three; with one, every identify needs a token)
 * @param tokenIssuer the {@code iss} tokens must carry; null: any
 * @param tokenAudience the {@code aud} tokens must name; null: any
 * @param tlsCert a PEM certificate chain: the port serves {@code wss://} only; null: {@code ws://}
 * @param tlsKey the certificate's private key, PEM PKCS#8 (with {@code tlsCert})
 * @param ackWindow the most alerts that wait for acknowledgement on an acknowledging connection
 *     (SPEC 9)
 * @param ackTimeout how long an acknowledging connection may take to acknowledge what was written
 *     to it before it is closed; null: the write timeout
 * @param relayId this relay's name among the relays of its watch list, for logs and metrics (SPEC
 *     10); each process also gets a random part, so two relays may share a name
 * @param lease how long a key's lease, and this relay's record among the living, last unless
 *     renewed: how soon another relay takes over the keys of a relay that died
 * @param settleDelay how long a written batch may wait to be trimmed together with its key's next
 *     step before it is trimmed alone; not a command-line option, the default suits any rate
 */
public record RelayConfig(
    RedisEndpoint redis,
    String bind,
    int port,
    RelayKeys keys,
    List<KeyGlob> allowKeys,
    Set<String> forwardEvents,
    int maxFrameBytes,
    Duration identifyTimeout,
    Duration handshakeTimeout,
    Duration pingInterval,
    int claimBatch,
    long maxBufferBytes,
    int watchBatch,
    Duration shutdownTimeout,
    Duration writeTimeout,
    int maxConnections,
    int maxConnectionsPerIp,
    int backlog,
    List<String> allowedOrigins,
    boolean requireOrigin,
    String adminBind,
    Integer adminPort,
    Duration recheckInterval,
    Path tokenSecretFile,
    Path tokenPublicKey,
    Path tokenJwks,
    String tokenIssuer,
    String tokenAudience,
    Path tlsCert,
    Path tlsKey,
    int ackWindow,
    Duration ackTimeout,
    String relayId,
    Duration lease,
    Duration settleDelay) {

  /**
   * Defaults written as operators write them, so the command line can show them (annotation values
   * must be constants); the typed defaults below are read from these.
   */
  public static final class Defaults {
    public static final String IDENTIFY_TIMEOUT = "10s";
    public static final String HANDSHAKE_TIMEOUT = "10s";
    public static final String PING_INTERVAL = "30s";
    public static final String SHUTDOWN_TIMEOUT = "10s";
    public static final String WRITE_TIMEOUT = "30s";
    public static final String RECHECK_INTERVAL = "30s";
    public static final String LEASE = "10s";
    public static final String MAX_BUFFER_BYTES = "1MiB";

    private Defaults() {}
  }

  public static final int DEFAULT_PORT = 3001;
  public static final String DEFAULT_BIND = "0.0.0.0";
  public static final int DEFAULT_MAX_FRAME_BYTES = 4096;
  public static final Duration DEFAULT_IDENTIFY_TIMEOUT =
      Durations.parse(Defaults.IDENTIFY_TIMEOUT);
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT =
      Durations.parse(Defaults.HANDSHAKE_TIMEOUT);
  public static final Duration DEFAULT_PING_INTERVAL = Durations.parse(Defaults.PING_INTERVAL);
  public static final int DEFAULT_CLAIM_BATCH = 500;
  public static final long DEFAULT_MAX_BUFFER_BYTES = 1 << 20;
  public static final int DEFAULT_WATCH_BATCH = 1000;
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT =
      Durations.parse(Defaults.SHUTDOWN_TIMEOUT);
  public static final Duration DEFAULT_WRITE_TIMEOUT = Durations.parse(Defaults.WRITE_TIMEOUT);
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  public static final int DEFAULT_ACK_WINDOW = 100;
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(10);

  /** The host's name and the process id: a name that tells relays apart in logs. */
  public static String defaultRelayId() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "relay";
    }
    String id = (host + "-" + ProcessHandle.current().pid()).replaceAll("[^A-Za-z0-9._-]", "-");
    return id.length() > 64 ? id.substring(id.length() - 64) : id;
  }

  public static final int DEFAULT_BACKLOG = 4096;
  public static final String DEFAULT_ADMIN_BIND = "127.0.0.1";
  public static final Duration DEFAULT_RECHECK_INTERVAL =
      Durations.parse(Defaults.RECHECK_INTERVAL);
  public static final Duration DEFAULT_SETTLE_DELAY = Duration.ofMillis(5);

  public RelayConfig {
    if (redis == null) {
      throw new IllegalArgumentException("no Redis URL");
    }
    if (bind == null || bind.isBlank()) {
      throw new IllegalArgumentException("bind address is empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (keys == null) {
      throw new IllegalArgumentException("no watch list");
    }
    allowKeys = List.copyOf(allowKeys);
    if (allowKeys.isEmpty()) {
      throw new IllegalArgumentException("the allow-list is empty: no client could identify");
    }
    forwardEvents = Set.copyOf(forwardEvents);
    if (forwardEvents.isEmpty()) {
      throw new IllegalArgumentException("no event is forwarded");
    }
    if (maxFrameBytes < 256 || maxFrameBytes > 1 << 20) {
      throw new IllegalArgumentException(
          "max frame size out of range (256 B to 1 MiB): " + maxFrameBytes);
    }
    requirePositive("identify timeout", identifyTimeout);
    requirePositive("handshake timeout", handshakeTimeout);
    requirePositive("ping interval", pingInterval);
    if (pingInterval.toSeconds() < 1) {
      throw new IllegalArgumentException(
          "ping interval must be at least 1s: " + Durations.format(pingInterval));
    }
    if (claimBatch < 1 || claimBatch > 4000) {
      throw new IllegalArgumentException("claim batch out of range (1 to 4000): " + claimBatch);
    }
    if (maxBufferBytes < 1) {
      throw new IllegalArgumentException("max buffer bytes must be positive: " + maxBufferBytes);
    }
    if (watchBatch < 1 || watchBatch > 100_000) {
      throw new IllegalArgumentException("watch batch out of range (1 to 100000): " + watchBatch);
    }
    requirePositive("shutdown timeout", shutdownTimeout);
    requirePositive("write timeout", writeTimeout);
    if (maxConnections < 1) {
      throw new IllegalArgumentException("max connections must be at least 1: " + maxConnections);
    }
    if (maxConnectionsPerIp < 0) {
      throw new IllegalArgumentException(
          "max connections per address must be 0 (off) or more: " + maxConnectionsPerIp);
    }
    if (backlog < 1) {
      throw new IllegalArgumentException("backlog must be at least 1: " + backlog);
    }
    allowedOrigins = List.copyOf(allowedOrigins);
    if (adminBind == null || adminBind.isBlank()) {
      throw new IllegalArgumentException("admin bind address is empty");
    }
    if (adminPort != null && (adminPort < 0 || adminPort > 65535)) {
      throw new IllegalArgumentException("admin port out of range: " + adminPort);
    }
    if (adminPort != null && adminPort != 0 && adminPort == port) {
      throw new IllegalArgumentException("admin port is the WebSocket port: " + adminPort);
    }
    requirePositive("recheck interval", recheckInterval);
    int sources =
        (tokenSecretFile == null ? 0 : 1)
            + (tokenPublicKey == null ? 0 : 1)
            + (tokenJwks == null ? 0 : 1);
    if (sources > 1) {
      throw new IllegalArgumentException(
          "give one token key: a secret file, a public key or a JWKS, not several");
    }
    if (sources == 0 && (tokenIssuer != null || tokenAudience != null)) {
      throw new IllegalArgumentException(
          "a token issuer or audience needs a token key (secret file, public key or JWKS)");
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IllegalArgumentException(
          "TLS needs both a certificate chain and its private key (--tls-cert and --tls-key)");
    }
    if (ackWindow < 1 || ackWindow > 10_000) {
      throw new IllegalArgumentException("ack window out of range (1 to 10000): " + ackWindow);
    }
    if (ackTimeout != null) {
      requirePositive("ack timeout", ackTimeout);
    }
    if (relayId == null || relayId.isBlank() || !relayId.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException(
          "relay id must be 1 to 64 letters, digits, dots, dashes or underscores: " + relayId);
    }
    requirePositive("lease", lease);
    if (lease.toMillis() < 1000) {
      throw new IllegalArgumentException("lease must be at least 1s: " + Durations.format(lease));
    }
    if (settleDelay == null || settleDelay.isNegative()) {
      throw new IllegalArgumentException("settle delay must not be negative: " + settleDelay);
    }
  }

  /** Whether the port serves {@code wss://} (a certificate was given). */
  public boolean tls() {
    return tlsCert != null;
  }

  /** Whether identifies need a signed token (a verification key was given). */
  public boolean tokensRequired() {
    return tokenSecretFile != null || tokenPublicKey != null || tokenJwks != null;
  }

  /** A builder that starts from the defaults, for everything but where Redis is. */
  public static Builder builder(RedisEndpoint redis) {
    return new Builder(redis);
  }

  /** Collects settings; {@link #build} checks them. Not thread-safe. */
  public static final class Builder {
    private final RedisEndpoint redis;
    private String bind = DEFAULT_BIND;
    private int port = DEFAULT_PORT;
    private RelayKeys keys = new RelayKeys(RelayKeys.DEFAULT_WATCH);
    private List<KeyGlob> allowKeys = List.of(new KeyGlob(AlertKeys.DEFAULT_ALLOW));
    private Set<String> forwardEvents = Set.of("alert");
    private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    private Duration identifyTimeout = DEFAULT_IDENTIFY_TIMEOUT;
    private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
    private Duration pingInterval = DEFAULT_PING_INTERVAL;
    private int claimBatch = DEFAULT_CLAIM_BATCH;
    private long maxBufferBytes = DEFAULT_MAX_BUFFER_BYTES;
    private int watchBatch = DEFAULT_WATCH_BATCH;
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private Duration writeTimeout = DEFAULT_WRITE_TIMEOUT;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxConnectionsPerIp;
    private int backlog = DEFAULT_BACKLOG;
    private List<String> allowedOrigins = List.of();
    private boolean requireOrigin;
    private String adminBind = DEFAULT_ADMIN_BIND;
    private Integer adminPort;
    private Duration recheckInterval = DEFAULT_RECHECK_INTERVAL;
    private Path tokenSecretFile;
    private Path tokenPublicKey;
    private Path tokenJwks;
    private String tokenIssuer;
    private String tokenAudience;
    private Path tlsCert;
    private Path tlsKey;
    private int ackWindow = DEFAULT_ACK_WINDOW;
    private Duration ackTimeout;
    private String relayId = defaultRelayId();
    private Duration lease = DEFAULT_LEASE;
    private Duration settleDelay = DEFAULT_SETTLE_DELAY;

    private Builder(RedisEndpoint redis) {
      this.redis = redis;
    }

    public Builder bind(String value) {
      this.bind = value;
      return this;
    }

    public Builder port(int value) {
      this.port = value;
      return this;
    }

    public Builder watch(String value) {
      this.keys = new RelayKeys(value);
      return this;
    }

    public Builder allowKeys(List<KeyGlob> value) {
      this.allowKeys = value;
      return this;
    }

    public Builder forwardEvents(Set<String> value) {
      this.forwardEvents = value;
      return this;
    }

    public Builder maxFrameBytes(int value) {
      this.maxFrameBytes = value;
      return this;
    }

    public Builder identifyTimeout(Duration value) {
      this.identifyTimeout = value;
      return this;
    }

    public Builder handshakeTimeout(Duration value) {
      this.handshakeTimeout = value;
      return this;
    }

    public Builder pingInterval(Duration value) {
      this.pingInterval = value;
      return this;
    }

    public Builder claimBatch(int value) {
      this.claimBatch = value;
      return this;
    }

    public Builder maxBufferBytes(long value) {
      this.maxBufferBytes = value;
      return this;
    }

    public Builder watchBatch(int value) {
      this.watchBatch = value;
      return this;
    }

    public Builder shutdownTimeout(Duration value) {
      this.shutdownTimeout = value;
      return this;
    }

    public Builder writeTimeout(Duration value) {
      this.writeTimeout = value;
      return this;
    }

    public Builder maxConnections(int value) {
      this.maxConnections = value;
      return this;
    }

    public Builder maxConnectionsPerIp(int value) {
      this.maxConnectionsPerIp = value;
      return this;
    }

    public Builder backlog(int value) {
      this.backlog = value;
      return this;
    }

    public Builder allowedOrigins(List<String> value) {
      this.allowedOrigins = value;
      return this;
    }

    public Builder requireOrigin(boolean value) {
      this.requireOrigin = value;
      return this;
    }

    public Builder adminBind(String value) {
      this.adminBind = value;
      return this;
    }

    public Builder adminPort(Integer value) {
      this.adminPort = value;
      return this;
    }

    public Builder recheckInterval(Duration value) {
      this.recheckInterval = value;
      return this;
    }

    public Builder tokenSecretFile(Path value) {
      this.tokenSecretFile = value;
      return this;
    }

    public Builder tokenPublicKey(Path value) {
      this.tokenPublicKey = value;
      return this;
    }

    public Builder tokenJwks(Path value) {
      this.tokenJwks = value;
      return this;
    }

    public Builder tokenIssuer(String value) {
      this.tokenIssuer = value;
      return this;
    }

    public Builder tokenAudience(String value) {
      this.tokenAudience = value;
      return this;
    }

    /** Serve {@code wss://} with this PEM certificate chain and PKCS#8 private key. */
    public Builder tls(Path certificateChain, Path privateKey) {
      this.tlsCert = certificateChain;
      this.tlsKey = privateKey;
      return this;
    }

    public Builder ackWindow(int value) {
      this.ackWindow = value;
      return this;
    }

    /** Null: the write timeout. */
    public Builder ackTimeout(Duration value) {
      this.ackTimeout = value;
      return this;
    }

    public Builder relayId(String value) {
      this.relayId = value;
      return this;
    }

    public Builder lease(Duration value) {
      this.lease = value;
      return this;
    }

    public Builder settleDelay(Duration value) {
      this.settleDelay = value;
      return this;
    }

    public RelayConfig build() {
      return new RelayConfig(
          redis,
          bind,
          port,
          keys,
          allowKeys,
          forwardEvents,
          maxFrameBytes,
          identifyTimeout,
          handshakeTimeout,
          pingInterval,
          claimBatch,
          maxBufferBytes,
          watchBatch,
          shutdownTimeout,
          writeTimeout,
          maxConnections,
          maxConnectionsPerIp,
          backlog,
          allowedOrigins,
          requireOrigin,
          adminBind,
          adminPort,
          recheckInterval,
          tokenSecretFile,
          tokenPublicKey,
          tokenJwks,
          tokenIssuer,
          tokenAudience,
          tlsCert,
          tlsKey,
          ackWindow,
          ackTimeout,
          relayId,
          lease,
          settleDelay);
    }
  }

  private static void requirePositive(String what, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive: " + Durations.format(d));
    }
  }
}
