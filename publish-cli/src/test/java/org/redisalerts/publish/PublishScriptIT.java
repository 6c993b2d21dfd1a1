package org.redisalerts.publish;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisalerts.testing.TestRedis;

/** The real {@code scripts/publish} launcher as a process, on the packaged jar. */
class PublishScriptIT {

  @RegisterExtension static final TestRedis redis = new TestRedis();

  private static final Path SCRIPT =
      Path.of("..", "scripts", "publish").toAbsolutePath().normalize();

  private static Process start(String... args) throws Exception {
    String[] command = new String[args.length + 3];
    command[0] = SCRIPT.toString();
    command[1] = "--redis";
    command[2] = redis.url();
    System.arraycopy(args, 0, command, 3, args.length);
    return new ProcessBuilder(command).start();
  }

  private static int finish(Process process) throws Exception {
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return process.exitValue();
  }

  /** {@code publish} exited 0; what it wrote to standard error describes a failure. */
  private static void assertSucceeds(Process publish) throws Exception {
    assertThat(finish(publish))
        .as(new String(publish.getErrorStream().readAllBytes(), UTF_8))
        .isZero();
  }

  @Test
  void scriptPushesAMessageAndExitsZero() throws Exception {
    Process publish = start("--pool", "acme", "--id", "7", "Backup failed", "-p", "job=nightly");
    assertSucceeds(publish);
    assertThat(redis.client().lrange("alert/acme-7", 0, -1))
        .singleElement()
        .asString()
        .startsWith("{\"event\":\"alert\",\"message\":\"Backup failed\",\"recordedOn\":\"")
        .endsWith("\",\"job\":\"nightly\"}");
    assertThat(redis.client().lrange("watch", 0, -1)).containsExactly("alert/acme-7");
  }

  @Test
  void aMessageInUtf8ArrivesIntactUnderTheCLocale() throws Exception {
    // Cron jobs, containers and systemd units often run without LANG: there the JVM would read
    // the arguments as ASCII and push U+FFFD for every other byte. The message's bytes are made
    // by bash (printf), so they do not depend on this JVM's own encoding.
    ProcessBuilder builder =
        new ProcessBuilder(
            "bash",
            "-c",
            "exec \"$0\" --redis \"$1\" --key alert/acme-8 \"$(printf '\\303\\251chec \\342\\234\\223')\"",
            SCRIPT.toString(),
            redis.url());
    builder.environment().remove("LANG");
    builder.environment().remove("LANGUAGE");
    builder.environment().put("LC_ALL", "C");
    Process publish = builder.start();
    assertSucceeds(publish);
    assertThat(redis.client().lrange("alert/acme-8", 0, -1))
        .singleElement()
        .asString()
        .contains("\"message\":\"\u00e9chec \u2713\"");
  }

  @Test
  void bytesThatAreNotUtf8InAnArgumentAreRefusedAndNothingIsPushed() throws Exception {
    // The JVM turns such bytes into U+FFFD before publish sees them: pushed, the alert would not
    // be what the caller gave (an outside probe got exit 0 and U+FFFD in Redis).
    for (String args :
        new String[] {
          "--key alert/acme-9 \"$(printf 'bad \\377\\376')\"",
          "--key alert/acme-9 --json \"$(printf '{\"event\":\"alert\",\"m\":\"\\377\"}')\"",
          "--key alert/acme-9 ok -p \"$(printf 'h=\\377')\""
        }) {
      Process publish =
          new ProcessBuilder(
                  "bash",
                  "-c",
                  "exec \"$0\" --redis \"$1\" " + args,
                  SCRIPT.toString(),
                  redis.url())
              .start();
      assertThat(finish(publish)).as(args).isEqualTo(2);
      assertThat(new String(publish.getErrorStream().readAllBytes(), UTF_8))
          .as(args)
          .contains("is not valid Unicode text");
      assertThat(redis.client().exists("alert/acme-9")).as(args).isFalse();
    }
  }

  /** Runs the script with {@code env} added to its environment. */
  private static Process startWith(java.util.Map<String, String> env, String... args)
      throws Exception {
    String[] command = new String[args.length + 3];
    command[0] = SCRIPT.toString();
    command[1] = "--redis";
    command[2] = redis.url();
    System.arraycopy(args, 0, command, 3, args.length);
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(env);
    return builder.start();
  }

  @Test
  void theCommandLineWinsOverTheEnvironmentAndABadVariableIsNamed() throws Exception {
    // A script that exports RWA_KEY and RWA_JSON may still name another recipient and publish a
    // MESSAGE; RWA_PROPERTIES gives -p's fields, one per line.
    assertSucceeds(
        startWith(
            java.util.Map.of(
                "RWA_KEY", "alert/from-env",
                "RWA_JSON", "{\"event\":\"alert\",\"from\":\"env\"}",
                "RWA_PROPERTIES", "job=nightly\nhost=db1\n"),
            "--pool",
            "acme",
            "--id",
            "11",
            "on the command line"));
    assertThat(redis.client().exists("alert/from-env")).isFalse();
    assertThat(redis.client().lrange("alert/acme-11", 0, -1))
        .singleElement()
        .asString()
        .contains("\"message\":\"on the command line\"")
        .contains("\"job\":\"nightly\"")
        .contains("\"host\":\"db1\"");
    // RWA_JSON alone, with RWA_KEY: what a script that exports both publishes.
    assertSucceeds(
        startWith(
            java.util.Map.of(
                "RWA_KEY", "alert/from-env", "RWA_JSON", "{\"event\":\"alert\",\"n\":1}")));
    assertThat(redis.client().lrange("alert/from-env", 0, -1))
        .containsExactly("{\"event\":\"alert\",\"n\":1}");

    Process bad = startWith(java.util.Map.of("RWA_MAX_LEN", "lots"), "--key", "alert/x", "hi");
    assertThat(finish(bad)).isEqualTo(2);
    assertThat(new String(bad.getErrorStream().readAllBytes(), UTF_8))
        .contains("'--max-len'")
        .contains("from the environment variable RWA_MAX_LEN");
  }

  @Test
  void scriptReadsStdinAndRefusesABadLineWithExit1() throws Exception {
    Process publish = start("--key", "alert/acme-7", "--stdin");
    try (OutputStream in = publish.getOutputStream()) {
      in.write("{\"event\":\"alert\",\"n\":1}\nnot json\n".getBytes(UTF_8));
    }
    assertThat(finish(publish)).isEqualTo(1);
    assertThat(new String(publish.getErrorStream().readAllBytes(), UTF_8)).contains("line 2");
    assertThat(redis.client().exists("alert/acme-7")).isFalse();
  }

  /** The README's one-liner, in a real bash: the sourced script completes publish's options. */
  @Test
  void completionInstalledWithTheReadmeOneLinerCompletesOptions() throws Exception {
    Process bash =
        new ProcessBuilder(
                "bash",
                "-c",
                "source <(\"$0\" --generate-completion) && complete -p publish"
                    + " && COMP_WORDS=(publish --ma) COMP_CWORD=1 && _complete_publish"
                    + " && printf '%s\\n' \"${COMPREPLY[@]}\"",
                SCRIPT.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String out = new String(bash.getInputStream().readAllBytes(), UTF_8);
    assertThat(finish(bash)).as(out).isZero();
    assertThat(out).contains("-F _complete_publish").endsWith("\n--max-len\n");
  }

  @Test
  void scriptExits3WhenRedisIsUnreachable() throws Exception {
    Process publish =
        new ProcessBuilder(
                SCRIPT.toString(), "--redis", "redis://127.0.0.1:1", "--key", "alert/a-1", "hi")
            .start();
    assertThat(finish(publish)).isEqualTo(3);
    assertThat(new String(publish.getErrorStream().readAllBytes(), UTF_8))
        .contains("cannot reach Redis at redis://127.0.0.1:1");
  }
}
