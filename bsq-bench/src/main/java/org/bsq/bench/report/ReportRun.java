package org.bsq.bench.report;

import java.nio.file.Path;
import java.util.Objects;
import org.bsq.core.harness.RunRecord;

/**
 * One run shown in a report: its record and where it came from.
 *
 * @param label the run's name in tables, legends and figure file names (unique within a report; e.g. the run
 *     folder's path relative to the folder given on the command line)
 * @param runDir the run's folder, null when unknown (e.g. a store row without one)
 * @param record the run's {@code run.json}; failed runs are listed in the report but not plotted
 */
public record ReportRun(String label, Path runDir, RunRecord record) {
  public ReportRun {
    if (label == null || label.isBlank()) {
      throw new IllegalArgumentException("a report run needs a non-blank label, was '" + label + "'");
    }
    Objects.requireNonNull(record, "record");
  }

  /** Whether the run finished (failed runs are listed, never plotted). */
  public boolean finished() {
    return record.finished();
  }

  /** The run's strategy name ({@link RunRecord#strategy()}). */
  public String strategy() {
    return record.strategy();
  }
}
