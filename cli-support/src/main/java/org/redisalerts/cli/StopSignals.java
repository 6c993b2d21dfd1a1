package org.redisalerts.cli;

import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT (Ctrl-C) into a call, so a command can stop in order and exit 0 instead
 * of the JVM's 143/130. A signal the process inherited as ignored stays ignored.
 */
public final class StopSignals {

  private StopSignals() {}

  public static void onStop(Runnable action) {
    Signal.handle(new Signal("TERM"), signal -> action.run());
    Signal.handle(new Signal("INT"), signal -> action.run());
  }
}
