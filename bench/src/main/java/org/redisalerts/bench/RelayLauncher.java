package org.redisalerts.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.redisalerts.testing.TestCertificates;

/**
 * {@code --start}: the relay jar as a child process with its bundled Redis, both on loopback, so
 * that a run needs nothing else; with {@code relays > 1}, more relay processes on the same Redis
 * and watch list (SPEC 10), each on its own port. Waits by reading each relay's log. The relays get
 * a file limit and a connection limit high enough for connection storms of tens of thousands. With
 * TLS, a self-signed certificate for 127.0.0.1 is made (as the relay's tests make theirs) and the
 * relays serve {@code wss://} with it; clients trust exactly that certificate.
 */
public final class RelayLauncher implements Target {

  /** The relay's --max-connections: above any storm this tool makes. */
  static final int MAX_CONNECTIONS = 60_000;

  /**
   * The JVM flags scripts/relay and relay.service run the relay with (RelayLauncherTest keeps them
   * in step with scripts/relay); --relay-jvm-option adds to them and wins.
   */
  static final List<String> RELAY_JVM_FLAGS =
      List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xms64m");

  private static final Pattern READY = Pattern.compile("relay ready on (wss?)://[^:]+:(\\d+)/");

  /** What to start. */
  public record Setup(
      Path relayJar, List<String> jvmOptions, List<String> relayOptions, int relays, boolean tls) {
    public Setup {
      if (relays < 1 || relays > 16) {
        throw new IllegalArgumentException("relays must be 1 to 16: " + relays);
      }
      jvmOptions = List.copyOf(jvmOptions);
      relayOptions = List.copyOf(relayOptions);
    }
  }

  /** One relay process, ready. */
  private record Started(Process process, Path log, URI uri) {}

  private final List<Started> relays;
  private final int redisPort;
  private final SSLContext trust;
  private final Path certificates;

  private RelayLauncher(List<Started> relays, int redisPort, SSLContext trust, Path certificates) {
    this.relays = relays;
    this.redisPort = redisPort;
    this.trust = trust;
    this.certificates = certificates;
  }

  /** One relay over {@code ws://}. */
  public static RelayLauncher start(
      Path relayJar, List<String> jvmOptions, List<String> relayOptions)
      throws IOException, InterruptedException {
    return start(new Setup(relayJar, jvmOptions, relayOptions, 1, false));
  }

  public static RelayLauncher start(Setup setup) throws IOException, InterruptedException {
    List<String> shared = new ArrayList<>(setup.relayOptions());
    SSLContext trust = null;
    Path certificates = null;
    if (setup.tls()) {
      certificates = Files.createTempDirectory("bench-tls-");
      TestCertificates.Issued issued =
          TestCertificates.issue(certificates, "relay", "EC", "ip:127.0.0.1");
      shared.addAll(
          List.of("--tls-cert", issued.chain().toString(), "--tls-key", issued.key().toString()));
      trust = issued.trustingIt();
    }
    List<Started> started = new ArrayList<>();
    try {
      int redisPort = 0;
      for (int attempt = 0; attempt < 5 && started.isEmpty(); attempt++) {
        redisPort = ThreadLocalRandom.current().nextInt(20_000, 60_000);
        List<String> options = new ArrayList<>(List.of("--embedded-redis"));
        options.addAll(relayId(setup, 0));
        options.addAll(shared);
        Started first = launch(setup, redisPort, options);
        if (first != null) {
          started.add(first);
        }
        // Otherwise most likely the random Redis port was taken: try another.
      }
      if (started.isEmpty()) {
        throw new IOException(
            "the relay did not start; see the logs in " + System.getProperty("java.io.tmpdir"));
      }
      for (int i = 1; i < setup.relays(); i++) {
        List<String> options = new ArrayList<>(relayId(setup, i));
        options.addAll(shared);
        Started next = launch(setup, redisPort, options);
        if (next == null) {
          throw new IOException("relay " + (i + 1) + " of " + setup.relays() + " did not start");
        }
        started.add(next);
      }
      return new RelayLauncher(started, redisPort, trust, certificates);
    } catch (IOException | RuntimeException e) {
      stop(started);
      deleteTree(certificates);
      throw e;
    }
  }

  /** A name for each of several relays, for their logs; none for a relay alone. */
  private static List<String> relayId(Setup setup, int index) {
    return setup.relays() == 1 ? List.of() : List.of("--relay-id", "bench-" + (index + 1));
  }

  /** Starts one relay on Redis {@code redisPort}; null when it did not get ready. */
  private static Started launch(Setup setup, int redisPort, List<String> options)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("bench-relay-", ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(RELAY_JVM_FLAGS); // as scripts/relay and relay.service run it
    command.addAll(setup.jvmOptions());
    command.addAll(
        List.of(
            "-jar",
            setup.relayJar().toString(),
            "--redis",
            "redis://127.0.0.1:" + redisPort,
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--max-connections",
            Integer.toString(MAX_CONNECTIONS)));
    command.addAll(options);
    Process process =
        new ProcessBuilder(Processes.withFileLimit(command))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && process.isAlive()) {
      Matcher m = READY.matcher(Files.readString(log, StandardCharsets.UTF_8));
      if (m.find()) {
        stopWithThisJvm(process);
        return new Started(
            process, log, URI.create(m.group(1) + "://127.0.0.1:" + m.group(2) + "/bench"));
      }
      process.waitFor(50, TimeUnit.MILLISECONDS);
    }
    process.destroyForcibly();
    return null;
  }

  /** A relay left behind by a killed tool would hold its port and memory: stop it too. */
  static void stopWithThisJvm(Process process) {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(process::destroy, "bench-stop-" + process.pid()));
  }

  @Override
  public String name() {
    return "relay";
  }

  @Override
  public List<URI> relays() {
    return relays.stream().map(Started::uri).toList();
  }

  @Override
  public String redis() {
    return "redis://127.0.0.1:" + redisPort;
  }

  @Override
  public OptionalLong pid() {
    return OptionalLong.of(relays.get(0).process().pid());
  }

  @Override
  public List<Long> pids() {
    return relays.stream().map(r -> r.process().pid()).toList();
  }

  @Override
  public SSLContext clientTls() {
    return trust;
  }

  @Override
  public boolean forceGc() throws IOException, InterruptedException {
    boolean all = true;
    for (Started relay : relays) {
      all &= Processes.jcmdGc(relay.process().pid());
    }
    return all;
  }

  @Override
  public void close() throws InterruptedException {
    stop(relays);
    deleteTree(certificates);
  }

  /** Stops the relays, the first (which runs Redis) last. */
  private static void stop(List<Started> relays) throws InterruptedException {
    for (int i = relays.size() - 1; i >= 0; i--) {
      Process process = relays.get(i).process();
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      try {
        Files.deleteIfExists(relays.get(i).log());
      } catch (IOException e) {
        // A temp file left behind; nothing more to do.
      }
    }
  }

  private static void deleteTree(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // Temp files left behind; nothing more to do.
    }
  }
}
