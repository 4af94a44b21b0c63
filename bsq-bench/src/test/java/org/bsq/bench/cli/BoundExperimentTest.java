package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.bsq.core.config.ConfigDocument;
import org.junit.jupiter.api.Test;

/** Binding without loading gives the identity hash that {@code bsq run} binds a run folder to. */
class BoundExperimentTest {
  @Test
  void bindingOnlyGivesTheHashOfTheLoadedRun() {
    ConfigDocument doc = ConfigDocument.read(Path.of("..", "configs", "embedded-uniform4.yaml"))
        .withOverrides(List.of("dataset.limitTrain=256", "dataset.validation.size=500"));
    for (double scale : new double[] {1, 0.25}) {
      BoundExperiment bound = BoundExperiment.bind(doc, scale);
      PreparedRun loaded = PreparedRun.of(doc, scale);
      assertEquals(loaded.identity().configHash(), bound.configHash());
      assertEquals(loaded.identity().config(), bound.resolved());
    }
    assertNotEquals(BoundExperiment.bind(doc, 1).configHash(), BoundExperiment.bind(doc, 0.5).configHash());
    UsageException bad = assertThrows(UsageException.class, () -> BoundExperiment.bind(
        doc.withOverrides(List.of("strategy.params.weightBits=many")), 1));
    assertTrue(bad.getMessage().contains("strategy.params.weightBits"), bad.getMessage());
  }
}
