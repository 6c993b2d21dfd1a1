package org.redisalerts.listen.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.redisalerts.cli.RecipientOptions;
import org.redisalerts.cli.StopSignals;
import org.redisalerts.cli.Terminals;
import org.redisalerts.listen.AlertView;
import org.redisalerts.listen.JsonLinesView;
import org.redisalerts.listen.ListenOptions;
import org.redisalerts.listen.ListenSession;
import org.redisalerts.listen.Outcome;
import org.redisalerts.listen.TerminalText;
import org.redisalerts.listen.TerminalView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code listen}: identifies with the relay and shows what that recipient receives. */
@Command(
    name = "listen",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Connects to a relay, identifies with a key, and shows each alert the key receives. On "
          + "a terminal alerts are shown for people, with a status line; otherwise (or with "
          + "--json) each alert is one line holding exactly the frame received, for jq and "
          + "scripts.",
      ""
    },
    footer = {
      "",
      "Exit status:",
      "  0  --count alerts arrived, or stopped with Ctrl-C",
      "  1  --timeout passed before --count alerts arrived",
      "  2  bad command line",
      "  3  the relay refused the key",
      "  4  the connection dropped or could not be made, with --no-reconnect",
      "  5  the relay refused the token (4003)",
      "  6  the token expired (4001)",
      "  7  TLS failed: the relay's certificate is not trusted or not for its host",
      "  8  --ack, and the relay does not support acknowledgements",
      "  9  --ack, and the output failed: that alert and later ones stay queued"
    })
public final class ListenCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--url",
      paramLabel = "URL",
      defaultValue = "${env:RWA_URL:-" + ListenOptions.DEFAULT_URL + "}",
      description = "The relay. Default ${DEFAULT-VALUE}; env RWA_URL.")
  String url;

  @Mixin RecipientOptions recipient;

  @Option(
      names = "--json",
      defaultValue = "${env:RWA_JSON:-false}",
      description =
          "One line per alert holding exactly the frame received, even on a terminal. env RWA_JSON=true.")
  boolean json;

  @Option(
      names = "--count",
      paramLabel = "N",
      defaultValue = "${env:RWA_COUNT:-0}",
      description = "Exit 0 after N alerts (0: keep listening). env RWA_COUNT.")
  int count;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_TIMEOUT}",
      description =
          "Exit 1 if --count alerts have not arrived by then (e.g. 30s). env RWA_TIMEOUT.")
  Duration timeout;

  @Option(
      names = "--no-reconnect",
      defaultValue = "${env:RWA_NO_RECONNECT:-false}",
      description =
          "Exit 4 when the connection drops instead of reconnecting (with backoff up to 10 s). "
              + "env RWA_NO_RECONNECT=true.")
  boolean noReconnect;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      defaultValue = "${env:RWA_TOKEN}",
      description =
          "A signed identify token, for a relay that requires them (prefer env RWA_TOKEN: "
              + "a command line shows in ps). A refused or expired token ends listen (exit 5 or 6).")
  String token;

  @Option(
      names = "--ca",
      paramLabel = "FILE",
      defaultValue = "${env:RWA_CA}",
      description =
          "For wss:// URLs: also trust the certificates in this PEM file (a private CA, or the"
              + " relay's self-signed certificate), besides the CAs this machine trusts. env RWA_CA.")
  Path ca;

  @Option(
      names = "--ack",
      defaultValue = "${env:RWA_ACK:-false}",
      description =
          "Acknowledge each alert once it is printed and flushed (the relay keeps in Redis what"
              + " was not acknowledged), so --ack --count N takes exactly N alerts off the key and"
              + " leaves the rest queued. env RWA_ACK=true.")
  boolean ack;

  @Override
  public Integer call() throws Exception {
    ListenOptions options =
        new ListenOptions(uri(url), recipient.key(), count, timeout, !noReconnect, token, ca, ack);
    PrintWriter err = spec.commandLine().getErr();
    boolean terminal = !json && Terminals.interactive();
    try (AlertView view =
        terminal ? TerminalView.open() : new JsonLinesView(spec.commandLine().getOut(), err)) {
      ListenSession session = new ListenSession(options, view);
      StopSignals.onStop(session::stop);
      Outcome outcome = session.run();
      if (outcome.kind() != Outcome.Kind.COUNT_REACHED && outcome.kind() != Outcome.Kind.STOPPED) {
        err.println("listen: " + TerminalText.visible(outcome.detail()));
        err.flush();
      }
      return ExitCodes.of(outcome);
    }
  }

  private static URI uri(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a relay URL: " + text);
    }
    if (uri.getPort() > 65535) {
      throw new IllegalArgumentException("port out of range in --url: " + text);
    }
    return uri;
  }
}
