package org.bsq.core.engine.onednn;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.bsq.core.config.ConfigException;
import org.bytedeco.dnnl.global.dnnl;

/**
 * oneDNN 2.5's x86 instruction-set levels ({@code dnnl_cpu_isa_t}), named as oneDNN names them (lower case; the
 * same words its own {@code ONEDNN_MAX_CPU_ISA} takes). oneDNN picks its JIT kernels, and with them the float
 * summation order, by the effective level, so results can differ in the last bits between levels.
 *
 * <p>The codes are oneDNN's bit masks: a level's code contains the bits of every level it extends (e.g. {@code avx2}
 * = 7 contains {@code avx} = 3). {@link #ALL} (code 0) means "no cap".
 */
public enum CpuIsa {
  ALL(dnnl.dnnl_cpu_isa_all),
  SSE41(dnnl.dnnl_cpu_isa_sse41),
  AVX(dnnl.dnnl_cpu_isa_avx),
  AVX2(dnnl.dnnl_cpu_isa_avx2),
  AVX2_VNNI(dnnl.dnnl_cpu_isa_avx2_vnni),
  AVX512_MIC(dnnl.dnnl_cpu_isa_avx512_mic),
  AVX512_MIC_4OPS(dnnl.dnnl_cpu_isa_avx512_mic_4ops),
  AVX512_CORE(dnnl.dnnl_cpu_isa_avx512_core),
  AVX512_CORE_VNNI(dnnl.dnnl_cpu_isa_avx512_core_vnni),
  AVX512_CORE_BF16(dnnl.dnnl_cpu_isa_avx512_core_bf16),
  AVX512_CORE_AMX(dnnl.dnnl_cpu_isa_avx512_core_amx);

  private final int code;

  CpuIsa(int code) {
    this.code = code;
  }

  /** oneDNN's {@code dnnl_cpu_isa_t} value. */
  public int code() { return code; }

  /** The lower-case name, e.g. {@code avx2} or {@code avx512_core}. */
  public String id() { return name().toLowerCase(Locale.ROOT); }

  /** The names {@link #parse} accepts, in declaration order. */
  public static List<String> ids() {
    return Arrays.stream(values()).map(CpuIsa::id).toList();
  }

  /**
   * Whether this level contains {@code other}: every level contains itself and the levels it extends, {@link #ALL}
   * contains every level. oneDNN capped at {@code c} runs at an effective level {@code e} with
   * {@code c.includes(e)}.
   */
  public boolean includes(CpuIsa other) {
    return this == ALL || (other.code & code) == other.code;
  }

  /**
   * The level with this name (case and surrounding blanks ignored).
   *
   * @param source where the value came from, for the error message (e.g. an environment variable's name)
   * @throws ConfigException naming the allowed values when the name is unknown
   */
  public static CpuIsa parse(String value, String source) {
    String key = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    for (CpuIsa isa : values()) {
      if (isa.id().equals(key)) {
        return isa;
      }
    }
    throw unknown(value, source);
  }

  /** The error {@link #parse} throws for a name that is no level: it lists the allowed names. */
  static ConfigException unknown(String value, String source) {
    return new ConfigException(source, List.of(source + ": must be one of " + String.join(", ", ids())
        + " (oneDNN's instruction-set cap; 'all' or unset: no cap), was '" + value + "'"));
  }

  /**
   * The level with this oneDNN code.
   *
   * @throws IllegalArgumentException for a code oneDNN 2.5 does not define
   */
  public static CpuIsa ofCode(int code) {
    for (CpuIsa isa : values()) {
      if (isa.code == code) {
        return isa;
      }
    }
    throw new IllegalArgumentException("oneDNN ISA code must be one of oneDNN 2.5's dnnl_cpu_isa_t values, was "
        + code);
  }

  @Override
  public String toString() { return id(); }
}
