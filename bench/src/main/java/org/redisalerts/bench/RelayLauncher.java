package org.redisalerts.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --start}: the relay jar as a child process with its bundled Redis, both on loopback, so
 * that a run needs nothing else. Waits by reading the relay's log. The relay gets a file limit and
 * a connection limit high enough for connection storms of tens of thousands.
 */
public final class RelayLauncher implements Target {

  /** The relay's --max-connections: above any storm this tool makes. */
  static final int MAX_CONNECTIONS = 60_000;

  /**
   * The JVM flags scripts/relay and relay.service run the relay with (RelayLauncherTest keeps them
   * in step with scripts/relay); --relay-jvm-option adds to them and wins.
   */
  static final List<String> RELAY_JVM_FLAGS =
      List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xms16m");

  private static final Pattern READY = Pattern.compile("relay ready on (wss?)://[^:]+:(\\d+)/");

  private final Process process;
  private final Path log;
  private final int port;
  private final int redisPort;

  private RelayLauncher(Process process, Path log, int port, int redisPort) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.redisPort = redisPort;
  }

  public static RelayLauncher start(
      Path relayJar, List<String> jvmOptions, List<String> relayOptions)
      throws IOException, InterruptedException {
    for (int attempt = 0; attempt < 5; attempt++) {
      int redisPort = ThreadLocalRandom.current().nextInt(20_000, 60_000);
      Path log = Files.createTempFile("bench-relay-", ".log");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(RELAY_JVM_FLAGS); // as scripts/relay and relay.service run it
      command.addAll(jvmOptions);
      command.addAll(
          List.of(
              "-jar",
              relayJar.toString(),
              "--embedded-redis",
              "--redis",
              "redis://127.0.0.1:" + redisPort,
              "--bind",
              "127.0.0.1",
              "--port",
              "0",
              "--max-connections",
              Integer.toString(MAX_CONNECTIONS)));
      command.addAll(relayOptions);
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
          return new RelayLauncher(process, log, Integer.parseInt(m.group(2)), redisPort);
        }
        process.waitFor(50, TimeUnit.MILLISECONDS);
      }
      process.destroyForcibly();
      // Most likely the random Redis port was taken: try another.
    }
    throw new IOException(
        "the relay did not start; see the logs in " + System.getProperty("java.io.tmpdir"));
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
    return List.of(URI.create("ws://127.0.0.1:" + port + "/bench"));
  }

  @Override
  public String redis() {
    return "redis://127.0.0.1:" + redisPort;
  }

  @Override
  public OptionalLong pid() {
    return OptionalLong.of(process.pid());
  }

  @Override
  public boolean forceGc() throws IOException, InterruptedException {
    return Processes.jcmdGc(process.pid());
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // A temp file left behind; nothing more to do.
    }
  }
}
