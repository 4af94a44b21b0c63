package org.bsq.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigBinderTest {
  enum Kind { STEP, COSINE }

  record ModelPart(String name, Path weights) {}

  record Schedule(Kind kind, List<Integer> milestones, double lr) implements Validated {
    @Override
    public void validate(List<String> problems) {
      if (!(lr > 0)) {
        problems.add("lr: must be > 0, was " + lr);
      }
    }
  }

  record Experiment(ModelPart model, Schedule schedule, long seed, boolean resume, Map<String, Double> extra,
                    JsonNode params) {
    static Experiment defaults() {
      return new Experiment(new ModelPart("resnet20", null), new Schedule(Kind.STEP, List.of(250), 0.1), 42, false,
          Map.of(), null);
    }
  }

  private static Path write(Path dir, String yaml) throws IOException {
    Path f = dir.resolve("c.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void bindsNestedRecordsOverDefaults(@TempDir Path dir) throws IOException {
    Experiment e = ConfigBinder.load(write(dir, """
        model:
          weights: /tmp/w
        schedule:
          kind: cosine
        params: {alpha: 0.005}
        """), List.of("seed=7", "schedule.lr=1e-2", "extra.x=1.5"), Experiment.class);
    assertEquals("resnet20", e.model().name(), "default kept");
    assertEquals(Path.of("/tmp/w"), e.model().weights());
    assertEquals(Kind.COSINE, e.schedule().kind());
    assertEquals(List.of(250), e.schedule().milestones());
    assertEquals(0.01, e.schedule().lr(), "YAML 1.1 reads 1e-2 as a string; numbers in strings are accepted");
    assertEquals(7, e.seed());
    assertEquals(1.5, e.extra().get("x"));
    assertEquals(0.005, e.params().get("alpha").asDouble());
  }

  @Test
  void reportsEveryProblemAtOnceWithPaths(@TempDir Path dir) throws IOException {
    ConfigException ex = assertThrows(ConfigException.class, () -> ConfigBinder.load(write(dir, """
        model:
          nmae: resnet20
        schedule:
          kind: linear
          milestones: [10, ten]
        seed: "abc"
        resume: 1
        colour: blue
        """), List.of(), Experiment.class));
    List<String> p = ex.problems();
    assertEquals(6, p.size(), String.join("\n", p));
    assertTrue(p.contains("model.nmae: unknown key; known keys here: [name, weights]"), p.toString());
    assertTrue(p.contains("schedule.kind: must be one of [step, cosine], was 'linear'"), p.toString());
    assertTrue(p.contains("schedule.milestones[1]: must be an integer, was 'ten'"), p.toString());
    assertTrue(p.contains("seed: must be an integer, was 'abc'"), p.toString());
    assertTrue(p.contains("resume: must be true or false, was 1"), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("colour: unknown key")), p.toString());
    assertTrue(ex.getMessage().startsWith(dir.resolve("c.yaml") + " has 6 problems:"), ex.getMessage());
  }

  @Test
  void recordValidationRunsAfterBindingWithThePath(@TempDir Path dir) throws IOException {
    ConfigException ex = assertThrows(ConfigException.class,
        () -> ConfigBinder.load(write(dir, "schedule: {lr: -1}\n"), List.of(), Experiment.class));
    assertEquals(List.of("schedule.lr: must be > 0, was -1.0"), ex.problems());
  }

  @Test
  void badOverridesAndMissingFilesAreClear(@TempDir Path dir) throws IOException {
    ConfigException ex = assertThrows(ConfigException.class,
        () -> ConfigBinder.load(write(dir, "seed: 1\n"), List.of("noequals"), Experiment.class));
    assertTrue(ex.problems().get(0).contains("key.path=value"), ex.problems().toString());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConfigBinder.load(dir.resolve("missing.yaml"), List.of(), Experiment.class));
    assertTrue(e.getMessage().contains("missing.yaml"));
  }

  @Test
  void anAbsentSectionBindsToTheDefaults() {
    String d = Experiment.defaults().toString(); // (params binds as a JSON null node, equal in text only)
    assertEquals(d, ConfigBinder.bind(null, Experiment.class, "t").toString());
    assertEquals(d, ConfigBinder.bind(com.fasterxml.jackson.databind.node.NullNode.getInstance(), Experiment.class,
        "t").toString());
    assertEquals(d, ConfigBinder.bind(com.fasterxml.jackson.databind.node.MissingNode.getInstance(),
        Experiment.class, "t").toString());
  }
}
