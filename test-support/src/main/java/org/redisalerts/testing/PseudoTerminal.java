package org.redisalerts.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a shell command on a real pseudo-terminal (util-linux {@code script}): its standard input,
 * output and error are the terminal unless the command redirects them, as in a person's shell. For
 * tests of what a command does on a terminal and not in a pipe.
 */
public final class PseudoTerminal {

  private static final Path SCRIPT = Path.of("/usr/bin/script");

  private PseudoTerminal() {}

  /** Whether {@code script} is here (Debian: always, it is in an essential package). */
  public static boolean available() {
    return Files.isExecutable(SCRIPT);
  }

  /**
   * Runs {@code command} with {@code sh -c} on a terminal and returns what the terminal showed;
   * fails unless it exits 0 within a minute.
   */
  public static String run(String command) throws IOException, InterruptedException {
    return finish(new ProcessBuilder(SCRIPT.toString(), "-qec", command, "/dev/null"));
  }

  /** Runs {@code command} with {@code sh -c} on pipes, no terminal anywhere; returns its output. */
  public static String runWithoutTerminal(String command) throws IOException, InterruptedException {
    return finish(new ProcessBuilder("sh", "-c", command));
  }

  /** A command line that runs {@code main} in a new JVM on this JVM's class path. */
  public static String java(Class<?> main, String... args) {
    List<String> words = new ArrayList<>();
    words.add(quote(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    words.add("-cp");
    words.add(quote(System.getProperty("java.class.path")));
    words.add(main.getName());
    for (String arg : args) {
      words.add(quote(arg));
    }
    return String.join(" ", words);
  }

  /** {@code text} as one shell word. */
  public static String quote(String text) {
    return "'" + text.replace("'", "'\\''") + "'";
  }

  private static String finish(ProcessBuilder builder) throws IOException, InterruptedException {
    Process process = builder.redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("finished: %s", output).isTrue();
    assertThat(process.exitValue()).as("exit status; output: %s", output).isZero();
    return output;
  }
}
