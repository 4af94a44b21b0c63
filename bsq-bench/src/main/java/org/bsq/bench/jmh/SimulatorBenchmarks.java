package org.bsq.bench.jmh;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bsq.hwsim.CostReport;
import org.bsq.hwsim.LookupTable;
import org.bsq.hwsim.Presets;
import org.bsq.hwsim.Simulator;
import org.bsq.hwsim.Workload;
import org.bsq.hwsim.Workloads;
import org.bsq.models.ModelOptions;
import org.bsq.models.Models;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Hardware-simulator throughput: whole-network simulations per second (full tiling search for every layer, no cache)
 * and HAQ-style table pricing of mixed-precision schemes per second. Targets: ResNet-18 in at most 50 ms, table pricing
 * at 10^5 schemes/s or more. For comparison, BitFusion's own Python simulator took about 18.7 s per ResNet-18 network
 * when measured once during development (not reproducible here).
 *
 * <p>Run: {@code java -cp ... org.openjdk.jmh.Main SimulatorBenchmarks -f 1 -wi 2 -i 3 -r 1s}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class SimulatorBenchmarks {
  /** Workloads: ResNet-20 (CIFAR, mixed bits), BitFusion's ResNet-18-WRPN (17 layers), torchvision ResNet-18. */
  @Param({"resnet20-mixed", "resnet18-wrpn", "resnet18-imagenet"})
  public String network;

  @Param({"bitfusion-e", "stripes"})
  public String accelerator;

  private Simulator simulator;
  private Workload workload;
  private LookupTable table;
  private int[][] weightSchemes;
  private int[][] actSchemes;
  private int next;

  @Setup
  public void setup() {
    simulator = Simulator.of(accelerator);
    workload = switch (network) {
      case "resnet20-mixed" -> {
        Workload base = Workload.uniform(Models.inventory("resnet20", ModelOptions.cifar10()), 16, 8, 8, 8);
        Random r = new Random(1);
        int[] w = new int[base.size()];
        int[] a = new int[base.size()];
        for (int i = 0; i < w.length; i++) {
          w[i] = 2 + r.nextInt(7);
          a[i] = i == 0 ? 8 : 2 + r.nextInt(7);
        }
        yield base.withBits(w, a);
      }
      case "resnet18-wrpn" -> Workloads.resnet18Wrpn(8, 8, 4, 4);
      case "resnet18-imagenet" -> Workloads.resnet18ImageNet(16, 4, 4);
      default -> throw new IllegalArgumentException("unknown network " + network);
    };
    table = LookupTable.build(simulator, workload, 8);
    Random r = new Random(2);
    weightSchemes = new int[1024][workload.size()];
    actSchemes = new int[1024][workload.size()];
    for (int s = 0; s < weightSchemes.length; s++) {
      for (int l = 0; l < workload.size(); l++) {
        weightSchemes[s][l] = 1 + r.nextInt(8);
        actSchemes[s][l] = 1 + r.nextInt(8);
      }
    }
  }

  /** One whole-network simulation: the full tiling search of every layer, nothing cached. */
  @Benchmark
  public CostReport simulateNetwork() {
    return simulator.priceUncached(workload);
  }

  /** Pricing one new mixed-precision scheme by summing table entries (cycles and energy). */
  @Benchmark
  public double priceSchemeFromTable() {
    int s = next++ & (weightSchemes.length - 1);
    return table.cycles(weightSchemes[s], actSchemes[s]) + table.energyNj(weightSchemes[s], actSchemes[s]);
  }
}
