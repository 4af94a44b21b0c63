package org.bsq.bench.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bsq} command line. Exit codes: 0 success, 1 failure while running, 2 usage error (one-line reason on
 * stderr).
 */
@Command(name = "bsq", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
    description = "Mixed-precision quantization research framework (BSQ, baselines, hardware cost) for the JVM.",
    subcommands = {ListCommand.class, TrainCommand.class, EvalCommand.class, RunCommand.class, DemoCommand.class,
        BenchCommand.class,
        SimulateCommand.class, ResultsCommand.class, SweepCommand.class, ReportCommand.class, ReproduceCommand.class,
        ImportCommand.class, ExportCommand.class,
        CommandLine.HelpCommand.class})
public final class BsqCli implements Runnable {
  /** Exit code for usage errors (bad option, unknown name). */
  public static final int USAGE = 2;

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** The one-line reason of a parse error; an unknown command lists the known ones. */
  private static String reason(CommandLine.ParameterException ex) {
    if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
        && !u.getCommandLine().getSubcommands().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
      return "unknown command '" + u.getUnmatched().get(0) + "'; known: "
          + new java.util.TreeSet<>(u.getCommandLine().getSubcommands().keySet());
    }
    return ex.getMessage().lines().findFirst().orElse("usage error");
  }

  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the CLI with the given streams and returns the exit code (used by tests). */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new BsqCli());
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler((ex, a) -> {
      err.println("bsq: " + reason(ex));
      err.println("     (see: bsq " + String.join(" ", ex.getCommandLine().getCommandSpec().qualifiedName(" ")
          .replaceFirst("^bsq ?", "")) + (ex.getCommandLine().getCommandSpec().qualifiedName().equals("bsq") ? "" : " ")
          + "--help)");
      return USAGE;
    });
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      if (ex instanceof UsageException || ex instanceof org.bsq.core.config.ConfigException) {
        err.println("bsq: " + ex.getMessage());
        return USAGE;
      }
      err.println("bsq: " + ex.getClass().getSimpleName() + ": " + ex.getMessage());
      if (Boolean.getBoolean("bsq.debug")) {
        ex.printStackTrace(err);
      } else {
        err.println("     (run with BSQ_JAVA_OPTS=-Dbsq.debug=true for the stack trace)");
      }
      return 1;
    });
    return cl.execute(args);
  }
}
