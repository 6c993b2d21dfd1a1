package org.redisalerts.listen.cli;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar's manifest, or "development" when run from classes. */
final class ListenVersion implements IVersionProvider {

  @Override
  public String[] getVersion() {
    String version = ListenVersion.class.getPackage().getImplementationVersion();
    return new String[] {"redis-ws-alerts listen " + (version == null ? "development" : version)};
  }
}
