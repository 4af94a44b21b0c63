package org.bsq.baselines.haq;

import java.util.SplittableRandom;

/**
 * The reference's {@code SequentialMemory} (keras-rl, window length 1) as HAQ uses it: a ring buffer of
 * (state, action, reward, terminal) entries; the transition of entry {@code j} goes to the state of entry {@code j + 1}.
 * The newest entry is never sampled (it has no successor yet), nor an entry right after a terminal one (the dummy entry
 * the search appends after each episode).
 */
final class ReplayMemory {
  private final int capacity;
  private final double[][] states;
  private final double[] actions;
  private final double[] rewards;
  private final boolean[] terminals;
  private int start;
  private int length;

  ReplayMemory(int capacity) {
    if (capacity < 2) {
      throw new IllegalArgumentException("replay memory capacity must be >= 2, was " + capacity);
    }
    this.capacity = capacity;
    this.states = new double[capacity][];
    this.actions = new double[capacity];
    this.rewards = new double[capacity];
    this.terminals = new boolean[capacity];
  }

  void append(double[] state, double action, double reward, boolean terminal) {
    int slot;
    if (length < capacity) {
      slot = (start + length) % capacity;
      length++;
    } else {
      slot = start;
      start = (start + 1) % capacity;
    }
    states[slot] = state.clone();
    actions[slot] = action;
    rewards[slot] = reward;
    terminals[slot] = terminal;
  }

  int size() { return length; }

  int capacity() { return capacity; }

  private int slot(int index) { return (start + index) % capacity; }

  /** A batch of transitions. */
  record Batch(double[][] states, double[] actions, double[] rewards, double[][] nextStates, boolean[] terminals) {}

  /**
   * Samples {@code size} transitions: distinct entries when there are enough (Python's {@code random.sample}),
   * otherwise with repetition; an entry right after a terminal one is replaced by a uniform draw, as the reference.
   */
  Batch sample(int size, SplittableRandom random) {
    int n = length - 1; // entries with a successor
    if (n < 1) {
      throw new IllegalStateException("replay memory needs two entries to sample a transition, has " + length);
    }
    int[] picks = new int[size];
    if (n >= size) {
      int[] pool = new int[n];
      for (int i = 0; i < n; i++) {
        pool[i] = i;
      }
      for (int i = 0; i < size; i++) { // partial Fisher-Yates: a sample without replacement
        int j = i + random.nextInt(n - i);
        int t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
        picks[i] = pool[i];
      }
    } else {
      for (int i = 0; i < size; i++) {
        picks[i] = random.nextInt(n);
      }
    }
    double[][] s0 = new double[size][];
    double[] a = new double[size];
    double[] r = new double[size];
    double[][] s1 = new double[size][];
    boolean[] t = new boolean[size];
    for (int i = 0; i < size; i++) {
      int j = picks[i];
      while (j >= 1 && terminals[slot(j - 1)]) {
        j = random.nextInt(n);
      }
      s0[i] = states[slot(j)];
      a[i] = actions[slot(j)];
      r[i] = rewards[slot(j)];
      t[i] = terminals[slot(j)];
      s1[i] = states[slot(j + 1)];
    }
    return new Batch(s0, a, r, s1, t);
  }
}
