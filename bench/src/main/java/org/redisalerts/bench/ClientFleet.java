package org.redisalerts.bench;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import org.redisalerts.bench.ws.WsClientLoops;

/**
 * The load tool's clients: opens every connection at once over a few selector threads, spreads them
 * over the relays (in turn) and over local source addresses, has each identify, and counts what
 * went wrong (a failed connect or upgrade, a refused identify, a connection the relay closed).
 */
public final class ClientFleet implements AutoCloseable {

  private final WsClientLoops loops;
  private final Identify identify;

  private final List<BenchClient> clients = new ArrayList<>();
  private final CountDownLatch answered;
  private final AtomicInteger identified = new AtomicInteger();
  private final AtomicInteger failedHandshakes = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();
  private final AtomicInteger closedEarly = new AtomicInteger();
  private final AtomicInteger unexpected = new AtomicInteger();
  private final AtomicInteger retried = new AtomicInteger();
  private final List<URI> relays;
  private final SourceAddresses sources;
  private final int retries;
  private final AtomicReference<String> firstProblem = new AtomicReference<>();
  private final long started;
  private final long connectsQueued;

  /** Permits for connects not answered yet; null when any number may be in flight. */
  private final Semaphore connecting;

  private static final int CONNECTING_WAIT_SECONDS = 60;

  /**
   * Starts connecting {@code keys.size()} clients, client {@code i} identifying as {@code
   * keys.get(i)} with relay {@code i % relays.size()}; returns at once.
   *
   * @param tls what {@code wss://} relays are trusted by; null for {@code ws://}
   * @param keyIndexes the index of each client's key, for per-key tallies
   * @param connectRate connects started per second; 0 starts them all as fast as it can
   * @param maxConnecting connects in flight (started, identify not answered) at most; 0 for any
   *     number. The constructor returns once the last connect has started.
   * @param retries connects made again for a client whose connect or upgrade failed (a load case
   *     wants every client; a storm counts the failures instead)
   */
  public ClientFleet(
      List<URI> relays,
      SSLContext tls,
      List<String> keys,
      int[] keyIndexes,
      int threads,
      SourceAddresses sources,
      Identify identify,
      int connectRate,
      int maxConnecting,
      int retries)
      throws IOException, InterruptedException {
    this.loops = new WsClientLoops(threads, tls);
    this.relays = relays;
    this.sources = sources;
    this.retries = retries;
    this.connecting = maxConnecting > 0 ? new Semaphore(maxConnecting) : null;
    this.identify = identify.forKeys(keys);
    this.answered = new CountDownLatch(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      clients.add(new BenchClient(keyIndexes[i], keys.get(i), this));
    }
    this.started = System.nanoTime();
    for (int i = 0; i < clients.size(); i++) {
      if (connectRate > 0) {
        long wait = started + (long) (i * 1e9 / connectRate) - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
      if (connecting != null && !connecting.tryAcquire(CONNECTING_WAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new IOException(
            "no connect answered within " + CONNECTING_WAIT_SECONDS + " s: " + firstProblem.get());
      }
      connect(i);
    }
    this.connectsQueued = System.nanoTime();
  }

  private void connect(int i) throws IOException {
    BenchClient client = clients.get(i);
    client.attempts++;
    client.connection =
        loops.connect(relays.get(i % relays.size()), sources.forConnection(i), client, i);
  }

  /**
   * Connects {@code client} again after its connect or upgrade failed, when retries are allowed and
   * it has some left; returns whether it did.
   */
  boolean retry(BenchClient client) {
    if (client.attempts > retries || client.connection == null) {
      return false;
    }
    try {
      connect((Integer) client.connection.attachment());
      retried.incrementAndGet();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Connects made again after a failed connect or upgrade. */
  public int retried() {
    return retried.get();
  }

  /** When the last connect was handed to the loops (nanoTime). */
  public long connectsQueued() {
    return connectsQueued;
  }

  /** The clients of a load case: every key's connections, key by key. */
  public static ClientFleet forLoad(
      Target target,
      LoadSpec spec,
      int threads,
      SourceAddresses sources,
      Identify identify,
      int connectRate,
      int maxConnecting,
      int retries)
      throws IOException, InterruptedException {
    List<String> keys = new ArrayList<>(spec.connections());
    int[] indexes = new int[spec.connections()];
    // Interleave keys so that a key's clients land on different relays and source addresses.
    int i = 0;
    for (int c = 0; c < spec.clientsPerKey(); c++) {
      for (int k = 0; k < spec.keys(); k++) {
        keys.add(LoadSpec.key(k));
        indexes[i++] = k;
      }
    }
    return new ClientFleet(
        target.relays(),
        target.clientTls(),
        keys,
        indexes,
        threads,
        sources,
        identify,
        connectRate,
        maxConnecting,
        retries);
  }

  Identify identify() {
    return identify;
  }

  /** Acks the clients sent, over all of them. */
  public long acksSent() {
    long sum = 0;
    for (BenchClient client : clients) {
      sum += client.acksSent();
    }
    return sum;
  }

  List<BenchClient> clients() {
    return clients;
  }

  int loopThreads() {
    return loops.threads();
  }

  /** When the first connect was started (nanoTime). */
  public long started() {
    return started;
  }

  /**
   * Waits until every client was answered (identified, refused, or failed) or {@code timeout}
   * passed; returns whether all of them identified.
   */
  public boolean awaitIdentified(Duration timeout) throws InterruptedException {
    answered.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    return identified.get() == clients.size();
  }

  public int size() {
    return clients.size();
  }

  public int identified() {
    return identified.get();
  }

  public int failedHandshakes() {
    return failedHandshakes.get();
  }

  public int refused() {
    return refused.get();
  }

  public int closedEarly() {
    return closedEarly.get();
  }

  /** Frames that were neither an identify reply nor an alert of this tool. */
  public int unexpectedFrames() {
    return unexpected.get();
  }

  /** The first thing that went wrong, for the log; null when nothing did. */
  public String firstProblem() {
    return firstProblem.get();
  }

  void identified(BenchClient client) {
    identified.incrementAndGet();
    answer();
  }

  void refused(BenchClient client) {
    refused.incrementAndGet();
    firstProblem.compareAndSet(null, "identify refused for " + client.key);
    answer();
  }

  void unanswered(BenchClient client) {
    answer();
  }

  private void answer() {
    answered.countDown();
    if (connecting != null) {
      connecting.release();
    }
  }

  void failedHandshake(BenchClient client, Throwable cause) {
    failedHandshakes.incrementAndGet();
    firstProblem.compareAndSet(null, "connect or upgrade failed: " + cause);
  }

  void closedEarly(BenchClient client, int code, String reason) {
    closedEarly.incrementAndGet();
    firstProblem.compareAndSet(
        null, "the relay closed " + client.key + " with " + code + " " + reason);
  }

  void unexpected() {
    unexpected.incrementAndGet();
  }

  /** Starts a phase of {@code alertsPerKey} alerts on every client. */
  AlertPhase startPhase(int alertsPerKey) {
    AlertPhase phase = new AlertPhase(alertsPerKey, clients.size(), loops.threads());
    for (BenchClient client : clients) {
      client.startPhase(phase);
    }
    return phase;
  }

  /** Closes every connection and stops the loop threads. */
  @Override
  public void close() throws InterruptedException {
    loops.close();
  }
}
