/**
 * HAQ (hardware-aware automated quantization, Wang et al. CVPR 2019): the {@code haq} strategy, its environment and
 * its DDPG agent on DeepLearning4J.
 */
package org.bsq.baselines.haq;
