package org.bsq.core.train;

/** Deterministic seed derivation (SplitMix64 finalizer), so streams depend only on the inputs. */
final class Seeds {
  private Seeds() {}

  static long mix(long seed, long domain, long index) {
    return fmix(fmix(seed ^ fmix(domain)) + index * 0x9E3779B97F4A7C15L);
  }

  /** 64-bit FNV-1a hash of a string's UTF-16 code units. */
  static long hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    return h;
  }

  static long fmix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
