package org.redisalerts.bench;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.redisalerts.common.RedisEndpoint;
import redis.clients.jedis.Jedis;

/**
 * Measures {@link Costs} around a phase. Keeps its own Redis connection, opened before the phase so
 * that its set-up commands fall outside it, and counts every command it sends in the phase.
 */
final class CostMeter implements AutoCloseable {

  /** How long to wait for the relay's trailing commands (a settle after the last write). */
  private static final int SETTLE_POLLS = 10;

  private static final long SETTLE_POLL_MILLIS = 100;

  private final Jedis redis;
  private final List<Long> relayPids;

  /** Where a phase started. */
  record Start(
      long nanos, RedisSnapshot redis, double relayCpu, double toolCpu, double machineBusy) {}

  /**
   * @param relayPids the relay processes, whose CPU is summed; none when unknown
   */
  CostMeter(String redisUrl, List<Long> relayPids) {
    this.redis = RedisEndpoint.parse(redisUrl).newConnection(30_000, "bench-meter");
    this.relayPids = relayPids;
    redis.ping();
  }

  Start start() throws IOException {
    return new Start(
        System.nanoTime(),
        RedisSnapshot.take(redis),
        relayCpu(),
        Processes.ownCpuSeconds(),
        Processes.machineBusySeconds());
  }

  /**
   * Ends a phase whose deliveries are complete: waits (up to a second) until the relay makes no
   * more Redis commands, then takes the counts.
   *
   * @param toolCommands commands the publishers sent since {@code start}
   * @param alerts alerts delivered
   * @param seconds the phase's length, first publish to last delivery
   */
  Costs finish(Start start, long toolCommands, long alerts, double seconds) throws IOException {
    double toolCpu = Processes.ownCpuSeconds() - start.toolCpu();
    RedisSnapshot last = RedisSnapshot.take(redis);
    int lastIndex = 1; // the start's snapshot is 0
    for (int i = 0; i < SETTLE_POLLS; i++) {
      try {
        Thread.sleep(SETTLE_POLL_MILLIS); // the tool waits for the relay to go quiet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      RedisSnapshot next = RedisSnapshot.take(redis);
      if (next.total() - last.total() == RedisSnapshot.COMMANDS) {
        break; // only last's own INFOs ran since last: the relay is quiet
      }
      last = next;
      lastIndex++;
    }
    // The INFOs of every snapshot before `last` ran inside the window; those of `last` did not.
    long infos = (long) RedisSnapshot.COMMANDS * lastIndex;
    Map<String, Long> byName = new HashMap<>(last.since(start.redis()));
    byName.merge("rpush", -toolCommands, Long::sum);
    byName.merge("info", -infos, Long::sum);
    byName.values().removeIf(n -> n == 0);
    long relayCommands = last.total() - start.redis().total() - toolCommands - infos;
    double relayCpu = relayPids.isEmpty() ? -1 : relayCpu() - start.relayCpu();
    double machineBusy = Processes.machineBusySeconds() - start.machineBusy();
    double redisCpu = last.cpuSeconds() - start.redis().cpuSeconds();
    double toolCpuToNow = Processes.ownCpuSeconds() - start.toolCpu();
    double otherCpu =
        start.machineBusy() < 0 || relayCpu < 0
            ? -1
            : Math.max(0, machineBusy - relayCpu - redisCpu - toolCpuToNow);
    return new Costs(seconds, alerts, relayCommands, byName, relayCpu, redisCpu, toolCpu, otherCpu);
  }

  private double relayCpu() throws IOException {
    return relayPids.isEmpty() ? -1 : Processes.cpuSeconds(relayPids);
  }

  @Override
  public void close() {
    redis.close();
  }
}
