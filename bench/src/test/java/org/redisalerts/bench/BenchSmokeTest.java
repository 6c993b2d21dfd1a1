package org.redisalerts.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.bench.cli.BenchCommand;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayServer;
import org.redisalerts.testing.TestRedis;
import picocli.CommandLine;

/** The benchmark at tiny sizes, so it cannot rot; speed is not asserted. */
class BenchSmokeTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private RelayServer relay;

  @BeforeEach
  void start() throws Exception {
    relay =
        new RelayServer(RelayConfig.builder(redis.endpoint()).bind("127.0.0.1").port(0).build())
            .start();
  }

  @AfterEach
  void stop() {
    relay.close();
  }

  private LoadSpec spec(int keys, int clients, int alerts, int rate) {
    return new LoadSpec(
        URI.create("ws://127.0.0.1:" + relay.port() + "/bench"),
        redis.url(),
        "watch",
        keys,
        clients,
        alerts,
        100,
        rate,
        Duration.ofSeconds(30));
  }

  @Test
  void loadRunCountsEveryDeliveryAndTimesIt() throws Exception {
    BenchResult result = new LoadRun("smoke", spec(3, 2, 40, 0)).run();
    assertThat(result.delivered()).isEqualTo(240);
    assertThat(result.missing()).isZero();
    assertThat(result.duplicates()).isZero();
    assertThat(result.outOfOrder()).isZero();
    assertThat(result.p99Ms()).isPositive();
    assertThat(result.toJson()).startsWith("{\"case\":\"smoke\"").contains("\"delivered\":240");
  }

  @Test
  void aWarmUpRunsFirstOnTheSameConnectionsAndIsNotCounted() throws Exception {
    StringWriter log = new StringWriter();
    BenchResult result =
        new LoadRun("warmed", spec(2, 2, 20, 0), 30).run(new PrintWriter(log, true));
    assertThat(log.toString()).contains("warm-up: 120 of 120 deliveries");
    assertThat(result.expected()).isEqualTo(80);
    assertThat(result.delivered()).isEqualTo(80);
    assertThat(result.missing()).isZero();
    assertThat(result.duplicates()).isZero();
    assertThat(result.outOfOrder()).isZero();
  }

  @Test
  void pacedRunKeepsToTheRate() throws Exception {
    BenchResult result = new LoadRun("paced", spec(1, 1, 50, 500)).run();
    assertThat(result.missing()).isZero();
    assertThat(result.publishPerSecond()).isLessThan(1000);
  }

  @Test
  void ceilingRunNeedsNoRelay() throws Exception {
    BenchResult result = new CeilingRun("ceiling", spec(2, 2, 1200, 0), 600).run();
    assertThat(result.delivered()).isEqualTo(4800);
    assertThat(result.missing()).isZero();
  }

  @Test
  void idleRunReportsMemoryPerConnection() throws Exception {
    IdleRun.Result result =
        new IdleRun(
                URI.create("ws://127.0.0.1:" + relay.port() + "/"),
                ProcessHandle.current().pid(),
                20)
            .run();
    assertThat(result.connections()).isEqualTo(20);
    assertThat(result.rssAfterKb()).isPositive();
    assertThat(result.toJson()).contains("\"connections\":20");
  }

  @Test
  void commandPrintsOneJsonLineAndExitsZero() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new BenchCommand());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code =
        cli.execute(
            "--relay",
            "ws://127.0.0.1:" + relay.port() + "/bench",
            "--redis",
            redis.url(),
            "--keys",
            "2",
            "--clients",
            "1",
            "--alerts",
            "10");
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString().trim()).startsWith("{").endsWith("}").doesNotContain("\n");
    assertThat(err.toString()).contains("delivered       20 of 20");
  }
}
