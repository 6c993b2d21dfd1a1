package org.redisalerts.publish.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.testing.TestRedis;
import picocli.CommandLine;
import redis.clients.jedis.Protocol;

/** publish, in-process against a real Redis: what lands in Redis, and every exit status. */
class PublishCommandTest {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-26T10:15:30.123Z"), ZoneOffset.UTC);

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(byte[] stdin, String... args) {
    List<String> all = new ArrayList<>(List.of("--redis", redis.url()));
    Collections.addAll(all, args);
    return runAsIs(stdin, all.toArray(String[]::new));
  }

  /** Runs with exactly {@code args} (no --redis added). */
  private int runAsIs(byte[] stdin, String... args) {
    PublishCommand command = new PublishCommand();
    command.in = new ByteArrayInputStream(stdin);
    command.clock = CLOCK;
    CommandLine cli = PublishMain.commandLine(command);
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  private int run(String... args) {
    return run(new byte[0], args);
  }

  private List<String> list(String key) {
    return redis.client().lrange(key, 0, -1);
  }

  @Test
  void messageAndPropertiesBuildTheAlertWithTypedValues() {
    int code =
        run(
            "--pool",
            "acme",
            "--id",
            "42",
            "Disk almost full",
            "-p",
            "host=db1",
            "-p",
            "percent=93.5",
            "-p",
            "critical=true",
            "-p",
            "zip=007",
            "-p",
            "note=null");
    assertThat(code).as(err.toString()).isZero();
    assertThat(list("alert/acme-42"))
        .containsExactly(
            "{\"event\":\"alert\",\"message\":\"Disk almost full\",\"recordedOn\":\"2026-11-26T10:15:30.123Z\","
                + "\"host\":\"db1\",\"percent\":93.5,\"critical\":true,\"zip\":\"007\",\"note\":\"null\"}");
    assertThat(list("watch")).containsExactly("alert/acme-42");
    assertThat(err.toString()).contains("pushed 1 alert to alert/acme-42");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void jsonIsPushedByteForByte() {
    String json = "{ \"message\" : \"caf\u00e9 \ud83d\ude80\",\"event\":\"alert\", \"n\":1.0e3 }";
    assertThat(run("--key", "alert/acme-1", "--json", json)).isZero();
    assertThat(redis.client().lrange("alert/acme-1".getBytes(UTF_8), 0, -1))
        .singleElement()
        .isEqualTo(json.getBytes(UTF_8));
  }

  @Test
  void stdinLinesArePushedInOrderEachWithItsWatchEntry() {
    String input =
        "{\"event\":\"alert\",\"n\":1}\n\n{\"event\":\"alert\",\"n\":2}\r\n{\"event\":\"alert\",\"n\":3}";
    assertThat(run(input.getBytes(UTF_8), "--key", "alert/acme-1", "--stdin")).isZero();
    assertThat(list("alert/acme-1"))
        .containsExactly(
            "{\"event\":\"alert\",\"n\":1}",
            "{\"event\":\"alert\",\"n\":2}",
            "{\"event\":\"alert\",\"n\":3}");
    assertThat(list("watch")).containsExactly("alert/acme-1", "alert/acme-1", "alert/acme-1");
  }

  @Test
  void aBadLineAnywhereMeansNothingIsPushedAndExit1NamingTheLine() {
    StringBuilder input = new StringBuilder();
    for (int i = 1; i <= 5000; i++) {
      input
          .append(
              i == 4321 ? "{\"event\":\"alert\",oops}" : "{\"event\":\"alert\",\"n\":" + i + "}")
          .append('\n');
    }
    assertThat(run(input.toString().getBytes(UTF_8), "--key", "alert/acme-1", "--stdin"))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err.toString()).contains("line 4321");
    assertThat(redis.client().exists("alert/acme-1")).isFalse();
    assertThat(redis.client().exists("watch")).isFalse();
  }

  @Test
  void invalidJsonIsRefusedWithExit1AndNothingPushed() {
    assertThat(run("--key", "alert/acme-1", "--json", "{\"event\":\"alert\""))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(run("--key", "alert/acme-1", "--json", "[1,2]")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(run("--key", "alert/acme-1", "--json", "{\"message\":\"no event\"}"))
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err.toString())
        .contains("not valid JSON")
        .contains("not a JSON object")
        .contains("no \"event\"");
    assertThat(redis.client().exists("alert/acme-1")).isFalse();
    assertThat(redis.client().exists("watch")).isFalse();
  }

  @Test
  void eventsOtherThanAlertArePushedWithAWarning() {
    assertThat(run("--key", "alert/acme-1", "--json", "{\"event\":\"notice\"}")).isZero();
    assertThat(err.toString()).contains("warning").contains("--forward-events notice");
    assertThat(list("alert/acme-1")).containsExactly("{\"event\":\"notice\"}");
  }

  @Test
  void keysOutsideTheDefaultAllowListGetAWarning() {
    assertThat(run("--key", "ops/team", "hello")).isZero();
    assertThat(err.toString()).contains("warning").contains("allow-list");
    assertThat(run("--key", "ops/team", "--quiet", "hello")).isZero();
    assertThat(list("ops/team")).hasSize(2);
  }

  @Test
  void aRedisThatForgotThePushScriptIsSentItAgain() {
    assertThat(run("--key", "alert/acme-1", "first")).isZero();
    redis.client().scriptFlush("alert/acme-1");
    assertThat(run("--key", "alert/acme-1", "second")).as(err.toString()).isZero();
    assertThat(list("alert/acme-1")).hasSize(2);
    assertThat(list("watch")).hasSize(2);
  }

  @Test
  void maxLenKeepsTheNewestAlerts() {
    for (int i = 1; i <= 5; i++) {
      assertThat(run("--key", "alert/acme-1", "--max-len", "3", "m" + i)).isZero();
    }
    assertThat(list("alert/acme-1"))
        .hasSize(3)
        .allMatch(a -> a.contains("\"m3\"") || a.contains("\"m4\"") || a.contains("\"m5\""));
  }

  @Test
  void ttlSetsAnExpiryOnTheList() {
    assertThat(run("--key", "alert/acme-1", "--ttl", "2h", "expiring")).isZero();
    long pttl = redis.client().pttl("alert/acme-1");
    assertThat(pttl).isBetween(7_000_000L, 7_200_000L);
  }

  @Test
  void commandLineMistakesExit2AndPushNothing() {
    assertThat(run("hello")).isEqualTo(ExitCodes.USAGE);
    assertThat(run("--key", "alert/a-1", "--pool", "p", "--id", "1", "hello"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(run("--pool", "p", "hello")).isEqualTo(ExitCodes.USAGE);
    assertThat(run("--key", "alert/a-1")).isEqualTo(ExitCodes.USAGE);
    assertThat(run("--key", "alert/a-1", "hello", "--json", "{}")).isEqualTo(ExitCodes.USAGE);
    assertThat(run("--key", "alert/a-1", "hello", "-p", "novalue")).isEqualTo(ExitCodes.USAGE);
    assertThat(run("--key", "alert/a-1", "hello", "-p", "event=x")).isEqualTo(ExitCodes.USAGE);
    assertThat(run("--key", "alert/a-1", "--ttl", "soon", "hello")).isEqualTo(ExitCodes.USAGE);
    assertThat(run("--key", "watch:dead", "hello")).isEqualTo(ExitCodes.USAGE);
    assertThat(run("--key", "alert/a-1", "--no-such-option", "hello")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString())
        .contains("no key")
        .contains("not both")
        .contains("go together")
        .contains("nothing to publish")
        .contains("only one of")
        .contains("NAME=VALUE")
        .contains("set by publish itself")
        .contains("Invalid value for option '--ttl': not a duration: 'soon'")
        .contains("reserved");
    assertThat(redis.client().dbSize()).isZero();
  }

  @Test
  void unreachableRedisExits3NamingTheUrl() {
    PublishCommand command = new PublishCommand();
    CommandLine cli = PublishMain.commandLine(command);
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute("--redis", "redis://127.0.0.1:1", "--key", "alert/a-1", "hello");
    assertThat(code).isEqualTo(ExitCodes.REDIS_UNREACHABLE);
    assertThat(err.toString())
        .contains("redis://127.0.0.1:1")
        .contains("nothing was pushed")
        .doesNotContain("\tat ");
  }

  @Test
  void keyHoldingAnotherTypeExits1() {
    redis.client().set("alert/a-1", "a string");
    assertThat(run("--key", "alert/a-1", "hello")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err.toString()).contains("WRONGTYPE");
    assertThat(redis.client().exists("watch")).isFalse();
  }

  @Test
  void aRedisRunningOutOfMemoryPartWayExits1SayingExactlyWhatWasPushed() {
    StringBuilder input = new StringBuilder();
    String pad = "x".repeat(200);
    for (int i = 0; i < 30_000; i++) {
      input.append("{\"event\":\"alert\",\"seq\":").append(i);
      input.append(",\"pad\":\"").append(pad).append("\"}\n");
    }
    long used =
        Long.parseLong(redis.client().info("memory").split("used_memory:")[1].split("\r")[0]);
    redis.client().configSet("maxmemory", Long.toString(used + (2 << 20))); // room for ~6,000
    try {
      int code = run(input.toString().getBytes(UTF_8), "--key", "alert/full-1", "--stdin");
      long pushed = redis.client().llen("alert/full-1");
      assertThat(code).as(err.toString()).isEqualTo(ExitCodes.BAD_INPUT);
      assertThat(pushed).isBetween(1L, 29_999L);
      assertThat(err.toString())
          .contains("OOM")
          .contains(
              pushed
                  + " of 30000 alerts were pushed, alerts "
                  + (pushed + 1)
                  + " to "
                  + (pushed + 1000)
                  + " were not, nor any after them")
          .doesNotContain("\tat ");
      assertThat(redis.client().llen("watch")).isEqualTo(pushed);
      assertThat(redis.client().lindex("alert/full-1", -1))
          .contains("\"seq\":" + (pushed - 1) + ",");
    } finally {
      redis.client().configSet("maxmemory", "0");
    }
  }

  @Test
  void aWatchListOfAnotherTypeExits1AndPushesNothing() {
    redis.client().set("watch", "a string");
    assertThat(run("--key", "alert/a-1", "hello")).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(err.toString()).contains("WRONGTYPE").contains("watch").contains("nothing");
    assertThat(redis.client().exists("alert/a-1")).as("no alert without its watch entry").isFalse();
  }

  @Test
  void aHundredThousandLineBatchArrivesComplete() {
    StringBuilder input = new StringBuilder(100_000 * 40);
    for (int i = 0; i < 100_000; i++) {
      input.append("{\"event\":\"alert\",\"seq\":").append(i).append("}\n");
    }
    long started = System.nanoTime();
    assertThat(run(input.toString().getBytes(UTF_8), "--key", "alert/bulk-1", "--stdin"))
        .as(err.toString())
        .isZero();
    long ms = (System.nanoTime() - started) / 1_000_000;
    assertThat(redis.client().llen("alert/bulk-1")).isEqualTo(100_000);
    assertThat(redis.client().llen("watch")).isEqualTo(100_000);
    assertThat(redis.client().lindex("alert/bulk-1", 0))
        .isEqualTo("{\"event\":\"alert\",\"seq\":0}");
    assertThat(redis.client().lindex("alert/bulk-1", -1))
        .isEqualTo("{\"event\":\"alert\",\"seq\":99999}");
    System.out.printf("publish --stdin: 100000 alerts in %d ms%n", ms);
  }

  @Test
  void completionScriptCompletesEveryOption() {
    assertThat(run("--generate-completion")).isZero();
    for (var option : PublishMain.commandLine(new PublishCommand()).getCommandSpec().options()) {
      if (!option.hidden()) {
        assertThat(out.toString()).as(option.longestName()).contains(option.longestName());
      }
    }
    assertThat(redis.client().dbSize()).isZero();
  }

  @Test
  void helpDocumentsEveryOptionItsEnvironmentVariableAndTheExitCodes() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString())
        .contains(
            "RWA_REDIS",
            "RWA_WATCH",
            "RWA_KEY",
            "RWA_POOL",
            "RWA_ID",
            "RWA_MAX_LEN",
            "RWA_TTL",
            "RWA_QUIET")
        .contains("0 pushed, 1 bad input")
        .contains("3 Redis unreachable or not serving");
  }

  @Test
  void aClientRedisRefusesIsToldWhyAndThatNothingWasPushed() {
    // A password, user or database Redis refuses: the connection's set-up fails, not a push.
    redis
        .client()
        .sendCommand(Protocol.Command.ACL, "SETUSER", "publisher", "on", ">right", "~*", "+@all");
    try {
      String port = redis.url().substring(redis.url().lastIndexOf(':') + 1);
      for (String url :
          List.of(
              "redis://publisher:wrong@127.0.0.1:" + port, "redis://127.0.0.1:" + port + "/99")) {
        err.getBuffer().setLength(0);
        assertThat(runAsIs(new byte[0], "--redis", url, "--key", "alert/acme-1", "hi"))
            .as(url)
            .isEqualTo(ExitCodes.REDIS_UNREACHABLE);
        assertThat(err.toString())
            .as(url)
            .contains("refused this client")
            .contains("nothing was pushed")
            .doesNotContain("wrong@");
      }
      assertThat(redis.client().exists("alert/acme-1")).isFalse();
    } finally {
      redis.client().sendCommand(Protocol.Command.ACL, "DELUSER", "publisher");
    }
  }

  @Test
  void anAlertOverWhatARelayReadsByDefaultIsPushedWithAWarning() {
    String big = "{\"event\":\"alert\",\"pad\":\"" + "x".repeat(1_100_000) + "\"}";
    assertThat(run("--key", "alert/acme-big", "--json", big)).isZero();
    assertThat(err.toString()).contains("warning").contains("--max-buffer-bytes");
    assertThat(list("alert/acme-big")).containsExactly(big);
  }
}
