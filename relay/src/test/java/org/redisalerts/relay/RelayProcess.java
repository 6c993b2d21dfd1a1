package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.redisalerts.relay.cli.RelayMain;

/** The real relay command as a child JVM, for tests that kill or signal it. */
final class RelayProcess implements AutoCloseable {

  private static final Pattern READY = Pattern.compile("relay ready on (wss?)://[^:]+:(\\d+)/");

  private final Process process;
  private final Path log;
  private int port;
  private String scheme;

  private RelayProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code relay --bind 127.0.0.1 --port 0 ARGS} and waits until it is ready. */
  static RelayProcess start(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(RelayMain.class.getName());
    command.add("--bind");
    command.add("127.0.0.1");
    command.add("--port");
    command.add("0");
    command.addAll(List.of(args));
    Path log = Files.createTempFile("relay-", ".log");
    log.toFile().deleteOnExit();
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    RelayProcess relay = new RelayProcess(process, log);
    try {
      relay.port =
          await()
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(20))
              .until(relay::readyPort, p -> p > 0 || !process.isAlive());
    } catch (ConditionTimeoutException e) {
      relay.kill();
      fail("relay did not start within 30 s\n" + relay.output());
    }
    if (relay.port <= 0) {
      fail("relay exited before it was ready\n" + relay.output());
    }
    return relay;
  }

  private int readyPort() {
    Matcher m = READY.matcher(output());
    if (!m.find()) {
      return 0;
    }
    scheme = m.group(1);
    return Integer.parseInt(m.group(2));
  }

  boolean isAlive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  URI uri() {
    return URI.create(scheme + "://127.0.0.1:" + port + "/app");
  }

  /** SIGKILL: no shutdown of any kind. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGSTOP: the process stops running, its sockets stay open (a long pause, a frozen VM). */
  void pause() throws Exception {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause}. */
  void resume() throws Exception {
    signal("CONT");
  }

  private void signal(String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      fail("kill -" + name + " failed");
    }
  }

  /** Sends SIGTERM and returns at once. */
  void sigterm() {
    process.destroy();
  }

  /** SIGTERM, then the exit status. */
  int terminate() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      fail("relay did not exit within 30 s of SIGTERM\n" + output());
    }
    return process.exitValue();
  }

  String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
