package org.redisalerts.listen.cli;

import sun.misc.Signal;

/** Turns Ctrl-C (SIGINT) and SIGTERM into a clean stop instead of the JVM's abrupt exit. */
final class StopSignals {

  private StopSignals() {}

  static void onInterrupt(Runnable action) {
    Signal.handle(new Signal("INT"), signal -> action.run());
    Signal.handle(new Signal("TERM"), signal -> action.run());
  }
}
