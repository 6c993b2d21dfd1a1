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
import org.redisalerts.bench.LoadSpec.PublishMode;
import org.redisalerts.bench.cli.BenchCommand;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayServer;
import org.redisalerts.testing.TestRedis;
import picocli.CommandLine;

/** The benchmark at tiny sizes, so it cannot rot; speed is not asserted. */
class BenchSmokeTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final ClientOptions CLIENTS = ClientOptions.defaults();

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

  /** The relay under test runs in this JVM, so this process is its process. */
  private Target target() {
    return Target.external(
        URI.create("ws://127.0.0.1:" + relay.port() + "/bench"),
        redis.url(),
        "watch",
        ProcessHandle.current().pid());
  }

  private static LoadSpec spec(int keys, int clients, int alerts, int rate, PublishMode mode) {
    return new LoadSpec(
        keys, clients, alerts, 100, rate, mode, 4, LoadSpec.PIPELINED, Duration.ofSeconds(30));
  }

  private static void assertComplete(BenchResult result, long deliveries) {
    assertThat(result.delivered()).as(result.toTable()).isEqualTo(deliveries);
    assertThat(result.missing()).isZero();
    assertThat(result.duplicates()).isZero();
    assertThat(result.outOfOrder()).isZero();
    assertThat(result.closedEarly()).isZero();
  }

  @Test
  void interleavedRunCountsEveryDeliveryAndTheRelaysRedisCommands() throws Exception {
    BenchResult result =
        new LoadRun("smoke", target(), spec(3, 2, 40, 0, PublishMode.INTERLEAVED), CLIENTS, 0)
            .run();
    assertComplete(result, 240);
    assertThat(result.alerts()).isEqualTo(120);
    assertThat(result.p99Ms()).isPositive();
    assertThat(result.latency().p999()).isGreaterThanOrEqualTo(result.latency().p99());
    Costs costs = result.costs();
    // The publishers' 240 RPUSHes and the meter's INFOs are not the relay's.
    assertThat(costs.relayCommandsByName()).doesNotContainKey("info");
    assertThat(costs.relayCommandsByName().getOrDefault("rpush", 0L)).isLessThan(240);
    assertThat(costs.relayCommands()).isPositive();
    assertThat(costs.relayCpuSeconds()).isGreaterThanOrEqualTo(0);
    assertThat(costs.toolCpuSeconds()).isGreaterThanOrEqualTo(0);
    assertThat(result.toJson())
        .startsWith("{\"case\":\"smoke\"")
        .contains("\"delivered\":240", "\"mode\":\"interleaved\"", "\"p999\":")
        .contains("\"redisCommandsPerAlert\":", "\"relayCpuPer100k\":");
  }

  @Test
  void groupedRunDeliversEverything() throws Exception {
    BenchResult result =
        new LoadRun("grouped", target(), spec(2, 1, 250, 0, PublishMode.GROUPED), CLIENTS, 0).run();
    assertComplete(result, 500);
    assertThat(result.toJson()).contains("\"mode\":\"grouped\"");
  }

  @Test
  void publishersThatWaitForEachAlertDeliverEverything() throws Exception {
    LoadSpec oneAtATime =
        new LoadSpec(4, 1, 30, 100, 0, PublishMode.INTERLEAVED, 2, 2, Duration.ofSeconds(30));
    BenchResult result = new LoadRun("sync", target(), oneAtATime, CLIENTS, 0).run();
    assertComplete(result, 120);
    assertThat(result.toJson()).contains("\"publisherWindow\":2");
  }

  @Test
  void aWarmUpRunsFirstOnTheSameConnectionsAndIsNotCounted() throws Exception {
    StringWriter log = new StringWriter();
    BenchResult result =
        new LoadRun("warmed", target(), spec(2, 2, 20, 0, PublishMode.INTERLEAVED), CLIENTS, 30)
            .run(new PrintWriter(log, true));
    assertThat(log.toString()).contains("warm-up: 120 of 120 deliveries");
    assertThat(result.expected()).isEqualTo(80);
    assertComplete(result, 80);
  }

  @Test
  void pacedRunKeepsToTheRateOverSeveralKeys() throws Exception {
    BenchResult result =
        new LoadRun("paced", target(), spec(5, 1, 10, 500, PublishMode.INTERLEAVED), CLIENTS, 0)
            .run();
    assertComplete(result, 50);
    assertThat(result.publishPerSecond()).isLessThan(1000);
  }

  @Test
  void ceilingRunNeedsNoRelay() throws Exception {
    BenchResult result =
        new CeilingRun("ceiling", spec(2, 2, 1200, 0, PublishMode.GROUPED), CLIENTS, 600).run();
    assertComplete(result, 4800);
    assertThat(result.costs()).isNull();
  }

  @Test
  void idleRunReportsMemoryPerConnectionBothWays() throws Exception {
    IdleRun.Result result = new IdleRun(target(), 20, CLIENTS, Duration.ofSeconds(30)).run();
    assertThat(result.identified()).isEqualTo(20);
    assertThat(result.rssAfterKb()).isPositive();
    assertThat(result.gcForced()).isTrue();
    assertThat(result.toJson())
        .contains(
            "\"connections\":20", "\"bytesPerConnection\":", "\"bytesPerConnectionAfterGc\":");
  }

  @Test
  void stormConnectsEveryClientAtOnceFromSeveralSourceAddresses() throws Exception {
    StormRun.Result result =
        new StormRun(
                target(),
                60,
                new ClientOptions(2, 3, Identify.PLAIN, 0, 0, 0),
                Duration.ofSeconds(30),
                Duration.ZERO)
            .run();
    assertThat(result.allIdentified()).as(result.toTable()).isTrue();
    assertThat(result.identified()).isEqualTo(60);
    assertThat(result.sourceAddresses()).isEqualTo(3);
    assertThat(result.failedHandshakes()).isZero();
    assertThat(result.closedEarly()).isZero();
    assertThat(result.allIdentifiedMs()).isPositive();
  }

  @Test
  void stormCountsHandshakesThatFail() throws Exception {
    Target nothingThere =
        Target.external(URI.create("ws://127.0.0.1:1/"), redis.url(), "watch", null);
    StormRun.Result result =
        new StormRun(nothingThere, 5, CLIENTS, Duration.ofSeconds(30), Duration.ZERO).run();
    assertThat(result.allIdentified()).isFalse();
    assertThat(result.failedHandshakes()).isEqualTo(5);
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
            "10",
            "--publishers",
            "2");
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString().trim()).startsWith("{").endsWith("}").doesNotContain("\n");
    assertThat(err.toString()).contains("delivered       20 of 20", "interleaved");
  }

  @Test
  void commandRunsAStorm() {
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
            "--storm",
            "25",
            "--storm-hold",
            "0s");
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("\"case\":\"storm\"", "\"allIdentified\":true");
  }
}
