package org.redisalerts.cli;

import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code --version}: {@code redis-ws-alerts COMMAND VERSION}, the version from the manifest of the
 * jar that holds the command ({@code Implementation-Version}), or {@code development} when it runs
 * from classes. {@link Commands} gives it to every command that has no version of its own.
 */
public final class ManifestVersion implements IVersionProvider {

  private final CommandSpec spec;

  public ManifestVersion(CommandSpec spec) {
    this.spec = spec;
  }

  @Override
  public String[] getVersion() {
    // The root's class: a subcommand's may come from a library.
    Package jar = spec.root().userObject().getClass().getPackage();
    String version = jar == null ? null : jar.getImplementationVersion();
    return new String[] {
      "redis-ws-alerts " + spec.qualifiedName() + " " + (version == null ? "development" : version)
    };
  }
}
