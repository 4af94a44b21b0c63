package org.bsq.core.harness;

import java.util.ArrayList;
import java.util.List;
import org.bsq.core.graph.LayerInfo;
import org.bsq.core.graph.LayerInventory;
import org.bsq.core.param.ParameterStore;

/**
 * The reference finetuning's accidental behaviour, for {@link FinetuneSettings#referenceCompatible()}
 * (docs/algorithm.md sections 12.2, 12.3): {@code BitLinear.to_finetune()} drops the classifier's bias, so it is neither used nor
 * trained (held at zero here), and the post-step clamp keeps the full-precision projection shortcut weights in
 * [-1, 1]. Applied before finetuning and after every optimizer step.
 */
final class ReferenceFinetuneQuirks {
  private final List<String> biases = new ArrayList<>();
  private final List<String> shortcutWeights = new ArrayList<>();

  ReferenceFinetuneQuirks(LayerInventory inventory) {
    for (LayerInfo l : inventory) {
      if (l.kind() == LayerInfo.Kind.LINEAR && l.biasCount() > 0) {
        biases.add(l.name() + ".bias");
      }
      if (l.projectionShortcut()) {
        shortcutWeights.add(l.name() + ".weight");
      }
    }
  }

  void afterStep(ParameterStore store) {
    for (String b : biases) {
      java.util.Arrays.fill(store.get(b).value(), 0f);
    }
    for (String w : shortcutWeights) {
      float[] v = store.get(w).value();
      for (int i = 0; i < v.length; i++) {
        v[i] = Math.max(-1f, Math.min(1f, v[i]));
      }
    }
  }
}
