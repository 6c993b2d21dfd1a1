package org.redisalerts.relay;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.redisalerts.common.AlertKeys;
import org.redisalerts.common.KeyGlob;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;

/**
 * Everything the relay is told, checked once.
 *
 * @param redis where Redis is
 * @param bind the address to listen on
 * @param port the WebSocket port; 0 picks a free one
 * @param keys the watch list and the relay's own keys
 * @param allowKeys globs of keys clients may identify with
 * @param forwardEvents the {@code event} values that are forwarded; others are dead-lettered
 * @param maxFrameBytes the largest frame a client may send
 * @param identifyTimeout how long a client has to identify after connecting
 * @param pingInterval how often clients are pinged; one that misses a pong is dropped
 * @param claimBatch the most alerts claimed from one list in one step
 * @param claimBatchBytes the most bytes claimed in one step (one alert is always claimed): the most
 *     the relay holds for one connection at a time
 * @param watchBatch the most watch entries taken in one step
 * @param shutdownTimeout how long a stop may wait for alerts in flight
 * @param adminPort port of the admin HTTP listener (/healthz, /metrics); null: none; 0: any free
 * @param maxConnections the most connections open at once; more are refused with 1013
 * @param writeTimeout how long a connection may take to take in one batch before it is closed as
 *     too slow (so it cannot hold up the other connections of its key)
 * @param settleDelay how long a written batch may wait to be settled in Redis together with its
 *     key's next claim before it is settled alone (zero: at once); not a command-line option, the
 *     default suits any rate
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
    Duration pingInterval,
    int claimBatch,
    long claimBatchBytes,
    int watchBatch,
    Duration shutdownTimeout,
    Duration writeTimeout,
    int maxConnections,
    Integer adminPort,
    Duration settleDelay) {

  public static final int DEFAULT_PORT = 3001;
  public static final String DEFAULT_BIND = "0.0.0.0";
  public static final int DEFAULT_MAX_FRAME_BYTES = 4096;
  public static final Duration DEFAULT_IDENTIFY_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(30);
  public static final int DEFAULT_CLAIM_BATCH = 500;
  public static final long DEFAULT_CLAIM_BATCH_BYTES = 1 << 20;
  public static final int DEFAULT_WATCH_BATCH = 1000;
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
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
    requirePositive("ping interval", pingInterval);
    if (pingInterval.toSeconds() < 1) {
      throw new IllegalArgumentException("ping interval must be at least 1s: " + pingInterval);
    }
    if (claimBatch < 1 || claimBatch > 4000) {
      throw new IllegalArgumentException("claim batch out of range (1 to 4000): " + claimBatch);
    }
    if (claimBatchBytes < 1) {
      throw new IllegalArgumentException("claim batch bytes must be positive: " + claimBatchBytes);
    }
    if (watchBatch < 1 || watchBatch > 100_000) {
      throw new IllegalArgumentException("watch batch out of range (1 to 100000): " + watchBatch);
    }
    requirePositive("shutdown timeout", shutdownTimeout);
    requirePositive("write timeout", writeTimeout);
    if (adminPort != null && (adminPort < 0 || adminPort > 65535)) {
      throw new IllegalArgumentException("admin port out of range: " + adminPort);
    }
    if (adminPort != null && adminPort != 0 && adminPort == port) {
      throw new IllegalArgumentException("admin port is the WebSocket port: " + adminPort);
    }
    if (maxConnections < 1) {
      throw new IllegalArgumentException("max connections must be at least 1: " + maxConnections);
    }
    if (settleDelay == null || settleDelay.isNegative()) {
      throw new IllegalArgumentException("settle delay must not be negative: " + settleDelay);
    }
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
    private Duration pingInterval = DEFAULT_PING_INTERVAL;
    private int claimBatch = DEFAULT_CLAIM_BATCH;
    private long claimBatchBytes = DEFAULT_CLAIM_BATCH_BYTES;
    private int watchBatch = DEFAULT_WATCH_BATCH;
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private Duration writeTimeout = DEFAULT_WRITE_TIMEOUT;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private Integer adminPort;
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

    public Builder pingInterval(Duration value) {
      this.pingInterval = value;
      return this;
    }

    public Builder claimBatch(int value) {
      this.claimBatch = value;
      return this;
    }

    public Builder claimBatchBytes(long value) {
      this.claimBatchBytes = value;
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

    public Builder adminPort(Integer value) {
      this.adminPort = value;
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
          pingInterval,
          claimBatch,
          claimBatchBytes,
          watchBatch,
          shutdownTimeout,
          writeTimeout,
          maxConnections,
          adminPort,
          settleDelay);
    }
  }

  private static void requirePositive(String what, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive: " + d);
    }
  }
}
