package org.redisalerts.relay.clients;

/**
 * How many control messages a client may send: a bucket of {@code burst} tokens refilled at {@code
 * perSecond}. Identify, refresh, ping and any other message cost one each, so a client cannot make
 * the relay parse, log and re-register without end; an ack that confirms new alerts is free (there
 * are at most as many as alerts sent). Only touched by the connection's decoder thread.
 */
final class MessageBudget {

  private final double perNano;
  private final double burst;
  private double tokens;
  private long last;

  MessageBudget(double perSecond, int burst, long now) {
    this.perNano = perSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; false when the client has used its budget. */
  boolean take(long now) {
    tokens = Math.min(burst, tokens + (now - last) * perNano);
    last = now;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }

  /** Returns the token just taken: the message turned out to be free. */
  void giveBack() {
    tokens = Math.min(burst, tokens + 1);
  }
}
