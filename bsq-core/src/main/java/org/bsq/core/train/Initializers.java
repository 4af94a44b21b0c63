package org.bsq.core.train;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.bsq.core.engine.Model;
import org.bsq.core.graph.ActivationSpec;
import org.bsq.core.param.Parameter;
import org.bsq.core.param.ParameterStore;

/**
 * Seeded parameter initialisation in the style of the PyTorch CIFAR ResNets (bearpaw {@code pytorch-classification},
 * which the BSQ reference builds on):
 *
 * <ul>
 *   <li>conv weights {@code [out, in, k, k]}: normal(0, sqrt(2 / (k * k * out)));</li>
 *   <li>batch norm: weight 1, bias 0, {@code running_mean} 0, {@code running_var} 1;</li>
 *   <li>linear weight {@code [out, in]} and bias: uniform(-1/sqrt(in), 1/sqrt(in)) (PyTorch's {@code nn.Linear}
 *       default bound);</li>
 *   <li>PACT clip alpha: {@link ActivationSpec#PACT_ALPHA_INIT} (10);</li>
 *   <li>strategy-owned tensors are left alone.</li>
 * </ul>
 *
 * Each tensor draws from its own {@link SplittableRandom} seeded from (seed, parameter name), so a tensor's values do
 * not depend on the other parameters; normal values come from a Box-Muller transform computed with {@link StrictMath},
 * so they are the same on every platform and JDK.
 */
public final class Initializers {
  private Initializers() {}

  /** Initialises every parameter and buffer of the model's store. */
  public static void initialize(Model model, long seed) {
    initialize(model.parameters(), seed);
  }

  /** Initialises every parameter and buffer of {@code store} by its role and shape. */
  public static void initialize(ParameterStore store, long seed) {
    for (Parameter p : store.all()) {
      initialize(store, p, seed);
    }
  }

  private static void initialize(ParameterStore store, Parameter p, long seed) {
    float[] v = p.value();
    int[] shape = p.shape();
    SplittableRandom random = new SplittableRandom(Seeds.mix(seed, Seeds.hash(p.name()), 0));
    switch (p.role()) {
      case WEIGHT -> {
        if (shape.length == 4) {
          double std = Math.sqrt(2.0 / ((double) shape[2] * shape[3] * shape[0]));
          fillNormal(v, std, random);
        } else if (shape.length == 2) {
          fillUniform(v, 1 / Math.sqrt(shape[1]), random);
        } else {
          throw new IllegalArgumentException("weight '" + p.name() + "' must have 4 (conv) or 2 (linear) dimensions,"
              + " was " + Arrays.toString(shape));
        }
      }
      case BIAS -> {
        String weight = p.name().substring(0, p.name().lastIndexOf('.') + 1) + "weight";
        if (!store.contains(weight)) {
          throw new IllegalArgumentException("bias '" + p.name() + "' needs its layer's weight '" + weight
              + "' for the fan-in, missing");
        }
        int[] ws = store.get(weight).shape();
        long fanIn = 1;
        for (int i = 1; i < ws.length; i++) {
          fanIn *= ws[i];
        }
        fillUniform(v, 1 / Math.sqrt(fanIn), random);
      }
      case BN_WEIGHT -> Arrays.fill(v, 1f);
      case BN_BIAS -> Arrays.fill(v, 0f);
      case BN_RUNNING_STAT -> Arrays.fill(v, p.name().endsWith("running_var") ? 1f : 0f);
      case ACTIVATION_CLIP -> Arrays.fill(v, ActivationSpec.PACT_ALPHA_INIT);
      case STRATEGY, STRATEGY_BUFFER -> { }
      default -> throw new IllegalArgumentException("parameter role " + p.role() + " has no initialiser");
    }
  }

  /** Fills {@code v} with normal(0, std) values (Box-Muller, both outputs used). */
  static void fillNormal(float[] v, double std, SplittableRandom random) {
    for (int i = 0; i < v.length; i += 2) {
      double u1 = 1.0 - random.nextDouble();   // (0, 1]
      double u2 = random.nextDouble();
      double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
      double t = 2 * Math.PI * u2;
      v[i] = (float) (std * r * StrictMath.cos(t));
      if (i + 1 < v.length) {
        v[i + 1] = (float) (std * r * StrictMath.sin(t));
      }
    }
  }

  /** Fills {@code v} with uniform(-bound, bound) values. */
  static void fillUniform(float[] v, double bound, SplittableRandom random) {
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((2 * random.nextDouble() - 1) * bound);
    }
  }
}
