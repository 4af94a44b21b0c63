package org.bsq.baselines.haq;

import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;

/**
 * HAQ's DDPG agent ({@code lib/rl/ddpg.py} of mit-han-lab/haq) on DeepLearning4J: one action in [0, 1] per step.
 *
 * <ul>
 *   <li>Actor: state -> 300 ReLU -> 300 ReLU -> 1 sigmoid ({@link MultiLayerNetwork}).</li>
 *   <li>Critic: the reference computes {@code relu(fc11(s) + fc12(a))}; here the first layer reads the concatenation
 *   {@code [s, a]}, the same function ({@code W [s; a] + b = W1 s + W2 a + b}): [s, a] -> 300 ReLU -> 300 ReLU ->
 *   1 linear.</li>
 *   <li>Target networks start as copies and follow by soft updates ({@code tau}); Adam on both (PyTorch's defaults
 *   equal DL4J's: betas 0.9/0.999, epsilon 1e-8).</li>
 *   <li>Critic step: mean squared error against {@code r - baseline + discount * (1 - terminal) * Q'(s', mu'(s'))},
 *   where the baseline is the reference's moving average of batch mean rewards (alpha 0.5).</li>
 *   <li>Actor step: minimizes {@code -mean Q(s, mu(s))}. DL4J computes the gradient in two back-propagations with
 *   external errors: {@link MultiLayerNetwork#backpropGradient} of the critic with {@code dL/dQ = -1/N} gives the
 *   gradient with respect to the critic's input, whose action column is {@code dL/da}; the actor's
 *   {@code backpropGradient} with that error gives the actor's parameter gradient, which the actor's own Adam updater
 *   turns into the step (the critic's parameter gradient of that pass is discarded, as the reference's
 *   {@code actor_optim} only steps the actor).</li>
 * </ul>
 *
 * <p>Networks use doubles and no workspaces; every initialization draws from the seed, so a seed fixes the agent.
 * Not thread-safe.
 */
public final class DdpgAgent {
  /**
   * The networks' floating-point type: float32, as the reference's PyTorch networks (an update of the default
   * networks took a median 22.9 ms against 30.0 ms in float64 on a 2-core AMD EPYC, docs/strategies/haq.md).
   */
  static final DataType NETWORK_TYPE = DataType.FLOAT;

  /**
   * The agent's hyper-parameters.
   *
   * @param states state size
   * @param hidden1 first hidden layer width
   * @param hidden2 second hidden layer width
   * @param actorLearningRate Adam learning rate of the actor
   * @param criticLearningRate Adam learning rate of the critic
   * @param tau soft target update rate
   * @param discount discount of the next state's value
   * @param batchSize transitions per update
   * @param memory replay memory capacity (entries)
   * @param initDelta initial standard deviation of the truncated-normal exploration
   * @param deltaDecay its decay per episode after the warm-up
   * @param warmup warm-up episodes (random actions, no updates)
   * @param movingAverageAlpha rate of the moving-average reward baseline
   * @param seed seeds the networks' initialization, the exploration and the memory's sampling
   */
  public record Settings(int states, int hidden1, int hidden2, double actorLearningRate, double criticLearningRate,
                         double tau, double discount, int batchSize, int memory, double initDelta, double deltaDecay,
                         int warmup, double movingAverageAlpha, long seed) {}

  private static final LayerWorkspaceMgr NO_WORKSPACES = LayerWorkspaceMgr.noWorkspaces();

  private final Settings settings;
  private final MultiLayerNetwork actor;
  private final MultiLayerNetwork actorTarget;
  private final MultiLayerNetwork critic;
  private final MultiLayerNetwork criticTarget;
  private final ReplayMemory memory;
  private final SplittableRandom random;
  private Double movingAverage;
  private int actorSteps;
  private int criticSteps;
  private double valueLoss;
  private double policyLoss;
  private double delta;

  public DdpgAgent(Settings settings) {
    this.settings = settings;
    SplittableRandom seeds = new SplittableRandom(settings.seed());
    this.actor = network(settings.states(), settings.actorLearningRate(), Activation.SIGMOID, seeds);
    this.critic = network(settings.states() + 1, settings.criticLearningRate(), Activation.IDENTITY, seeds);
    this.actorTarget = network(settings.states(), settings.actorLearningRate(), Activation.SIGMOID, seeds);
    this.criticTarget = network(settings.states() + 1, settings.criticLearningRate(), Activation.IDENTITY, seeds);
    actorTarget.setParams(actor.params().dup()); // hard_update
    criticTarget.setParams(critic.params().dup());
    this.memory = new ReplayMemory(settings.memory());
    this.random = seeds.split();
    this.delta = settings.initDelta();
  }

  /** An MLP in -> hidden1 ReLU -> hidden2 ReLU -> 1 {@code out}, PyTorch's {@code nn.Linear} initialization. */
  private MultiLayerNetwork network(int in, double learningRate, Activation out, SplittableRandom seeds) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(seeds.nextLong())
        .dataType(NETWORK_TYPE)
        .updater(new Adam(learningRate))
        .weightInit(WeightInit.UNIFORM) // U(-1/sqrt(fanIn), 1/sqrt(fanIn)), as nn.Linear's weights
        .trainingWorkspaceMode(WorkspaceMode.NONE)
        .inferenceWorkspaceMode(WorkspaceMode.NONE)
        .list()
        .layer(new DenseLayer.Builder().nIn(in).nOut(settings.hidden1()).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nIn(settings.hidden1()).nOut(settings.hidden2()).activation(Activation.RELU)
            .build())
        .layer(new DenseLayer.Builder().nIn(settings.hidden2()).nOut(1).activation(out).build())
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    // nn.Linear also draws its biases from U(-1/sqrt(fanIn), 1/sqrt(fanIn)); DL4J starts them at 0.
    SplittableRandom biases = new SplittableRandom(seeds.nextLong());
    int[] fanIn = {in, settings.hidden1(), settings.hidden2()};
    for (int layer = 0; layer < 3; layer++) {
      INDArray b = net.getParam(layer + "_b");
      double bound = 1 / Math.sqrt(fanIn[layer]);
      double[] values = new double[(int) b.length()];
      for (int i = 0; i < values.length; i++) {
        values[i] = (2 * biases.nextDouble() - 1) * bound;
      }
      b.assign(Nd4j.create(values, b.shape()).castTo(NETWORK_TYPE));
    }
    return net;
  }

  public Settings settings() { return settings; }

  /** The warm-up's uniform random action. */
  public double randomAction() { return random.nextDouble(); }

  /** The actor's action for {@code state}, without exploration. */
  public double act(double[] state) {
    return actor.output(row(state), false).getDouble(0, 0);
  }

  /**
   * The actor's action with the reference's exploration: a draw from the normal distribution around it truncated to
   * [0, 1], with standard deviation {@code initDelta * deltaDecay^(episode - warmup)}.
   */
  public double selectAction(double[] state, int episode) {
    double mu = act(state);
    delta = settings.initDelta() * Math.pow(settings.deltaDecay(), episode - settings.warmup());
    return truncatedNormal(mu, delta, random);
  }

  /** A draw from N(mu, sigma) truncated to [0, 1] (rejection; mu is in [0, 1], so at least a third is accepted). */
  static double truncatedNormal(double mu, double sigma, SplittableRandom random) {
    if (!(sigma > 0)) {
      return Math.max(0, Math.min(1, mu));
    }
    for (int i = 0; i < 10_000; i++) {
      double x = mu + sigma * random.nextGaussian();
      if (x >= 0 && x <= 1) {
        return x;
      }
    }
    return Math.max(0, Math.min(1, mu));
  }

  /** Stores a transition's start (the reference's {@code observe}). */
  public void observe(double reward, double[] state, double action, boolean terminal) {
    memory.append(state, action, reward, terminal);
  }

  /** Entries in the replay memory. */
  public int memorySize() { return memory.size(); }

  /** One update of critic, actor and targets from a sampled batch (the reference's {@code update_policy}). */
  public void update() {
    ReplayMemory.Batch batch = memory.sample(settings.batchSize(), random);
    int n = settings.batchSize();
    double[] rewards = batch.rewards().clone();
    double mean = 0;
    for (double r : rewards) {
      mean += r;
    }
    mean /= n;
    movingAverage = movingAverage == null ? mean : movingAverage + settings.movingAverageAlpha() * (mean - movingAverage);
    double[][] notTerminal = new double[n][1];
    double[][] r = new double[n][1];
    double[][] a = new double[n][1];
    for (int i = 0; i < n; i++) {
      r[i][0] = rewards[i] - movingAverage;
      notTerminal[i][0] = batch.terminals()[i] ? 0 : 1;
      a[i][0] = batch.actions()[i];
    }
    INDArray s0 = matrix(batch.states());
    INDArray s1 = matrix(batch.nextStates());
    INDArray nextQ = criticTarget.output(Nd4j.hstack(s1, actorTarget.output(s1, false)), false);
    INDArray target = matrix(r).addi(matrix(notTerminal).muli(nextQ).muli(settings.discount()));

    // Critic: MSE(Q(s, a), target)
    INDArray q = forward(critic, Nd4j.hstack(s0, matrix(a)));
    INDArray error = q.sub(target);
    valueLoss = error.mul(error).meanNumber().doubleValue();
    Gradient g = critic.backpropGradient(error.mul(2.0 / n), NO_WORKSPACES).getFirst();
    step(critic, g, criticSteps++);

    // Actor: minimize -mean Q(s, mu(s)); dL/da through the critic's input gradient
    INDArray mu = forward(actor, s0);
    INDArray qMu = forward(critic, Nd4j.hstack(s0, mu));
    policyLoss = -qMu.meanNumber().doubleValue();
    Pair<Gradient, INDArray> criticInput = critic.backpropGradient(Nd4j.valueArrayOf(new long[] {n, 1}, -1.0 / n,
        NETWORK_TYPE), NO_WORKSPACES);
    INDArray dAction = criticInput.getSecond().get(NDArrayIndex.all(),
        NDArrayIndex.interval(settings.states(), settings.states() + 1)).dup();
    step(actor, actor.backpropGradient(dAction, NO_WORKSPACES).getFirst(), actorSteps++);

    softUpdate(actorTarget, actor, settings.tau());
    softUpdate(criticTarget, critic, settings.tau());
  }

  /** A training-mode forward pass that keeps the layers' inputs for a following backpropGradient. */
  private static INDArray forward(MultiLayerNetwork net, INDArray input) {
    net.setInput(input);
    java.util.List<INDArray> activations = net.feedForward(true, false);
    return activations.get(activations.size() - 1);
  }

  /** Applies {@code gradient} with the network's own updater (Adam), as an optimizer step. */
  private static void step(MultiLayerNetwork net, Gradient gradient, int iteration) {
    // batch size 1: the errors already carry the 1/N of the mean losses
    net.getUpdater().update(net, gradient, iteration, 0, 1, NO_WORKSPACES);
    net.params().subi(gradient.gradient());
  }

  /** {@code target = (1 - tau) * target + tau * source}, parameter by parameter. */
  static void softUpdate(MultiLayerNetwork target, MultiLayerNetwork source, double tau) {
    target.params().muli(1 - tau).addi(source.params().mul(tau));
  }

  private static INDArray row(double[] state) {
    return matrix(new double[][] {state});
  }

  /** A matrix of the networks' type. */
  private static INDArray matrix(double[][] values) {
    return Nd4j.create(values).castTo(NETWORK_TYPE);
  }

  /** The actor (tests). */
  MultiLayerNetwork actor() { return actor; }

  MultiLayerNetwork actorTarget() { return actorTarget; }

  MultiLayerNetwork critic() { return critic; }

  MultiLayerNetwork criticTarget() { return criticTarget; }

  /** The critic's value of {@code (state, action)}. */
  double value(double[] state, double action) {
    double[] in = java.util.Arrays.copyOf(state, state.length + 1);
    in[state.length] = action;
    return critic.output(row(in), false).getDouble(0, 0);
  }

  public double valueLoss() { return valueLoss; }

  public double policyLoss() { return policyLoss; }

  /** The exploration's last standard deviation. */
  public double delta() { return delta; }
}
