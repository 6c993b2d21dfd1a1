package org.redisalerts.relay.cli;

import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a call, so the relay can shut down in order and exit 0
 * instead of the JVM's 143/130 from a shutdown hook.
 */
final class StopSignals {

  private StopSignals() {}

  static void onStop(Runnable action) {
    Signal.handle(new Signal("TERM"), signal -> action.run());
    Signal.handle(new Signal("INT"), signal -> action.run());
  }
}
