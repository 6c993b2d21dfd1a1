package org.redisalerts.relay.redis;

import redis.clients.jedis.exceptions.JedisException;

/**
 * What becomes of a step sent behind the watcher's pop ({@link DeliverySteps#sendBehind}). Told on
 * the watcher thread, when the pop's replies are read.
 */
public interface StepBehind {

  /** The step ran, once the pop had its entry (or its wait ended). */
  void ran(StepResult result);

  /**
   * The step did not run (Redis refused it: it lost the script, or the script failed), or the
   * connection broke before its reply came, so whether it ran is not known.
   */
  void failed(JedisException e);
}
