package org.bsq.bench.cli;

import picocli.CommandLine.IVersionProvider;

/** Version line: project version, Java and OS. */
public final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = BsqCli.class.getPackage().getImplementationVersion();
    return new String[] {
        "bsq-java " + (v != null ? v : ProjectInfo.version()),
        "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), "
            + System.getProperty("os.name") + " " + System.getProperty("os.arch")};
  }
}
