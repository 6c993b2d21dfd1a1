package org.redisalerts.examples;

import java.util.concurrent.atomic.LongAdder;
import org.redisalerts.common.RedisEndpoint;
import org.redisalerts.relay.RelayConfig;
import org.redisalerts.relay.RelayListener;
import org.redisalerts.relay.RelayServer;

/** The example of docs/embedding.md: a relay started from an application's own code. */
public final class EmbeddedRelay {

  public static RelayServer start(String redisUrl, int port, LongAdder delivered) throws Exception {
    RelayConfig config =
        RelayConfig.builder(RedisEndpoint.parse(redisUrl)).bind("127.0.0.1").port(port).build();
    RelayListener hooks =
        new RelayListener() {
          @Override
          public void connectionReady(String key, int connections) {
            System.out.println("ready " + key + (connections == 1 ? " (first)" : ""));
          }

          @Override
          public void connectionClosed(String key, int remaining) {
            System.out.println("closed " + key + " (" + remaining + " left)");
          }

          @Override
          public void delivered(String key, int alerts) {
            delivered.add(alerts);
          }
        };
    return new RelayServer(config, hooks).start(); // close() stops it in order
  }

  private EmbeddedRelay() {}
}
