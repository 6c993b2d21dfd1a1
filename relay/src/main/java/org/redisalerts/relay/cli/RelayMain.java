package org.redisalerts.relay.cli;

/** Entry point of {@code scripts/relay}. */
public final class RelayMain {

  private RelayMain() {}

  public static void main(String[] args) {
    System.exit(CommandLines.relay().execute(args));
  }
}
