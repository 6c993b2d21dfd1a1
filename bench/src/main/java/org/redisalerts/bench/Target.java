package org.redisalerts.bench;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.OptionalLong;
import javax.net.ssl.SSLContext;

/**
 * What is measured: one or more relays (clients are spread over them in turn), the Redis their
 * publishers push to, and, when known, the relay's process (for CPU and memory).
 */
public interface Target extends AutoCloseable {

  /** A short name for the output: {@code relay}, {@code original}, {@code external}. */
  String name();

  /** WebSocket URLs, one per relay. */
  List<URI> relays();

  /** The Redis URL publishers push to. */
  String redis();

  /** The watch list. */
  default String watch() {
    return "watch";
  }

  /** The relay's process, when known (the first relay's, when there are several). */
  OptionalLong pid();

  /** Every relay process known, for the CPU they use together. */
  default List<Long> pids() {
    return pid().isPresent() ? List.of(pid().getAsLong()) : List.of();
  }

  /** What clients trust for {@code wss://} relays; null when the relays serve {@code ws://}. */
  default SSLContext clientTls() {
    return null;
  }

  /** Asks the relay process for a full garbage collection; false when it cannot be asked. */
  boolean forceGc() throws IOException, InterruptedException;

  @Override
  void close() throws IOException, InterruptedException;

  /** A relay started by someone else, at {@code relay}, with the given Redis and process. */
  static Target external(URI relay, String redis, String watch, Long pid) {
    return external(List.of(relay), redis, watch, pid, null);
  }

  /**
   * Relays started by someone else, on one Redis and watch list; {@code pid} is one relay's process
   * (or null), {@code tls} what clients trust for {@code wss://} (or null).
   */
  static Target external(List<URI> relays, String redis, String watch, Long pid, SSLContext tls) {
    return new Target() {
      @Override
      public String name() {
        return "external";
      }

      @Override
      public List<URI> relays() {
        return relays;
      }

      @Override
      public SSLContext clientTls() {
        return tls;
      }

      @Override
      public String redis() {
        return redis;
      }

      @Override
      public String watch() {
        return watch;
      }

      @Override
      public OptionalLong pid() {
        return pid == null ? OptionalLong.empty() : OptionalLong.of(pid);
      }

      @Override
      public boolean forceGc() throws IOException, InterruptedException {
        return pid != null && Processes.jcmdGc(pid);
      }

      @Override
      public void close() {}
    };
  }
}
