package org.bsq.core.search;

import org.bsq.core.quant.QuantizationScheme;

/**
 * One evaluated candidate.
 *
 * @param index 1-based number of the evaluation in the run (over every evaluator of the run)
 * @param scheme the candidate
 * @param top1 top-1 accuracy on the evaluator's validation images (0..1)
 * @param loss mean cross-entropy on them
 * @param samples how many images
 * @param cost the objective cost ({@link CostTarget#price})
 * @param seconds wall time of this evaluation (install, short finetune, evaluation, restore)
 */
public record CandidateResult(int index, QuantizationScheme scheme, double top1, double loss, long samples,
                              double cost, double seconds) {}
