package org.bsq.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.bsq.core.bsq.BsqStrategy;
import org.bsq.core.config.ConfigBinder;
import org.bsq.core.strategy.StrategyRegistry;
import org.junit.jupiter.api.Test;

/** Every experiment file under configs/ binds without problems, names a known strategy, and its parameters bind. */
class ShippedConfigsTest {
  static List<Path> configs() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("..", "configs"))) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  @Test
  void everyShippedConfigIsValid() throws IOException {
    List<Path> files = configs();
    assertTrue(files.size() >= 7, files.toString());
    StrategyRegistry registry = StrategyRegistry.discover();
    for (Path f : files) {
      ExperimentConfig c = ConfigBinder.load(f, List.of(), ExperimentConfig.class);
      assertTrue(registry.names().contains(c.strategy().name()), f + ": " + c.strategy().name());
      if (c.strategy().name().equals(BsqStrategy.NAME)) {
        BsqStrategy.Parameters.from(c.strategy().params());
      }
      ConfigBinder.bind(c.strategy().params(), registry.get(c.strategy().name()).parametersType(),
          f + " strategy.params");
    }
  }

  @Test
  void thePaperRecipesDifferOnlyInAlpha() throws IOException {
    List<Path> paper = configs().stream().filter(p -> p.getFileName().toString().startsWith("cifar10-resnet20-bsq"))
        .toList();
    assertEquals(5, paper.size(), paper.toString());
    List<Double> alphas = new java.util.ArrayList<>();
    ExperimentConfig first = null;
    for (Path f : paper) {
      ExperimentConfig c = ConfigBinder.load(f, List.of(), ExperimentConfig.class);
      BsqStrategy.Parameters p = BsqStrategy.Parameters.from(c.strategy().params());
      alphas.add(p.alpha());
      assertEquals(350, c.strategy().budget().epochs());
      assertEquals(300, c.finetune().epochs());
      assertEquals(4, c.model().actBits());
      assertEquals(List.of(250.0), p.lrMilestones());
      if (first == null) {
        first = c;
      } else {
        assertEquals(first.finetune(), c.finetune());
        assertEquals(first.model(), c.model());
      }
    }
    assertEquals(List.of(0.003, 0.005, 0.007, 0.01, 0.02), alphas.stream().sorted().toList());
    assertFalse(first.dataset().dataDir() == null);
  }
}
