package org.bsq.models.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the state dict in a checkpoint and maps its keys onto this project's parameter names: the common
 * {@code module.} prefix of {@code nn.DataParallel} is stripped and batch-norm {@code num_batches_tracked} counters are
 * dropped (the engine keeps none), as in the raw-float32 manifest of {@code shared/data/pretrained}.
 */
public final class TorchStateDict {
  /** Keys under which training scripts commonly keep the model's state dict, in the order they are tried. */
  public static final List<String> WRAPPER_KEYS = List.of("state_dict", "model_state_dict", "model", "net",
      "network");

  private static final String DATA_PARALLEL_PREFIX = "module.";
  private static final String BATCH_COUNTER = ".num_batches_tracked";

  /** One tensor under its parameter name, with the key it had in the checkpoint. */
  public record Entry(String name, String checkpointKey, TorchTensor tensor) {}

  private TorchStateDict() {}

  /**
   * The state dict of {@code checkpoint}: the root object when it maps strings to tensors, else the first of
   * {@link #WRAPPER_KEYS} that does.
   *
   * @throws IllegalArgumentException naming the top-level keys when there is none
   */
  public static Map<String, TorchTensor> find(TorchCheckpoint checkpoint) {
    Object root = checkpoint.root();
    Map<String, TorchTensor> direct = asTensorMap(root);
    if (direct != null) {
      return direct;
    }
    if (root instanceof Map<?, ?> m) {
      for (String key : WRAPPER_KEYS) {
        Map<String, TorchTensor> sd = asTensorMap(m.get(key));
        if (sd != null) {
          return sd;
        }
      }
      Map<String, String> kinds = new LinkedHashMap<>();
      m.forEach((k, v) -> kinds.put(String.valueOf(k), kind(v)));
      throw new IllegalArgumentException("PyTorch checkpoint " + checkpoint.source() + " holds no state dict: its "
          + "top-level dict must map parameter names to tensors or hold one under " + WRAPPER_KEYS + ", has "
          + kinds);
    }
    throw new IllegalArgumentException("PyTorch checkpoint " + checkpoint.source() + " must hold a dict (a state "
        + "dict or a dict with one), holds " + kind(root));
  }

  /** The model tensors of {@code stateDict} under their parameter names, in checkpoint order. */
  public static List<Entry> modelTensors(Map<String, TorchTensor> stateDict) {
    boolean strip = !stateDict.isEmpty() && stateDict.keySet().stream().allMatch(k -> k.startsWith(DATA_PARALLEL_PREFIX));
    List<Entry> out = new ArrayList<>();
    for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
      if (e.getKey().endsWith(BATCH_COUNTER)) {
        continue;
      }
      String name = strip ? e.getKey().substring(DATA_PARALLEL_PREFIX.length()) : e.getKey();
      out.add(new Entry(name, e.getKey(), e.getValue()));
    }
    return out;
  }

  /** Scalar top-level entries (numbers, strings, booleans) of a wrapped checkpoint, e.g. epoch and accuracy. */
  public static Map<String, Object> metadata(TorchCheckpoint checkpoint) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (checkpoint.root() instanceof Map<?, ?> m) {
      m.forEach((k, v) -> {
        if (v instanceof Number || v instanceof String || v instanceof Boolean) {
          out.put(String.valueOf(k), v);
        }
      });
    }
    return out;
  }

  private static Map<String, TorchTensor> asTensorMap(Object o) {
    if (!(o instanceof Map<?, ?> m) || m.isEmpty()) {
      return null;
    }
    Map<String, TorchTensor> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof TorchTensor t)) {
        return null;
      }
      out.put(k, t);
    }
    return out;
  }

  private static String kind(Object v) {
    if (v == null) {
      return "None";
    }
    if (v instanceof TorchTensor) {
      return "tensor";
    }
    if (v instanceof Map<?, ?> m) {
      return "dict(" + m.size() + ")";
    }
    if (v instanceof List<?> l) {
      return "list(" + l.size() + ")";
    }
    return v.getClass().getSimpleName().toLowerCase();
  }
}
