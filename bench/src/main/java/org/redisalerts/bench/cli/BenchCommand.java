package org.redisalerts.bench.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.redisalerts.bench.BenchResult;
import org.redisalerts.bench.CeilingRun;
import org.redisalerts.bench.IdleRun;
import org.redisalerts.bench.LoadRun;
import org.redisalerts.bench.LoadSpec;
import org.redisalerts.bench.RelayLauncher;
import org.redisalerts.common.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bench}: one load case, the tool's ceiling, or memory per idle connection. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    version = "redis-ws-alerts bench",
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Measures a relay: N keys x C clients identify, M alerts of B bytes per key are "
          + "published (pipelined, or paced with --rate), and every delivery is checked and timed. "
          + "Prints a table on standard error and one JSON line on standard output.",
      ""
    },
    footer = {
      "",
      "Modes: load (default), ceiling (the same clients against a trivial in-process sender: the",
      "tool's own limit), idle (--idle K identified idle connections: relay memory per connection).",
      "Exit status: 0 measured with nothing missing, 1 alerts missing or out of order, 2 bad command line."
    })
public final class BenchCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--start",
      description = "Start the relay (relay/target/relay.jar) with its bundled Redis, on loopback.")
  boolean start;

  @Option(
      names = "--relay-jar",
      paramLabel = "PATH",
      defaultValue = "relay/target/relay.jar",
      description = "The relay jar for --start. Default ${DEFAULT-VALUE}.")
  Path relayJar;

  @Option(
      names = "--relay-jvm-option",
      paramLabel = "OPTION",
      description =
          "A JVM option for the relay --start runs (repeatable), e.g. -XX:StartFlightRecording.")
  List<String> relayJvmOptions = new ArrayList<>();

  @Option(
      names = "--relay-option",
      paramLabel = "OPTION",
      description =
          "A relay option for --start runs (repeatable), e.g. --relay-option=--claim-batch=2000.")
  List<String> relayOptions = new ArrayList<>();

  @Option(
      names = "--relay",
      paramLabel = "URL",
      defaultValue = "ws://127.0.0.1:3001/bench",
      description = "The relay, without --start. Default ${DEFAULT-VALUE}.")
  URI relay;

  @Option(
      names = "--redis",
      paramLabel = "URL",
      defaultValue = "redis://127.0.0.1:6379",
      description = "The relay's Redis, without --start. Default ${DEFAULT-VALUE}.")
  String redis;

  @Option(
      names = "--relay-pid",
      paramLabel = "PID",
      description = "The relay's process, for --idle without --start.")
  Long relayPid;

  @Option(
      names = "--watch",
      paramLabel = "LIST",
      defaultValue = "watch",
      description = "Default ${DEFAULT-VALUE}.")
  String watch;

  @Option(
      names = "--keys",
      paramLabel = "N",
      defaultValue = "1",
      description = "Keys. Default ${DEFAULT-VALUE}.")
  int keys;

  @Option(
      names = "--clients",
      paramLabel = "C",
      defaultValue = "1",
      description = "Clients per key. Default ${DEFAULT-VALUE}.")
  int clients;

  @Option(
      names = "--alerts",
      paramLabel = "M",
      defaultValue = "10000",
      description = "Alerts per key. Default ${DEFAULT-VALUE}.")
  int alerts;

  @Option(
      names = "--bytes",
      paramLabel = "B",
      defaultValue = "100",
      description = "Bytes per alert. Default ${DEFAULT-VALUE}.")
  int bytes;

  @Option(
      names = "--rate",
      paramLabel = "R",
      defaultValue = "0",
      description =
          "Publish R alerts/s in total (0: as fast as the pipeline goes). Default ${DEFAULT-VALUE}.")
  int rate;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "120s",
      description = "Longest wait for the last alert. Default ${DEFAULT-VALUE}.")
  String timeout;

  @Option(
      names = "--ceiling",
      description = "Measure the tool itself against a trivial sender instead of a relay.")
  boolean ceiling;

  @Option(
      names = "--idle",
      paramLabel = "K",
      description = "Hold K idle identified connections; report relay memory each.")
  Integer idle;

  @Option(names = "--name", paramLabel = "TEXT", description = "A name for the case in the output.")
  String name;

  @Option(
      names = "--warmup",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "First run N alerts per key of the same shape on the same connections, unmeasured, "
              + "so that the JIT has compiled the hot paths; the measured run follows at once. "
              + "Default ${DEFAULT-VALUE}.")
  int warmup;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Duration wait = Durations.parse(timeout);
    RelayLauncher launched =
        start ? RelayLauncher.start(relayJar, relayJvmOptions, relayOptions) : null;
    try {
      URI relayUrl = launched != null ? launched.relay() : relay;
      String redisUrl = launched != null ? launched.redis() : redis;
      if (idle != null) {
        Long pid = launched != null ? Long.valueOf(launched.pid()) : relayPid;
        if (pid == null) {
          throw new IllegalArgumentException("--idle needs --start or --relay-pid");
        }
        IdleRun.Result result = new IdleRun(relayUrl, pid, idle).run();
        err.print(result.toTable());
        out.println(result.toJson());
        return 0;
      }
      LoadSpec load =
          new LoadSpec(relayUrl, redisUrl, watch, keys, clients, alerts, bytes, rate, wait);
      String caseName =
          name != null
              ? name
              : keys + "x" + clients + "x" + alerts + (rate > 0 ? "@" + rate + "/s" : "");
      BenchResult result =
          ceiling
              ? new CeilingRun(caseName, load, warmup).run(err)
              : new LoadRun(caseName, load, warmup).run(err);
      err.print(result.toTable());
      out.println(result.toJson());
      return result.missing() == 0 && result.outOfOrder() == 0 ? 0 : 1;
    } finally {
      if (launched != null) {
        launched.close();
      }
      err.flush();
      out.flush();
    }
  }
}
