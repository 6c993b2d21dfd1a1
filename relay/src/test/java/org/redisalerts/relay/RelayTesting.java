package org.redisalerts.relay;

import java.net.URI;
import java.util.function.UnaryOperator;
import org.redisalerts.testing.RecordingClient;
import org.redisalerts.testing.TestRedis;

/** Starts relays on port 0 against a test Redis, and clients against them. */
final class RelayTesting {

  private RelayTesting() {}

  static RelayServer startRelay(TestRedis redis, UnaryOperator<RelayConfig.Builder> settings)
      throws Exception {
    RelayConfig config =
        settings.apply(RelayConfig.builder(redis.endpoint()).bind("127.0.0.1").port(0)).build();
    return new RelayServer(config).start();
  }

  static RelayServer startRelay(TestRedis redis) throws Exception {
    return startRelay(redis, b -> b);
  }

  /** The value of one metric without labels, from the Prometheus text; -1 when absent. */
  static double metric(RelayServer relay, String name) {
    for (String line : relay.metricsText().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    return -1;
  }

  /** The value of one labelled metric, e.g. {@code relay_refusals_total{reason="origin"}}. */
  static double metric(RelayServer relay, String name, String label, String value) {
    String pair = label + "=\"" + value + "\"";
    for (String line : relay.metricsText().split("\n")) {
      if (line.startsWith(name + "{") && line.contains(pair)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
      }
    }
    return -1;
  }

  static RecordingClient connect(RelayServer relay) {
    return RecordingClient.connect(URI.create("ws://127.0.0.1:" + relay.port() + "/myapp"));
  }
}
