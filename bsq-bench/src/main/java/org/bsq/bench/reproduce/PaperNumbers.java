package org.bsq.bench.reproduce;

import java.util.List;

/**
 * The published numbers {@code bsq reproduce} prints beside ours, each with its grade. Their one source in the
 * repository is {@code docs/paper-numbers.md}, which says where each was read; keep the two equal.
 */
public final class PaperNumbers {
  private PaperNumbers() {}

  /** How far a published number can be trusted (see docs/paper-numbers.md). */
  public enum Grade {
    /** Read in the authors' own material. */
    PRIMARY,
    /** Read in a third-party summary of the paper. */
    SECONDARY,
    /** A recollection of the paper's table, not read from it: marked with a dagger in the tables. */
    RECALLED
  }

  /**
   * One row of the paper's Table 1 (CIFAR-10 ResNet-20, 4-bit activations); accuracies in percent.
   *
   * @param alpha the regularization strength
   * @param avgBits average weight bits
   * @param compression 32 / average bits, as the paper prints it
   * @param top1BeforeFinetune top-1 of the BSQ model before finetuning
   * @param top1AfterFinetune top-1 after finetuning
   * @param top1FromScratch top-1 of the same scheme trained from the float model
   */
  public record Table1Row(double alpha, double avgBits, double compression, double top1BeforeFinetune,
                          double top1AfterFinetune, double top1FromScratch, Grade grade) {}

  /** The paper's Table 1 as recalled (docs/paper-numbers.md: recalled, unconfirmed). */
  public static final List<Table1Row> TABLE1 = List.of(
      new Table1Row(3e-3, 3.02, 10.60, 91.30, 92.60, 91.72, Grade.RECALLED),
      new Table1Row(5e-3, 2.25, 14.24, 90.98, 92.32, 91.45, Grade.RECALLED),
      new Table1Row(7e-3, 1.66, 19.24, 90.42, 91.48, 91.12, Grade.RECALLED),
      new Table1Row(1e-2, 1.37, 23.44, 90.35, 91.00, 89.57, Grade.RECALLED),
      new Table1Row(2e-2, 0.87, 36.63, 85.77, 87.49, 84.14, Grade.RECALLED));

  /** Top-1 (percent) of the authors' full-precision ResNet-20 checkpoint: primary (their training log). */
  public static final double FLOAT_TOP1 = 92.55;

  /**
   * A literature row of the paper's Table 2; null where docs/paper-numbers.md has no value (printed "unknown").
   *
   * @param method the method and its paper
   * @param activationBits activation precision as the comparison states it (text)
   * @param compression weight compression (text as the source gives it), or null
   * @param top1 top-1 in percent, or null
   * @param source where the numbers were read, with the grade
   */
  public record LiteratureRow(String method, String activationBits, String compression, Double top1, String source) {}

  /** The rows of the paper's Table 2 that docs/paper-numbers.md lists. */
  public static final List<LiteratureRow> TABLE2 = List.of(
      new LiteratureRow("BSQ alpha 5e-3 (paper)", "4", "14.24x", null,
          "secondary (a paper summary); \"same accuracy\" as HAWQ, value not given"),
      new LiteratureRow("HAWQ (Dong et al., ICCV 2019)", "4", "13.11x", null, "secondary (the same summary)"),
      new LiteratureRow("BSQ, full-precision activations (paper)", "32", "about 1.23x DNAS's", null,
          "secondary (the same summary): about 23 % more compression than DNAS at the same accuracy"),
      new LiteratureRow("DNAS (Wu et al., 2018)", "32", null, null, "named by the same summary; values not found"),
      new LiteratureRow("DoReFa-Net (Zhou et al., 2016)", "unknown", null, null,
          "named by the same summary; values not found"),
      new LiteratureRow("PACT (Choi et al., 2018)", "unknown", null, null,
          "named by the same summary; values not found"),
      new LiteratureRow("LQ-Nets (Zhang et al., ECCV 2018)", "unknown", null, null,
          "named by the same summary; values not found"));
}
