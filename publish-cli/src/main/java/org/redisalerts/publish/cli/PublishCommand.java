package org.redisalerts.publish.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.redisalerts.cli.RecipientOptions;
import org.redisalerts.cli.RedisOptions;
import org.redisalerts.cli.Terminals;
import org.redisalerts.common.AlertEnvelope;
import org.redisalerts.common.AlertKeys;
import org.redisalerts.common.DecodedText;
import org.redisalerts.common.Durations;
import org.redisalerts.common.JsonCodec;
import org.redisalerts.common.KeyGlob;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.common.RelayKeys;
import org.redisalerts.publish.AlertBatch;
import org.redisalerts.publish.AlertPusher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code publish}: builds or reads alerts, checks them all, pushes them with their watch entries.
 */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Pushes alerts for one recipient onto its Redis list, each with its watch entry, "
          + "atomically. Give a MESSAGE (and -p properties), or a whole JSON object with --json, "
          + "or one JSON object per line on standard input with --stdin. Everything is checked "
          + "before anything is pushed.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  publish --pool acme --id 42 'Disk almost full' -p host=db1 -p percent=93",
      "  publish --key alert/acme-42 --json '{\"event\":\"alert\",\"message\":\"hi\"}'",
      "  produce-ndjson | publish --key alert/acme-42 --stdin",
      "",
      "Exit status: 0 pushed, 1 bad input (nothing pushed) or Redis refused the alerts (out of",
      "memory, a key of another type: the message says which were pushed), 2 bad command line",
      "(nothing pushed), 3 Redis unreachable or not serving (loading, a read-only replica: the",
      "message says how much, if anything, was pushed)."
    })
public final class PublishCommand implements Callable<Integer> {

  /** Batches at least this long get a progress bar when standard error is a terminal. */
  private static final int PROGRESS_THRESHOLD = 10_000;

  @Spec CommandSpec spec;

  @Mixin RedisOptions redis;

  @Mixin RecipientOptions recipient;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "MESSAGE",
      description =
          "The alert's message: builds {\"event\":\"alert\",\"message\":MESSAGE,\"recordedOn\":NOW,...}.")
  String message;

  @Option(
      names = {"-p", "--property"},
      paramLabel = "NAME=VALUE",
      description =
          "A further field of the built alert; numbers and true/false stay typed, "
              + "anything else is a string. Repeatable. env RWA_PROPERTIES, one NAME=VALUE per"
              + " line, when none is given here.")
  List<String> properties = new ArrayList<>();

  @Option(
      names = "--json",
      paramLabel = "OBJECT",
      defaultValue = "${env:RWA_JSON}",
      description =
          "Push this JSON object exactly as given (it needs a string \"event\"). env RWA_JSON.")
  String json;

  @Option(
      names = "--stdin",
      defaultValue = "${env:RWA_STDIN:-false}",
      description =
          "Push one JSON object per line of standard input, each exactly as given. env"
              + " RWA_STDIN=true.")
  boolean stdin;

  @Option(
      names = "--max-len",
      paramLabel = "N",
      defaultValue = "${env:RWA_MAX_LEN:-0}",
      description = "Then trim the list to its newest N alerts (0: no limit). env RWA_MAX_LEN.")
  long maxLen;

  @Option(
      names = "--ttl",
      paramLabel = "DURATION",
      defaultValue = "${env:RWA_TTL}",
      description =
          "Then let the list expire after DURATION (e.g. 7d) unless pushed to again. env RWA_TTL.")
  Duration ttl;

  @Option(
      names = {"-q", "--quiet"},
      defaultValue = "${env:RWA_QUIET:-false}",
      description = "No summary, progress or warnings on standard error. env RWA_QUIET=true.")
  boolean quiet;

  /** Standard input; tests replace it. */
  InputStream in = System.in;

  /** Where recordedOn comes from; tests replace it. */
  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() throws Exception {
    long started = System.nanoTime();
    PrintWriter err = spec.commandLine().getErr();
    String target = recipient.key();
    String watch = redis.watch();
    if (new RelayKeys(watch).isReserved(target)) {
      throw new IllegalArgumentException(
          "key '" + target + "' is reserved for the relay (watch list " + watch + ")");
    }
    if (maxLen < 0) {
      throw new IllegalArgumentException("--max-len must be 0 or more: " + maxLen);
    }
    if (ttl != null && (ttl.isZero() || ttl.isNegative())) {
      throw new IllegalArgumentException("--ttl must be positive: " + Durations.format(ttl));
    }
    RedisEndpoint endpoint = redis.endpoint();

    AlertBatch batch = batch(new JsonCodec());
    if (!quiet) {
      if (!new KeyGlob(AlertKeys.DEFAULT_ALLOW).matches(target)) {
        err.println(
            "publish: warning: key '"
                + target
                + "' is outside the relay's default allow-list "
                + AlertKeys.DEFAULT_ALLOW
                + "; clients get it only from a relay run with a matching --allow-keys");
      }
      batch.notes().forEach(note -> err.println("publish: warning: " + note));
    }

    ProgressBar progress =
        !quiet && batch.size() >= PROGRESS_THRESHOLD && Terminals.standardErrorIsTerminal()
            ? new ProgressBar(err, batch.size())
            : null;
    new AlertPusher(endpoint, watch)
        .push(
            target,
            batch,
            maxLen,
            ttl,
            n -> {
              if (progress != null) {
                progress.update(n);
              }
            });
    if (progress != null) {
      progress.finish();
    }
    if (!quiet) {
      long ms = (System.nanoTime() - started) / 1_000_000;
      err.printf(
          "publish: pushed %d alert%s to %s in %d ms%n",
          batch.size(), batch.size() == 1 ? "" : "s", target, ms);
    }
    err.flush();
    return ExitCodes.PUSHED;
  }

  private AlertBatch batch(JsonCodec codec) throws Exception {
    // What the command line gives wins over what the environment does: a script that exports
    // RWA_JSON may still publish a MESSAGE.
    ParseResult given = spec.commandLine().getParseResult();
    boolean jsonGiven = given.hasMatchedOption("--json");
    boolean stdinGiven = given.hasMatchedOption("--stdin");
    if (message != null || jsonGiven || stdinGiven) {
      json = jsonGiven ? json : null;
      stdin = stdinGiven && stdin;
    }
    if (properties.isEmpty() && message != null && System.getenv("RWA_PROPERTIES") != null) {
      properties = System.getenv("RWA_PROPERTIES").lines().filter(l -> !l.isBlank()).toList();
    }
    int sources = (message != null ? 1 : 0) + (json != null ? 1 : 0) + (stdin ? 1 : 0);
    if (sources == 0) {
      throw new IllegalArgumentException(
          "nothing to publish: give a MESSAGE, --json OBJECT or --stdin");
    }
    if (sources > 1) {
      throw new IllegalArgumentException("give only one of MESSAGE, --json and --stdin");
    }
    if (!properties.isEmpty() && message == null) {
      throw new IllegalArgumentException(
          "-p adds fields to a MESSAGE; with --json or --stdin, put them in the JSON");
    }
    if (message != null) {
      DecodedText.require("MESSAGE", message);
      List<AlertEnvelope.Property> props = new ArrayList<>();
      for (String p : properties) {
        props.add(AlertEnvelope.Property.parse(DecodedText.require("-p", p)));
      }
      return AlertBatch.of(AlertEnvelope.of(message, props, clock), codec);
    }
    if (json != null) {
      return AlertBatch.ofJson(DecodedText.require("--json", json), codec);
    }
    return AlertBatch.ofLines(in, codec);
  }
}
