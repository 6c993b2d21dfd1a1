package org.redisalerts.bench;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.redisalerts.bench.cli.BenchCommand;
import picocli.CommandLine;

/**
 * {@code scripts/bench --start} with the variants, against the relay jar this build made: the
 * relays are real processes started as the tool starts them for measurements.
 */
class StartedRelaysIT {

  private static final Path RELAY_JAR =
      Path.of("..", "relay", "target", "relay.jar").toAbsolutePath().normalize();

  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static Run bench(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new BenchCommand());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void twoRelaysOverWssWithTokensAndAcksDeliverEverything() throws Exception {
    Path secret = dir.resolve("secret");
    Files.writeString(secret, "a bench secret of more than thirty-two bytes\n", UTF_8);
    Run run =
        bench(
            "--start",
            "--relay-jar",
            RELAY_JAR.toString(),
            "--relays",
            "2",
            "--tls",
            "--ack",
            "--token-secret",
            secret.toString(),
            "--keys",
            "6",
            "--alerts",
            "60",
            "--warmup",
            "20",
            "--timeout",
            "60s");
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("\"delivered\":360", "\"missing\":0", "\"closedEarly\":0");
  }

  @Test
  void aStartedRelayWithATokenSecretRequiresTokens() throws Exception {
    Path secret = dir.resolve("secret");
    Files.writeString(secret, "a bench secret of more than thirty-two bytes\n", UTF_8);
    Run signed =
        bench(
            "--start",
            "--relay-jar",
            RELAY_JAR.toString(),
            "--token-secret",
            secret.toString(),
            "--storm",
            "50",
            "--storm-hold",
            "0s");
    assertThat(signed.code()).as(signed.err()).isZero();
    assertThat(signed.out()).contains("\"identified\":50", "\"refused\":0");
  }

  @Test
  void variantsThatNeedStartedRelaysAreRefusedWithoutStart() {
    Run run = bench("--relays", "2", "--keys", "2");
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("need --start");
  }
}
