package org.redisalerts.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.redisalerts.common.RedisEndpoint;

/**
 * Publishes a phase's alerts the way back-end code does: onto the key's list, then the key onto the
 * watch list. {@code P} publisher connections, each on its own thread, take keys {@code p, p+P,
 * ...}, so each key's alerts keep their order. Interleaved (the default for several keys) sends
 * every alert as its own command pair, round-robin over the keys; grouped sends up to 100 of one
 * key's alerts per pair; paced (a rate) interleaves and spreads the publishers' sends evenly in
 * time.
 */
final class Publishers implements AutoCloseable {

  private static final int GROUP = 100;
  private static final byte[] RPUSH = RespConnection.bytes("RPUSH");

  private final LoadSpec spec;
  private final byte[] watch;
  private final byte[][] keys;
  private final List<RespConnection> connections = new ArrayList<>();

  Publishers(LoadSpec spec, String redis, String watch) throws IOException, InterruptedException {
    this.spec = spec;
    this.watch = RespConnection.bytes(watch);
    this.keys = new byte[spec.keys()][];
    for (int k = 0; k < spec.keys(); k++) {
      keys[k] = RespConnection.bytes(LoadSpec.key(k));
    }
    RedisEndpoint endpoint = RedisEndpoint.parse(redis);
    try {
      for (int p = 0; p < spec.publishers(); p++) {
        connections.add(new RespConnection(endpoint, Integer.toString(p), spec.publisherWindow()));
      }
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  /** Commands sent so far, over every connection. */
  long commandsSent() {
    long sent = 0;
    for (RespConnection c : connections) {
      sent += c.sent();
    }
    return sent;
  }

  /**
   * Publishes {@code alertsPerKey} alerts per key, numbered from 0, and waits until Redis has
   * answered them all; returns how many alerts it published.
   */
  long publish(int alertsPerKey) throws IOException, InterruptedException {
    int p = connections.size();
    long start = System.nanoTime();
    List<CompletableFuture<Long>> done = new ArrayList<>();
    for (int i = 0; i < p; i++) {
      int publisher = i;
      CompletableFuture<Long> result = new CompletableFuture<>();
      Thread thread =
          new Thread(
              () -> {
                try {
                  result.complete(run(publisher, alertsPerKey, start));
                } catch (IOException | RuntimeException e) {
                  result.completeExceptionally(e);
                }
              },
              "bench-publisher-" + i);
      thread.setDaemon(true);
      thread.start();
      done.add(result);
    }
    long published = 0;
    try {
      for (CompletableFuture<Long> f : done) {
        published += f.get(spec.timeout().toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (ExecutionException e) {
      throw new IOException("publishing failed: " + e.getCause().getMessage(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IOException("publishing did not finish within " + spec.timeout(), e);
    }
    for (RespConnection c : connections) {
      if (c.errors() > 0) {
        throw new IOException("Redis refused " + c.errors() + " commands: " + c.firstError());
      }
    }
    return published;
  }

  private long run(int publisher, int alertsPerKey, long start) throws IOException {
    RespConnection redis = connections.get(publisher);
    int p = connections.size();
    String padding = BenchClient.padding(spec.bytes());
    long sent = 0;
    if (spec.mode() == LoadSpec.PublishMode.GROUPED) {
      for (int first = 0; first < alertsPerKey; first += GROUP) {
        int last = Math.min(alertsPerKey, first + GROUP);
        for (int k = publisher; k < spec.keys(); k += p) {
          byte[][] alerts = new byte[2 + last - first][];
          alerts[0] = RPUSH;
          alerts[1] = keys[k];
          byte[][] watches = new byte[2 + last - first][];
          watches[0] = RPUSH;
          watches[1] = watch;
          for (int seq = first; seq < last; seq++) {
            alerts[2 + seq - first] = RespConnection.bytes(BenchClient.alert(seq, padding));
            watches[2 + seq - first] = keys[k];
          }
          redis.command(alerts);
          redis.command(watches);
          sent += last - first;
        }
      }
    } else {
      double interval = spec.rate() > 0 ? 1e9 / spec.rate() : 0;
      long n = 0; // this publisher's alerts so far
      for (int seq = 0; seq < alertsPerKey; seq++) {
        for (int k = publisher; k < spec.keys(); k += p) {
          if (interval > 0) {
            // Alert n of this publisher is alert n*P + publisher of the whole schedule.
            long due = start + (long) ((n * p + publisher) * interval);
            long wait = due - System.nanoTime();
            if (wait > 0) {
              LockSupport.parkNanos(wait);
            }
          }
          redis.command(RPUSH, keys[k], RespConnection.bytes(BenchClient.alert(seq, padding)));
          redis.command(RPUSH, watch, keys[k]);
          if (interval > 0) {
            redis.flush();
          }
          n++;
          sent++;
        }
      }
    }
    redis.awaitReplies(spec.timeout().toMillis());
    return sent;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    for (RespConnection c : connections) {
      c.close();
    }
  }
}
