package org.redisalerts.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.redisalerts.testing.TestCertificates;
import picocli.CommandLine;

/** The relay's command line, run in-process: help, version, and refusals of bad values. */
class RelayCommandTest {

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = RelayMain.commandLine(new RelayCommand());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void helpListsEveryOptionWithItsEnvironmentVariable() {
    assertThat(run("--help")).isZero();
    String help = out.toString();
    for (String option :
        new String[] {
          "--redis",
          "--port",
          "--bind",
          "--watch",
          "--allow-keys",
          "--embedded-redis",
          "--max-frame-bytes",
          "--identify-timeout",
          "--ping-interval",
          "--forward-events",
          "--claim-batch",
          "--shutdown-timeout",
          "--write-timeout",
          "--max-connections",
          "--admin-port",
          "--max-buffer-bytes",
          "--handshake-timeout",
          "--max-connections-per-ip",
          "--allowed-origins",
          "--require-origin",
          "--admin-bind",
          "--recheck-interval",
          "--tls-cert",
          "--tls-key",
          "--token-secret-file",
          "--token-public-key",
          "--token-jwks",
          "--token-issuer",
          "--token-audience"
        }) {
      assertThat(help).contains(option);
    }
    for (String env :
        new String[] {
          "RWA_REDIS",
          "RWA_PORT",
          "RWA_BIND",
          "RWA_WATCH",
          "RWA_ALLOW_KEYS",
          "RWA_EMBEDDED_REDIS",
          "RWA_MAX_FRAME_BYTES",
          "RWA_IDENTIFY_TIMEOUT",
          "RWA_PING_INTERVAL",
          "RWA_FORWARD_EVENTS",
          "RWA_CLAIM_BATCH",
          "RWA_SHUTDOWN_TIMEOUT",
          "RWA_WRITE_TIMEOUT",
          "RWA_MAX_CONNECTIONS",
          "RWA_ADMIN_PORT",
          "RWA_MAX_BUFFER_BYTES",
          "RWA_HANDSHAKE_TIMEOUT",
          "RWA_MAX_CONNECTIONS_PER_IP",
          "RWA_ALLOWED_ORIGINS",
          "RWA_REQUIRE_ORIGIN",
          "RWA_ADMIN_BIND",
          "RWA_RECHECK_INTERVAL",
          "RWA_TLS_CERT",
          "RWA_TLS_KEY",
          "RWA_TOKEN_SECRET_FILE",
          "RWA_TOKEN_PUBLIC_KEY",
          "RWA_TOKEN_JWKS",
          "RWA_TOKEN_ISSUER",
          "RWA_TOKEN_AUDIENCE"
        }) {
      assertThat(help).contains(env);
    }
    assertThat(help).contains("Default 3001");
  }

  @Test
  void versionIsPrinted() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).contains("relay");
  }

  @Test
  void portOutOfRangeExits2WithTheValue() {
    assertThat(run("--port", "70000")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("port out of range: 70000");
  }

  @Test
  void redisUrlWithTheWrongSchemeExits2() {
    assertThat(run("--redis", "http://127.0.0.1:6379")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("redis://");
  }

  @Test
  void badDurationExits2NamingTheOption() {
    assertThat(run("--identify-timeout", "soon")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--identify-timeout").contains("soon");
  }

  @Test
  void badSizeExits2NamingTheOption() {
    assertThat(run("--max-buffer-bytes", "lots")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--max-buffer-bytes").contains("lots");
  }

  @Test
  void badOriginExits2NamingIt() {
    assertThat(run("--allowed-origins", "https://ok.example,not an origin"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("not an origin");
  }

  @Test
  void defaultsAreTheConfigurationsDefaults() {
    RelayCommand command = new RelayCommand();
    RelayMain.commandLine(command).parseArgs();
    assertThat(command.config())
        .isEqualTo(
            org.redisalerts.relay.RelayConfig.builder(
                    org.redisalerts.common.RedisEndpoint.parse(
                        org.redisalerts.common.RedisEndpoint.DEFAULT_URL))
                .allowedOrigins(java.util.List.of("*"))
                .build());
  }

  @Test
  void completionScriptNamesTheOptions() {
    assertThat(run("--generate-completion")).isZero();
    assertThat(out.toString()).contains("--max-connections-per-ip").contains("--allowed-origins");
  }

  @Test
  void badGlobExits2() {
    assertThat(run("--allow-keys", "alert/[x")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("unclosed");
  }

  @Test
  void unknownOptionExits2() {
    assertThat(run("--no-such-option")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--no-such-option");
  }

  /** Runs on loopback against a Redis that is not there, with {@code more} options. */
  private int runOnLoopback(String port, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of("--bind", "127.0.0.1", "--port", port, "--redis", "redis://127.0.0.1:1"));
    Collections.addAll(args, more);
    return run(args.toArray(String[]::new));
  }

  @Test
  void portAlreadyInUseExits1WithAClearMessage() throws Exception {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int code = runOnLoopback(Integer.toString(taken.getLocalPort()));
      assertThat(code).isEqualTo(ExitCodes.FAILED);
      assertThat(err.toString())
          .contains("cannot listen on")
          .contains(Integer.toString(taken.getLocalPort()));
    }
  }

  @Test
  void anAdminPortInUseIsNamedAndABindHostNobodyKnowsOrAnEmbeddedRedisElsewhereExit2()
      throws Exception {
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int code = runOnLoopback("0", "--admin-port", Integer.toString(taken.getLocalPort()));
      assertThat(code).isEqualTo(ExitCodes.FAILED);
      assertThat(err.toString())
          .contains("cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (--admin-port)");
    }
    err.getBuffer().setLength(0);
    assertThat(run("--bind", "nosuchhost.invalid", "--port", "0", "--redis", "redis://127.0.0.1:1"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString())
        .contains("nosuchhost.invalid")
        .contains("--bind names no known host");
    err.getBuffer().setLength(0);
    assertThat(run("--embedded-redis", "--redis", "redis://10.0.0.5:6379", "--port", "0"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("loopback only");
  }

  @Test
  void aCertificateWithoutItsKeyExits2() {
    assertThat(run("--tls-cert", "relay.crt")).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--tls-cert and --tls-key");
  }

  @Test
  void aKeyInPkcs1FormExits2WithTheCommandThatConvertsIt(@TempDir Path dir) throws Exception {
    TestCertificates.Issued rsa = TestCertificates.issue(dir, "relay", "RSA");
    Path pkcs1 = TestCertificates.writePkcs1(rsa, dir.resolve("old.key"));
    int code =
        run(
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--redis",
            "redis://127.0.0.1:1",
            "--tls-cert",
            rsa.chain().toString(),
            "--tls-key",
            pkcs1.toString());
    assertThat(code).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString())
        .contains("openssl pkcs8 -topk8 -nocrypt -in " + pkcs1)
        .doesNotContain("\tat ");
  }

  @Test
  void aMissingCertificateFileExits2NamingIt(@TempDir Path dir) {
    int code =
        run(
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--redis",
            "redis://127.0.0.1:1",
            "--tls-cert",
            dir.resolve("nope.crt").toString(),
            "--tls-key",
            dir.resolve("nope.key").toString());
    assertThat(code).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("nope.crt").doesNotContain("\tat ");
  }
}
