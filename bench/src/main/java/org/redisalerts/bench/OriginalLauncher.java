package org.redisalerts.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import redis.embedded.RedisServer;

/**
 * {@code --start-original}: the Node.js original (npm {@code redis-ws-alerts}) as a child process,
 * through the runner in {@code bench/original/}, with a Redis of its own (the bundled server, on
 * 127.0.0.1). Installs the runner's packages into {@code bench/target/original/} first when they
 * are missing or the package spec changed. SIGUSR2 asks it for a full GC.
 */
public final class OriginalLauncher implements Target {

  /** The version measured: the last one published. */
  public static final String DEFAULT_PACKAGE = "1.0.8";

  private static final Pattern READY = Pattern.compile("original ready on ws://[^:]+:(\\d+)/");

  private final RedisServer redisServer;
  private final int redisPort;
  private final Process process;
  private final Path log;
  private final int port;

  private OriginalLauncher(
      RedisServer redisServer, int redisPort, Process process, Path log, int port) {
    this.redisServer = redisServer;
    this.redisPort = redisPort;
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /**
   * @param runner the runner's folder (bench/original)
   * @param installDir where to install it (bench/target/original)
   * @param packageSpec the npm spec of redis-ws-alerts: a version, a tarball or a folder
   */
  public static OriginalLauncher start(
      Path runner, Path installDir, String packageSpec, String node)
      throws IOException, InterruptedException {
    install(runner, installDir, packageSpec);
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      int redisPort = ThreadLocalRandom.current().nextInt(20_000, 60_000);
      RedisServer redis =
          RedisServer.newRedisServer()
              .bind("127.0.0.1")
              .port(redisPort)
              .setting("save \"\"")
              .setting("appendonly no")
              .build();
      try {
        redis.start();
      } catch (IOException e) {
        last = e; // most likely the port was taken: try another
        continue;
      }
      try {
        return startNode(redis, redisPort, installDir, node);
      } catch (IOException | RuntimeException e) {
        redis.stop();
        throw e;
      }
    }
    throw new IOException("cannot start a Redis for the original", last);
  }

  private static OriginalLauncher startNode(
      RedisServer redis, int redisPort, Path installDir, String node)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("bench-original-", ".log");
    List<String> command =
        List.of(
            node,
            "--expose-gc",
            installDir.toAbsolutePath().resolve("relay.js").toString(),
            "--redis",
            "redis://127.0.0.1:" + redisPort,
            "--port",
            "0",
            "--bind",
            "127.0.0.1");
    Process process =
        new ProcessBuilder(Processes.withFileLimit(command))
            .directory(installDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && process.isAlive()) {
      Matcher m = READY.matcher(Files.readString(log, StandardCharsets.UTF_8));
      if (m.find()) {
        RelayLauncher.stopWithThisJvm(process);
        return new OriginalLauncher(redis, redisPort, process, log, Integer.parseInt(m.group(1)));
      }
      process.waitFor(50, TimeUnit.MILLISECONDS);
    }
    process.destroyForcibly();
    throw new IOException(
        "the original did not start: " + Files.readString(log, StandardCharsets.UTF_8).trim());
  }

  /** Copies the runner and runs npm install unless the same spec is installed already. */
  private static void install(Path runner, Path installDir, String packageSpec)
      throws IOException, InterruptedException {
    Path marker = installDir.resolve(".installed");
    String template = Files.readString(runner.resolve("package.json"), StandardCharsets.UTF_8);
    String pinned = "\"redis-ws-alerts\": \"" + DEFAULT_PACKAGE + "\"";
    if (!template.contains(pinned)) {
      throw new IOException(runner.resolve("package.json") + " does not name " + pinned);
    }
    String manifest = template.replace(pinned, "\"redis-ws-alerts\": \"" + packageSpec + "\"");
    Files.createDirectories(installDir);
    Files.copy(
        runner.resolve("relay.js"),
        installDir.resolve("relay.js"),
        StandardCopyOption.REPLACE_EXISTING);
    if (Files.exists(marker)
        && Files.readString(marker, StandardCharsets.UTF_8).equals(manifest)
        && Files.isDirectory(installDir.resolve("node_modules/redis-ws-alerts"))) {
      return;
    }
    Files.writeString(installDir.resolve("package.json"), manifest, StandardCharsets.UTF_8);
    Path npmLog = installDir.resolve("npm-install.log");
    List<String> npm = new ArrayList<>(List.of("npm", "install", "--no-audit", "--no-fund"));
    Process p =
        new ProcessBuilder(npm)
            .directory(installDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(npmLog.toFile())
            .start();
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(
          "npm install of redis-ws-alerts@"
              + packageSpec
              + " failed (log: "
              + npmLog
              + "); where the registry lacks it, build a tarball with"
              + " bench/original/pack-from-source and pass --original-package");
    }
    Files.writeString(marker, manifest, StandardCharsets.UTF_8);
  }

  @Override
  public String name() {
    return "original";
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

  /** SIGUSR2: the runner calls {@code global.gc()}. */
  @Override
  public boolean forceGc() throws IOException, InterruptedException {
    return Processes.signal(process.pid(), "USR2");
  }

  @Override
  public void close() throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    redisServer.stop();
    Files.deleteIfExists(log);
  }
}
