package org.redisalerts.relay;

import java.util.Collection;

/** What the watch-list watcher tells the dispatcher. Called on the watcher thread. */
interface WatchEvents {

  /** Alerts were pushed for these keys (each key once, however many entries named it). */
  void watched(Collection<String> keys);

  /** Redis is reachable again (or for the first time); these keys have claims to recover. */
  void redisAvailable(Collection<String> claimedKeys);

  /** Called while Redis is reachable, at most about once a second, to retry stalled keys. */
  void redisStillAvailable();
}
