package org.redisalerts.publish.cli;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar's manifest, or "development" when run from classes. */
final class PublishVersion implements IVersionProvider {

  @Override
  public String[] getVersion() {
    String version = PublishVersion.class.getPackage().getImplementationVersion();
    return new String[] {"redis-ws-alerts publish " + (version == null ? "development" : version)};
  }
}
