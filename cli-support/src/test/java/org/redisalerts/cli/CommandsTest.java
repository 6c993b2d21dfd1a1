package org.redisalerts.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** What every command built by {@link Commands} gets: exit statuses, converters, version. */
class CommandsTest {

  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int BUSY = 5;

  static final class BusyException extends Exception {
    private static final long serialVersionUID = 1L;

    BusyException(String message) {
      super(message);
    }
  }

  @Command(name = "toy", mixinStandardHelpOptions = true)
  static final class Toy implements Callable<Integer> {

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "${env:TOY_NO_SUCH_VAR}")
    Duration wait;

    @Option(names = "--buffer", paramLabel = "BYTES", defaultValue = "4KiB")
    ByteSize buffer;

    @Option(names = "--fail", paramLabel = "HOW")
    String fail;

    @Override
    public Integer call() throws Exception {
      if ("busy".equals(fail)) {
        throw new BusyException("the toy is busy");
      }
      if ("value".equals(fail)) {
        throw new IllegalArgumentException("--fail: a bad value");
      }
      if ("bug".equals(fail)) {
        throw new IllegalStateException();
      }
      return OK;
    }
  }

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private final Toy toy = new Toy();

  private int run(String... args) {
    CommandLine cli =
        Commands.create(toy, ExitCodeMapper.of(USAGE, FAILED).on(BusyException.class, BUSY));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void durationsAndSizesAreConvertedBeforeTheCommandRuns() {
    assertThat(run("--wait", "1500ms", "--buffer", "1MiB")).isEqualTo(OK);
    assertThat(toy.wait).isEqualTo(Duration.ofMillis(1500));
    assertThat(toy.buffer).isEqualTo(new ByteSize(1 << 20));
  }

  @Test
  void unsetAndBlankValuesAreNotGiven() {
    assertThat(run()).isEqualTo(OK);
    assertThat(toy.wait).isNull();
    assertThat(toy.buffer).isEqualTo(new ByteSize(4096));
    assertThat(run("--wait", " ")).isEqualTo(OK);
    assertThat(toy.wait).isNull();
  }

  @Test
  void aBadDurationIsAUsageErrorNamingTheOption() {
    assertThat(run("--wait", "soon")).isEqualTo(USAGE);
    assertThat(err.toString())
        .isEqualTo(
            "toy: Invalid value for option '--wait': "
                + "not a duration: 'soon' (write e.g. 500ms, 10s, 2m, 1h or PT10S)\n"
                + "Try 'toy --help' for more information.\n");
  }

  @Test
  void aBadSizeIsAUsageErrorNamingTheOption() {
    assertThat(run("--buffer", "64KB")).isEqualTo(USAGE);
    assertThat(err.toString()).contains("--buffer").contains("not a size: '64KB'");
  }

  @Test
  void failuresExitWithTheirStatusAndPrintOnlyTheMessage() {
    assertThat(run("--fail", "busy")).isEqualTo(BUSY);
    assertThat(run("--fail", "value")).isEqualTo(USAGE);
    assertThat(run("--fail", "bug")).isEqualTo(FAILED);
    assertThat(run("--no-such-option")).isEqualTo(USAGE);
    assertThat(err.toString())
        .contains("toy: the toy is busy\n")
        .contains("toy: --fail: a bad value\n")
        .contains("toy: IllegalStateException\n")
        .contains("toy: Unknown option: '--no-such-option'\nTry 'toy --help'")
        .doesNotContain("\tat ");
  }

  @Test
  void helpDoesNotShowTheCompletionOption() {
    assertThat(run("--help")).isEqualTo(OK);
    assertThat(out.toString()).startsWith("Usage: toy [-hV]").doesNotContain("completion");
  }

  @Test
  void completionScriptCompletesEveryOptionButItsOwn() {
    assertThat(run("--fail", "bug", Commands.COMPLETION)).isEqualTo(OK);
    assertThat(out.toString())
        .startsWith("#!/usr/bin/env bash")
        .endsWith("complete -F _complete_toy -o default toy toy.sh toy.bash\n")
        .contains("--wait", "--buffer", "--fail", "--help", "--version")
        .doesNotContain(Commands.COMPLETION);
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void versionNamesTheCommand() {
    assertThat(run("--version")).isEqualTo(OK);
    assertThat(out.toString()).isEqualTo("redis-ws-alerts toy development\n");
  }
}
