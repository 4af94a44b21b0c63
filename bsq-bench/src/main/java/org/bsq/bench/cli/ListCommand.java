package org.bsq.bench.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.bsq.data.DataSetInfo;
import org.bsq.data.DataSets;
import org.bsq.hwsim.Accelerator;
import org.bsq.hwsim.Presets;
import org.bsq.models.Models;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bsq list [models|datasets|backends|strategies|accelerators]}. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List what can be named on the command line: models, data sets, backends, strategies, "
        + "accelerators.")
final class ListCommand implements Callable<Integer> {
  static final List<String> WHAT = List.of("models", "datasets", "backends", "strategies", "accelerators");

  @Spec
  CommandSpec spec;

  @Parameters(arity = "0..1", paramLabel = "WHAT", description = "One of ${COMPLETION-CANDIDATES}; all when omitted.",
      completionCandidates = Candidates.class)
  String what;

  static final class Candidates extends java.util.ArrayList<String> {
    private static final long serialVersionUID = 1L;

    Candidates() {
      super(WHAT);
    }
  }

  @Override
  public Integer call() {
    if (what != null && !WHAT.contains(what)) {
      throw new UsageException("list: WHAT must be one of " + WHAT + ", was '" + what + "'");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (what == null || what.equals("models")) {
      out.println("Models:");
      for (Models.Entry e : Models.all()) {
        out.printf("  %-12s %s%n", e.name(), e.description());
      }
    }
    if (what == null || what.equals("datasets")) {
      out.println("Data sets:");
      for (DataSetInfo i : DataSets.infos()) {
        out.printf("  %-24s %s (%s, %d classes%s)%n", i.name(), i.description(), i.inputShape(), i.numClasses(),
            i.needsDataDir() ? ", needs --data-dir" : ", embedded");
      }
    }
    if (what == null || what.equals("backends")) {
      out.println("Backends:");
      out.printf("  %-12s %s%n", "onednn", "oneDNN 2.5 primitives called directly, blocked layouts (fast CPU engine)");
      out.printf("  %-12s %s%n", "reference", "plain Java kernels (ground truth for tests; slow)");
      out.printf("  %-12s %s%n", "auto", "onednn when its native library loads, else reference (default)");
    }
    if (what == null || what.equals("strategies")) {
      out.println("Strategies (plugins found on the class path):");
      org.bsq.core.strategy.StrategyRegistry registry = org.bsq.core.strategy.StrategyRegistry.discover();
      for (String name : registry.names()) {
        org.bsq.core.strategy.QuantizationStrategy s = registry.get(name);
        out.printf("  %-10s %s%n", name, s.summary().isEmpty() ? "(no summary)" : s.summary());
        if (!s.paper().isEmpty()) {
          out.printf("  %-10s   paper: %s%n", "", s.paper());
        }
      }
    }
    if (what == null || what.equals("accelerators")) {
      out.println("Accelerators (bsq simulate --accelerator NAME, or a JSON config file):");
      for (Accelerator a : Presets.all()) {
        out.printf("  %-12s %s%n", a.name(), a.description());
      }
    }
    out.flush();
    return 0;
  }
}
