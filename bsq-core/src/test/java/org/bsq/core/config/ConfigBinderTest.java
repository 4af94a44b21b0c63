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
    // every problem names its key and where the key is in the file
    assertTrue(p.contains("model.nmae: unknown key; known keys here: [name, weights] (line 2, column 3)"),
        p.toString());
    assertTrue(p.contains("schedule.kind: must be one of [step, cosine], was 'linear' (line 4, column 3)"),
        p.toString());
    assertTrue(p.contains("schedule.milestones[1]: must be an integer, was 'ten' (line 5, column 20)"), p.toString());
    assertTrue(p.contains("seed: must be an integer, was 'abc' (line 6, column 1)"), p.toString());
    assertTrue(p.contains("resume: must be true or false, was 1 (line 7, column 1)"), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("colour: unknown key") && s.endsWith("(line 8, column 1)")),
        p.toString());
    assertTrue(ex.getMessage().startsWith(dir.resolve("c.yaml") + " has 6 problems:"), ex.getMessage());
  }

  @Test
  void recordValidationRunsAfterBindingWithThePath(@TempDir Path dir) throws IOException {
    ConfigException ex = assertThrows(ConfigException.class,
        () -> ConfigBinder.load(write(dir, "schedule: {lr: -1}\n"), List.of(), Experiment.class));
    assertEquals(List.of("schedule.lr: must be > 0, was -1.0 (line 1, column 12)"), ex.problems());
    ConfigException fromSet = assertThrows(ConfigException.class,
        () -> ConfigBinder.load(write(dir, "schedule: {lr: 1}\n"), List.of("schedule.lr=-2"), Experiment.class));
    assertEquals(List.of("schedule.lr: must be > 0, was -2.0 (from --set)"), fromSet.problems());
  }

  @Test
  void anEmptyOrCommentOnlyFileIsAnError(@TempDir Path dir) throws IOException {
    for (String text : new String[] {"", "# only a comment\n\n# and another\n", "---\n"}) {
      ConfigException ex = assertThrows(ConfigException.class,
          () -> ConfigBinder.load(write(dir, text), List.of(), Experiment.class), "'" + text + "'");
      assertTrue(ex.getMessage().contains("the file is empty or holds only comments"), ex.getMessage());
    }
  }

  @Test
  void syntaxErrorsNameLineColumnAndKey(@TempDir Path dir) throws IOException {
    ConfigException ex = assertThrows(ConfigException.class, () -> ConfigBinder.load(write(dir, """
        seed: 1
        model: {name: [resnet20
        """), List.of(), Experiment.class));
    String problem = ex.problems().get(0);
    assertTrue(problem.startsWith("cannot parse: line 2, column 24 (in model.name[0])"), problem);
    assertTrue(problem.contains("while parsing a flow sequence; expected ',' or ']'"), problem);

    ConfigException nested = assertThrows(ConfigException.class,
        () -> ConfigBinder.load(write(dir, "schedule:\n  kind: step: cosine\n"), List.of(), Experiment.class));
    assertTrue(nested.problems().get(0).startsWith("cannot parse: line 2, column 13 (in schedule.kind)"),
        nested.problems().get(0));

    ConfigException duplicate = assertThrows(ConfigException.class,
        () -> ConfigBinder.load(write(dir, "seed: 1\nseed: 2\n"), List.of(), Experiment.class));
    assertTrue(duplicate.problems().get(0).contains("Duplicate field 'seed'"), duplicate.problems().get(0));
    assertTrue(duplicate.problems().get(0).contains("line 2"), duplicate.problems().get(0));
  }

  @Test
  void nonFiniteNumbersAreRejectedWithTheirKeyAndLine(@TempDir Path dir) throws IOException {
    ConfigException ex = assertThrows(ConfigException.class, () -> ConfigBinder.load(write(dir, """
        schedule:
          lr: .nan
        extra: {a: .inf, b: -.Inf, c: 1.5}
        """), List.of(), Experiment.class));
    assertEquals(List.of("schedule.lr: must be a finite number, was '.nan' (line 2, column 7)",
        "extra.a: must be a finite number, was '.inf' (line 3, column 12)",
        "extra.b: must be a finite number, was '-.Inf' (line 3, column 21)"), ex.problems());
    ConfigException set = assertThrows(ConfigException.class,
        () -> ConfigBinder.load(write(dir, "seed: 1\n"), List.of("schedule.lr=.nan"), Experiment.class));
    assertEquals(List.of("--set schedule.lr: must be a finite number, was '.nan'"), set.problems());
    ConfigException json = assertThrows(ConfigException.class, () -> ConfigBinder.bind(
        com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().set("schedule",
            com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("lr", Double.NaN)),
        Experiment.class, "t"));
    assertEquals(List.of("schedule.lr: must be a finite number, was NaN"), json.problems());
  }

  @Test
  void relativePathsInTheFileAreRelativeToTheFileAndOnTheCommandLineToTheWorkingDirectory(@TempDir Path dir)
      throws IOException {
    Path sub = Files.createDirectories(dir.resolve("configs"));
    Path file = sub.resolve("c.yaml");
    Files.writeString(file, "model: {weights: ../data/w}\n");
    Experiment fromFile = ConfigBinder.load(file, List.of(), Experiment.class);
    assertEquals(dir.resolve("data/w").toAbsolutePath().normalize(), fromFile.model().weights());
    Experiment fromSet = ConfigBinder.load(file, List.of("model.weights=runs/w"), Experiment.class);
    assertEquals(Path.of("runs/w").toAbsolutePath().normalize(), fromSet.model().weights());
    Experiment wholeSection = ConfigBinder.load(file, List.of("model={name: x, weights: w2}"), Experiment.class);
    assertEquals(Path.of("w2").toAbsolutePath().normalize(), wholeSection.model().weights(),
        "a key inside an overridden section came from the command line");
    Files.writeString(file, "model: {weights: /abs/./w}\n");
    assertEquals(Path.of("/abs/w"), ConfigBinder.load(file, List.of(), Experiment.class).model().weights());
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

  /** A search's parameters with a one-of budget. */
  record SearchParams(org.bsq.core.search.CostBudget budget, int evaluations) {
    static SearchParams defaults() {
      return new SearchParams(org.bsq.core.search.CostBudget.defaults(), 7);
    }
  }

  @org.junit.jupiter.api.Test
  void anAlternativesRecordGivenInAFileReplacesTheDefaultAsAWhole() {
    com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
    SearchParams value = ConfigBinder.bind(m.createObjectNode().set("budget", m.createObjectNode().put("value", 3)),
        SearchParams.class, "t");
    org.junit.jupiter.api.Assertions.assertEquals(new SearchParams(new org.bsq.core.search.CostBudget(0, 3), 7), value);
    SearchParams ratio = ConfigBinder.bind(m.createObjectNode().set("budget", m.createObjectNode().put("ratio", 0.3)),
        SearchParams.class, "t");
    org.junit.jupiter.api.Assertions.assertEquals(new org.bsq.core.search.CostBudget(0.3, 0), ratio.budget());
    org.junit.jupiter.api.Assertions.assertEquals(SearchParams.defaults(),
        ConfigBinder.bind(m.createObjectNode(), SearchParams.class, "t"));
    ConfigException both = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> ConfigBinder.bind(
        m.createObjectNode().set("budget", m.createObjectNode().put("ratio", 0.3).put("value", 2)),
        SearchParams.class, "t"));
    org.junit.jupiter.api.Assertions.assertTrue(both.problems().get(0).startsWith("budget.ratio/value: give exactly one of ratio"),
        both.problems().toString());
  }
}
