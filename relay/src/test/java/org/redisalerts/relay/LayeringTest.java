package org.redisalerts.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the layers pointing one way: cli -> core -> common. common knows nothing of WebSockets or
 * command lines; the relay core knows nothing of picocli.
 */
class LayeringTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private static List<String> offenders(Path sources, String... forbiddenImports) {
    try (Stream<Path> files = Files.walk(sources)) {
      return files
          .filter(p -> p.toString().endsWith(".java"))
          .filter(p -> !p.toString().contains("/cli/"))
          .filter(p -> imports(p, forbiddenImports))
          .map(p -> ROOT.relativize(p).toString())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean imports(Path file, String... prefixes) {
    try {
      for (String line : Files.readAllLines(file)) {
        for (String prefix : prefixes) {
          if (line.startsWith("import " + prefix) || line.startsWith("import static " + prefix)) {
            return true;
          }
        }
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void commonKnowsNothingOfWebSocketsOrCommandLines() {
    assertThat(
            offenders(
                ROOT.resolve("common/src/main/java"), "org.java_websocket", "picocli", "org.jline"))
        .isEmpty();
  }

  @Test
  void commandCoresKnowNothingOfCommandLines() {
    for (String module : new String[] {"relay", "publish-cli", "listen-cli"}) {
      Path sources = ROOT.resolve(module + "/src/main/java");
      if (Files.isDirectory(sources)) {
        assertThat(
                offenders(
                    sources,
                    "picocli",
                    "org.redisalerts.cli",
                    "org.redisalerts.relay.cli",
                    "org.redisalerts.publish.cli",
                    "org.redisalerts.listen.cli"))
            .as(module)
            .isEmpty();
      }
    }
  }
}
