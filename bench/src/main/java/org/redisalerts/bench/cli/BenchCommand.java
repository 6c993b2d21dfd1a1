package org.redisalerts.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.redisalerts.bench.BenchResult;
import org.redisalerts.bench.CeilingRun;
import org.redisalerts.bench.ClientOptions;
import org.redisalerts.bench.HostileRun;
import org.redisalerts.bench.Identify;
import org.redisalerts.bench.IdleRun;
import org.redisalerts.bench.LoadRun;
import org.redisalerts.bench.LoadSpec;
import org.redisalerts.bench.LoadSpec.PublishMode;
import org.redisalerts.bench.OriginalLauncher;
import org.redisalerts.bench.Processes;
import org.redisalerts.bench.RelayLauncher;
import org.redisalerts.bench.SignedIdentify;
import org.redisalerts.bench.StormRun;
import org.redisalerts.bench.Target;
import org.redisalerts.common.Durations;
import org.redisalerts.common.Pem;
import org.redisalerts.relay.auth.TokenMinter;
import org.redisalerts.relay.auth.VerificationKeys;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code bench}: one load case, a connection storm, idle memory, or the tool's ceiling. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    version = "redis-ws-alerts bench",
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Measures a relay: N keys x C clients connect and identify (all at once, over a few "
          + "selector threads), M alerts of B bytes per key are published as back-end code does "
          + "(RPUSH key alert, then RPUSH watch key) by several publisher connections, and every "
          + "delivery is checked and timed. Reports throughput, latency (p50 to p99.9), missing, "
          + "duplicate and out-of-order alerts, the Redis commands the relay made per alert "
          + "(INFO commandstats before and after, less exactly what this tool sent), and CPU of "
          + "the relay (when its process is known), Redis and this tool. A table goes to standard "
          + "error, one JSON line to standard output.",
      ""
    },
    footer = {
      "",
      "Modes: load (default); --storm N (N clients connect and identify at once: time to the",
      "last identify, failed handshakes, connections closed early); --idle K (relay memory per",
      "idle identified connection, without and with a forced GC); --ceiling (the receiving",
      "side's own limit: the same clients against an in-process sender that writes pre-encoded",
      "frames in big writes, no Redis, no relay; a relay result near it measures the tool).",
      "Targets: --start (relay/target/relay.jar with its bundled Redis; with --relays N, N relay",
      "processes on it; with --tls, over wss://), --start-original (the Node.js original with a",
      "bundled Redis; see bench/original/README.md), or --relay/--redis.",
      "Identify: plain by default; --ack acknowledges (SPEC 9); --token-secret or --token-key",
      "sends a token per key (SPEC 7), and with --start the relay requires tokens.",
      "Past 12,000 connections clients bind 127.0.0.2, 127.0.0.3, ... (ephemeral ports are per",
      "address pair); scripts/bench raises the file limit for itself and what it starts.",
      "Exit status: 0 measured with nothing missing, 1 alerts missing or out of order (or not",
      "every client identified), 2 bad command line."
    })
public final class BenchCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  static final class Which {
    @Option(
        names = "--start",
        description = "Start the relay (--relay-jar) with its bundled Redis, on loopback.")
    boolean start;

    @Option(
        names = "--start-original",
        description =
            "Start the Node.js original (npm redis-ws-alerts, through bench/original/) with a "
                + "bundled Redis, on loopback.")
    boolean startOriginal;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Which which = new Which();

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
      names = "--relays",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "With --start: N relay processes on the same Redis and watch list (SPEC 10), each on its "
              + "own port; clients go to them in turn, so a key's client may be on a relay that "
              + "does not hold the key's lease. Default ${DEFAULT-VALUE}.")
  int relays;

  @Option(
      names = "--tls",
      description =
          "With --start: make a self-signed certificate for 127.0.0.1, start the relays with "
              + "--tls-cert/--tls-key and connect over wss://, trusting exactly that certificate.")
  boolean tls;

  @Option(
      names = "--ack",
      description =
          "Clients identify with \"ack\":true and acknowledge what they receive (SPEC 9): "
              + "cumulative counts, one ack per batch read, sent at once (an ack that confirms "
              + "new alerts is outside the relay's message budget).")
  boolean ack;

  static final class TokenKey {
    @Option(
        names = "--token-secret",
        paramLabel = "FILE",
        description =
            "Identify with an HS256 token per key signed with this HMAC secret (as the relay "
                + "reads --token-secret-file: one trailing newline dropped, 32 bytes or more); "
                + "with --start the relay is given the file and requires tokens.")
    Path secret;

    @Option(
        names = "--token-key",
        paramLabel = "FILE",
        description =
            "Identify with a token per key signed with this PEM PKCS#8 private key (ES256 for a "
                + "P-256 key, RS256, EdDSA); with --start, give the relay its public key with "
                + "--token-public-key.")
    Path privateKey;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  TokenKey tokenKey = new TokenKey();

  @Option(
      names = "--token-public-key",
      paramLabel = "FILE",
      description =
          "With --start and --token-key: the relay's --token-public-key (the PEM public key).")
  Path tokenPublicKey;

  @Option(
      names = "--original-dir",
      paramLabel = "DIR",
      defaultValue = "bench/original",
      description = "The original's runner, for --start-original. Default ${DEFAULT-VALUE}.")
  Path originalDir;

  @Option(
      names = "--original-package",
      paramLabel = "SPEC",
      defaultValue = OriginalLauncher.DEFAULT_PACKAGE,
      description =
          "npm spec of redis-ws-alerts for --start-original: a version, a tarball or a folder. "
              + "Default ${DEFAULT-VALUE}.")
  String originalPackage;

  @Option(
      names = "--node",
      paramLabel = "PATH",
      defaultValue = "node",
      description = "The node binary for --start-original. Default ${DEFAULT-VALUE}.")
  String node;

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
      description =
          "The relay's process without --start: for its CPU and memory (--idle needs it).")
  Long relayPid;

  @Option(
      names = "--watch",
      paramLabel = "LIST",
      defaultValue = "watch",
      description = "The watch list, without --start. Default ${DEFAULT-VALUE}.")
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
          "Publish R alerts/s in total, interleaved over the keys, each publisher's sends spread "
              + "evenly (0: as fast as the pipelines go). Default ${DEFAULT-VALUE}.")
  int rate;

  static final class Order {
    @Option(
        names = "--interleave",
        description =
            "Round-robin over the keys, each alert its own RPUSH pair (default with several "
                + "keys or a rate).")
    boolean interleave;

    @Option(
        names = "--grouped",
        description =
            "Up to 100 of a key's alerts per RPUSH pair, key after key (default with one key).")
    boolean grouped;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Order order = new Order();

  @Option(
      names = "--publishers",
      paramLabel = "P",
      defaultValue = "4",
      description =
          "Publisher connections, each its own thread with a share of the keys (at most one per "
              + "key). Default ${DEFAULT-VALUE}.")
  int publishers;

  @Option(
      names = "--publisher-window",
      paramLabel = "N",
      defaultValue = "" + LoadSpec.PIPELINED,
      description =
          "Commands each publisher may have unanswered: pipelined by default; 2 makes each "
              + "publisher wait for an alert's two replies before the next, as a back-end "
              + "process that publishes one alert at a time. Default ${DEFAULT-VALUE}.")
  int publisherWindow;

  @Option(
      names = "--client-threads",
      paramLabel = "T",
      defaultValue = "2",
      description = "Selector threads the clients share. Default ${DEFAULT-VALUE}.")
  int clientThreads;

  @Option(
      names = "--source-addresses",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "Spread clients over 127.0.0.2 .. 127.0.0.(N+1) (0: one per 12,000 connections past "
              + "the first 12,000). Default ${DEFAULT-VALUE}.")
  int sourceAddresses;

  @Option(
      names = "--connect-rate",
      paramLabel = "R",
      defaultValue = "0",
      description =
          "Start at most R connects per second (0: every connect at once, as fast as sockets "
              + "open; a relay whose accept backlog overflows then makes TCP retry after 1, 3, "
              + "7 s). Default ${DEFAULT-VALUE}.")
  int connectRate;

  @Option(
      names = "--max-connecting",
      paramLabel = "N",
      description =
          "At most N connects in flight (started, identify not yet answered); 0 for any number. "
              + "Default: 0 for --storm (every connect at once), "
              + ClientOptions.GENTLE
              + " otherwise (so that opening a load case's clients is no storm).")
  Integer maxConnecting;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "120s",
      description =
          "Longest wait for every client to identify, and for the last alert. "
              + "Default ${DEFAULT-VALUE}.")
  String timeout;

  @Option(
      names = "--warmup",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "First run N alerts per key of the same shape on the same connections, unmeasured, "
              + "so that the JIT has compiled the hot paths; the measured run follows at once. "
              + "With --storm: a storm of N clients first, closed before the measured one. "
              + "Default ${DEFAULT-VALUE}.")
  int warmup;

  @Option(names = "--name", paramLabel = "TEXT", description = "A name for the case in the output.")
  String name;

  @Option(
      names = "--ceiling",
      description =
          "Measure the receiving side (these clients) against an in-process sender of "
              + "pre-encoded frames instead of a relay.")
  boolean ceiling;

  @Option(
      names = "--storm",
      paramLabel = "N",
      description =
          "N clients connect and identify all at once; report the time to the last identify "
              + "reply and what failed.")
  Integer storm;

  @Option(
      names = "--storm-hold",
      paramLabel = "DURATION",
      defaultValue = "2s",
      description =
          "How long --storm keeps the connections after they identified, counting those the "
              + "relay closes. Default ${DEFAULT-VALUE}.")
  String stormHold;

  @Option(
      names = "--idle",
      paramLabel = "K",
      description =
          "Hold K idle identified connections; report the relay's RSS growth per connection, "
              + "as it is and after a forced full GC.")
  Integer idle;

  @Option(
      names = "--hostile",
      paramLabel = "K",
      description =
          "Open K connections that each do the worst a client may (an unfinished message just"
              + " under --max-frame-bytes, or an unfinished upgrade request just under its 16 KiB"
              + " limit); report the relay's heap after a full GC and its RSS, before and after.")
  Integer hostile;

  @Option(
      names = "--hostile-message-bytes",
      paramLabel = "B",
      defaultValue = "4096",
      description = "The relay's --max-frame-bytes, for --hostile. Default ${DEFAULT-VALUE}.")
  int hostileMessageBytes;

  @Option(
      names = "--hostile-upgrade-every",
      paramLabel = "N",
      defaultValue = "4",
      description =
          "For --hostile: one connection in N sends an unfinished upgrade request instead of an"
              + " unfinished message (0: none). Default ${DEFAULT-VALUE}.")
  int hostileUpgradeEvery;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Duration wait = Durations.parse(timeout);
    checkVariants();
    ClientOptions clientOptions =
        new ClientOptions(
            clientThreads,
            sourceAddresses,
            identify(),
            connectRate,
            maxConnecting != null ? maxConnecting : storm != null ? 0 : ClientOptions.GENTLE,
            ClientOptions.RETRIES);
    int connections =
        storm != null ? storm : idle != null ? idle : hostile != null ? hostile : keys * clients;
    if (ceiling) {
      connections *= 2; // the sender is in this process too
    }
    long fileLimit = Processes.ownFileLimit();
    if (fileLimit > 0 && connections + 1000 > fileLimit) {
      err.printf(
          "warning: %,d connections but this process may open %,d files (run through "
              + "scripts/bench, which raises the limit, or raise ulimit -n)%n",
          connections, fileLimit);
    }
    if (ceiling && storm != null) {
      try (Target sender = CeilingRun.sender(bytes)) {
        return storm(sender, clientOptions, wait, out, err);
      }
    }
    if (ceiling) {
      BenchResult result =
          new CeilingRun(caseName("ceiling"), loadSpec(wait), clientOptions, warmup).run(err);
      return report(result, out, err);
    }
    try (Target target = target()) {
      if (storm != null) {
        return storm(target, clientOptions, wait, out, err);
      }
      if (hostile != null) {
        HostileRun.Result result =
            new HostileRun(target, hostile, hostileMessageBytes, 16 * 1024, hostileUpgradeEvery)
                .run();
        err.print(result.toTable());
        out.println(result.toJson());
        return 0;
      }
      if (idle != null) {
        IdleRun.Result result = new IdleRun(target, idle, clientOptions, wait).run();
        err.print(result.toTable());
        out.println(result.toJson());
        return 0;
      }
      BenchResult result =
          new LoadRun(caseName(null), target, loadSpec(wait), clientOptions, warmup).run(err);
      return report(result, out, err);
    } finally {
      err.flush();
      out.flush();
    }
  }

  /** A storm, after a smaller unmeasured one when --warmup asks (clients closed in between). */
  private int storm(
      Target target, ClientOptions clientOptions, Duration wait, PrintWriter out, PrintWriter err)
      throws Exception {
    if (warmup > 0) {
      StormRun.Result warmed =
          new StormRun(target, warmup, clientOptions, wait, Duration.ZERO).run();
      err.printf(
          "warm-up storm: %,d of %,d identified in %,.0f ms%n",
          warmed.identified(), warmup, warmed.allIdentifiedMs());
      err.flush();
    }
    StormRun.Result result =
        new StormRun(target, storm, clientOptions, wait, Durations.parse(stormHold)).run();
    err.print(result.toTable());
    err.flush();
    out.println(result.toJson());
    out.flush();
    return result.allIdentified() ? 0 : 1;
  }

  private LoadSpec loadSpec(Duration wait) {
    PublishMode mode =
        order.grouped
            ? PublishMode.GROUPED
            : order.interleave ? PublishMode.INTERLEAVED : LoadSpec.defaultMode(keys, rate);
    return new LoadSpec(
        keys, clients, alerts, bytes, rate, mode, publishers, publisherWindow, wait);
  }

  private String caseName(String prefix) {
    if (name != null) {
      return name;
    }
    String shape = keys + "x" + clients + "x" + alerts + (rate > 0 ? "@" + rate + "/s" : "");
    return prefix == null ? shape : prefix + " " + shape;
  }

  /** Refuses the variants a target cannot run. */
  private void checkVariants() {
    if ((relays != 1 || tls) && !which.start) {
      throw new ParameterException(
          spec.commandLine(), "--relays and --tls start relays: they need --start");
    }
    if (relays != 1 && (idle != null || hostile != null)) {
      throw new ParameterException(
          spec.commandLine(), "--idle and --hostile measure one relay's memory: not with --relays");
    }
    boolean tokens = tokenKey.secret != null || tokenKey.privateKey != null;
    if ((ack || tokens) && (ceiling || which.startOriginal)) {
      throw new ParameterException(
          spec.commandLine(),
          "--ack and tokens are this relay's: not with --ceiling or --start-original");
    }
    if (which.start && tokenKey.privateKey != null && tokenPublicKey == null) {
      throw new ParameterException(
          spec.commandLine(), "--start with --token-key needs the relay's --token-public-key");
    }
  }

  /** The identify the clients send: plain, with "ack":true, with a token, or both. */
  private Identify identify() throws IOException {
    TokenMinter minter = null;
    if (tokenKey.secret != null) {
      minter = TokenMinter.withSecret(VerificationKeys.readSecret(tokenKey.secret), null);
    } else if (tokenKey.privateKey != null) {
      minter = TokenMinter.withPrivateKey(Pem.privateKey(tokenKey.privateKey), null);
    }
    if (minter != null) {
      return new SignedIdentify(minter, ack);
    }
    return ack ? Identify.ACK : Identify.PLAIN;
  }

  private Target target() throws Exception {
    if (which.start) {
      List<String> options = new ArrayList<>(relayOptions);
      if (tokenKey.secret != null) {
        options.addAll(List.of("--token-secret-file", tokenKey.secret.toString()));
      }
      if (tokenKey.privateKey != null) {
        options.addAll(List.of("--token-public-key", tokenPublicKey.toString()));
      }
      return RelayLauncher.start(
          new RelayLauncher.Setup(relayJar, relayJvmOptions, options, relays, tls));
    }
    if (which.startOriginal) {
      return OriginalLauncher.start(
          originalDir, Path.of("bench", "target", "original"), originalPackage, node);
    }
    return Target.external(relay, redis, watch, relayPid);
  }

  private static int report(BenchResult result, PrintWriter out, PrintWriter err) {
    err.print(result.toTable());
    err.flush();
    out.println(result.toJson());
    out.flush();
    return result.complete() ? 0 : 1;
  }
}
