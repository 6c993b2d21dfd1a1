package org.redisalerts.relay.redis;

import java.util.Collection;

/** What the watch-list watcher tells the dispatcher. Called on the watcher thread. */
public interface WatchEvents {

  /**
   * Alerts were pushed for these keys (each key once, however many entries named it).
   *
   * @param pop the watcher's next pop, which a delivery round run now, on this thread, sends behind
   *     its script; null when more entries were waiting (the watcher sends it after the round)
   */
  void watched(Collection<String> keys, WatchPop pop);

  /**
   * The watcher is about to wait in its next pop: unless a round sent {@code pop} already, it may
   * go with the delivery script ({@link DeliverySteps#sendWithPop}). Called after every read.
   */
  void popping(WatchPop pop);

  /** Redis is reachable again (or for the first time): work that failed meanwhile may go on. */
  void redisAvailable();
}
