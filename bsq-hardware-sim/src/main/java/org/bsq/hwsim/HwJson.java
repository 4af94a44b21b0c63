package org.bsq.hwsim;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.bsq.core.json.Json;

/**
 * JSON files of the simulator: workloads, accelerator configs and cost reports. Unknown fields are errors (a typo in
 * a config must not silently fall back to a default).
 *
 * <p>An accelerator config is either a complete {@link Accelerator} object or {@code {"base": "<preset>", ...}}
 * naming a preset and overriding some of its fields ({@code energy} fields may be overridden one by one), e.g.
 * {@code {"base": "bitfusion-e", "name": "bf-big", "wbufBytes": 131072, "energy": {"dramNjPerBit": 0.03}}}.
 */
public final class HwJson {
  /** The strict mapper of user-written files ({@link Json#config()}): unknown fields and missing primitives fail. */
  private static final ObjectMapper MAPPER = Json.config();

  private HwJson() {}

  /** One-line JSON. */
  public static String toJson(Object value) {
    return Json.line(value);
  }

  /** Indented JSON. */
  public static String toPrettyJson(Object value) {
    return Json.pretty(value);
  }

  public static Workload parseWorkload(String json) {
    Workload w = parse(json, Workload.class, "workload");
    for (WorkloadLayer l : w.layers()) {
      if (l.inputBits() < 1) {
        throw new IllegalArgumentException("workload is invalid: layer '" + l.name() + "': inputBits must be in [1, "
            + WorkloadLayer.MAX_BITS + "] (0-bit activations cannot be priced; weightBits 0 marks a pruned layer), "
            + "was " + l.inputBits());
      }
    }
    return w;
  }

  public static CostReport parseReport(String json) {
    return parse(json, CostReport.class, "cost report");
  }

  public static Workload readWorkload(Path file) {
    return parseWorkload(read(file));
  }

  public static void write(Path file, Object value) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, toPrettyJson(value));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads an accelerator config file, JSON or YAML (complete object, or a preset {@code base} with overrides). */
  public static Accelerator readAccelerator(Path file) {
    try {
      return parseAccelerator(read(file));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses an accelerator config, JSON or YAML (the config mapper reads both): a complete object, or a preset
   * {@code base} with overrides.
   */
  public static Accelerator parseAccelerator(String json) {
    JsonNode node;
    try {
      node = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("accelerator config must be valid JSON or YAML: " + e.getOriginalMessage(), e);
    }
    if (!(node instanceof ObjectNode obj)) {
      throw new IllegalArgumentException("accelerator config must be a JSON object, was " + node.getNodeType());
    }
    if (obj.has("base")) {
      Accelerator base = Presets.get(obj.get("base").asText());
      ObjectNode merged = MAPPER.valueToTree(base);
      obj.remove("base");
      merge(merged, obj);
      obj = merged;
    }
    try {
      return MAPPER.treeToValue(obj, Accelerator.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("accelerator config is invalid: " + e.getOriginalMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("accelerator config is invalid: " + e.getMessage(), e);
    }
  }

  private static void merge(ObjectNode target, ObjectNode overrides) {
    Iterator<Map.Entry<String, JsonNode>> it = overrides.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> f = it.next();
      JsonNode existing = target.get(f.getKey());
      if (existing instanceof ObjectNode eo && f.getValue() instanceof ObjectNode fo && !f.getKey().equals("sources")) {
        merge(eo, fo);
      } else {
        target.set(f.getKey(), f.getValue());
      }
    }
  }

  private static <T> T parse(String json, Class<T> type, String what) {
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IllegalArgumentException iae) {
        throw new IllegalArgumentException(what + " is invalid: " + iae.getMessage(), e);
      }
      throw new IllegalArgumentException(what + " must be valid JSON of its schema: " + e.getOriginalMessage(), e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
