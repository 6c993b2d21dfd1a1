package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the layers pointing one way, by the packages each source file imports.
 *
 * <pre>
 * cli (picocli)  ->  org.redisalerts.relay (the API: RelayServer, RelayConfig, RelayListener)
 *                      -> dispatch -> clients -> websocket (the only code that imports Java-WebSocket)
 *                      -> dispatch -> redis (leases too)
 *                      -> dispatch -> cluster (the other relays: pub/sub messages) -> redis
 *                      clients, redis -> auth (tokens: verification, revocations)
 *                      -> tls (the certificate) -> websocket
 *                      -> admin
 *                    every part -> monitoring (metrics, throttled logs) -> common
 * </pre>
 */
class LayeringTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final String RELAY = "org.redisalerts.relay";
  private static final Pattern IMPORT =
      Pattern.compile("^import (?:static )?((?:[a-z_][a-z0-9_]*\\.)*[a-z_][a-z0-9_]*)\\.[A-Z].*");

  /** A source file and the packages it imports. */
  private record Source(Path file, String pkg, List<String> imports) {}

  private static List<Source> sources(String module) {
    Path dir = ROOT.resolve(module + "/src/main/java");
    try (Stream<Path> files = Files.walk(dir)) {
      List<Source> out = new ArrayList<>();
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String pkg = null;
        List<String> imports = new ArrayList<>();
        for (String line : Files.readAllLines(f)) {
          if (line.startsWith("package ")) {
            pkg = line.substring(8, line.indexOf(';')).trim();
          }
          Matcher m = IMPORT.matcher(line);
          if (m.matches()) {
            imports.add(m.group(1));
          }
        }
        out.add(new Source(ROOT.relativize(f), pkg, imports));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean within(String pkg, String parent) {
    return pkg.equals(parent) || pkg.startsWith(parent + ".");
  }

  /**
   * Files of {@code module} in (or under) {@code pkg} that import a package under a forbidden one.
   */
  private static List<String> offenders(String module, String pkg, String... forbidden) {
    List<String> bad = new ArrayList<>();
    for (Source s : sources(module)) {
      if (s.pkg() == null || !within(s.pkg(), pkg)) {
        continue;
      }
      for (String imported : s.imports()) {
        for (String f : forbidden) {
          if (f.endsWith("!")
              ? imported.equals(f.substring(0, f.length() - 1))
              : within(imported, f)) {
            bad.add(s.file() + " imports " + imported);
          }
        }
      }
    }
    return bad;
  }

  @Test
  void commonKnowsNothingOfWebSocketsCommandLinesOrTheRelay() {
    assertThat(
            offenders(
                "common",
                "org.redisalerts.common",
                "org.java_websocket",
                "picocli",
                "org.jline",
                RELAY,
                "org.redisalerts.cli"))
        .isEmpty();
  }

  @Test
  void commandCoresKnowNothingOfCommandLines() {
    assertThat(offenders("relay", RELAY, "picocli", "org.redisalerts.cli"))
        .allMatch(line -> line.startsWith("relay/src/main/java/org/redisalerts/relay/cli/"));
    assertThat(
            offenders("publish-cli", "org.redisalerts.publish", "picocli", "org.redisalerts.cli"))
        .allMatch(line -> line.contains("/publish/cli/"));
    assertThat(offenders("listen-cli", "org.redisalerts.listen", "picocli", "org.redisalerts.cli"))
        .allMatch(line -> line.contains("/listen/cli/"));
  }

  @Test
  void onlyTheWebSocketAdapterTouchesJavaWebSocket() {
    List<String> bad = new ArrayList<>();
    for (Source s : sources("relay")) {
      for (String imported : s.imports()) {
        if (within(imported, "org.java_websocket") && !within(s.pkg(), RELAY + ".websocket")) {
          bad.add(s.file() + " imports " + imported);
        }
      }
    }
    assertThat(bad).isEmpty();
  }

  @Test
  void thePartsPointOneWay() {
    String[] upper = {RELAY + "!", RELAY + ".admin", RELAY + ".cli"};
    Map<String, List<String>> forbidden =
        Map.of(
            "websocket",
            List.of(".clients", ".dispatch", ".redis", ".auth", ".tls", ".cluster"),
            "clients",
            List.of(".dispatch", ".redis", ".tls", ".cluster"),
            "redis",
            List.of(".websocket", ".clients", ".dispatch", ".tls", ".cluster"),
            "cluster",
            List.of(".websocket", ".clients", ".dispatch", ".auth", ".tls"),
            "dispatch",
            List.of(".tls"),
            "auth",
            List.of(".websocket", ".clients", ".dispatch", ".redis", ".tls", ".cluster"),
            "tls",
            List.of(".clients", ".dispatch", ".redis", ".auth", ".cluster"),
            "admin",
            List.of(".websocket", ".clients", ".dispatch", ".redis", ".auth", ".tls", ".cluster"),
            "monitoring",
            List.of(".websocket", ".clients", ".dispatch", ".redis", ".auth", ".tls", ".cluster"));
    List<String> bad = new ArrayList<>();
    forbidden.forEach(
        (part, below) -> {
          List<String> packages = new ArrayList<>(List.of(upper));
          below.forEach(p -> packages.add(RELAY + p));
          bad.addAll(offenders("relay", RELAY + "." + part, packages.toArray(new String[0])));
        });
    assertThat(bad).isEmpty();
  }

  @Test
  void theApiPackageDoesNotDependOnTheCommandLine() {
    List<String> bad = new ArrayList<>();
    for (Source s : sources("relay")) {
      if (RELAY.equals(s.pkg())) {
        for (String imported : s.imports()) {
          if (within(imported, RELAY + ".cli") || within(imported, "picocli")) {
            bad.add(s.file() + " imports " + imported);
          }
        }
      }
    }
    assertThat(bad).isEmpty();
  }
}
