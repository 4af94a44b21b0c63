package org.bsq.models.io;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/** The element types of PyTorch storages this reader accepts, by their legacy storage class ({@code torch.FloatStorage}). */
public enum TorchDType {
  FLOAT32("FloatStorage", 4, true),
  FLOAT64("DoubleStorage", 8, true),
  FLOAT16("HalfStorage", 2, true),
  BFLOAT16("BFloat16Storage", 2, true),
  INT64("LongStorage", 8, false),
  INT32("IntStorage", 4, false),
  INT16("ShortStorage", 2, false),
  INT8("CharStorage", 1, false),
  UINT8("ByteStorage", 1, false),
  BOOL("BoolStorage", 1, false);

  private final String storageClass;
  private final int size;
  private final boolean floating;

  TorchDType(String storageClass, int size, boolean floating) {
    this.storageClass = storageClass;
    this.size = size;
    this.floating = floating;
  }

  /** The storage class name in module {@code torch}, e.g. {@code FloatStorage}. */
  public String storageClass() { return storageClass; }

  /** Bytes per element. */
  public int size() { return size; }

  public boolean isFloatingPoint() { return floating; }

  /** The type whose storage class is {@code name}, or null. */
  static TorchDType byStorageClass(String name) {
    for (TorchDType t : values()) {
      if (t.storageClass.equals(name)) {
        return t;
      }
    }
    return null;
  }

  static List<String> storageClasses() {
    return Arrays.stream(values()).map(t -> "torch." + t.storageClass).toList();
  }

  /** Element {@code i} of a little-endian buffer of this type, as a double. */
  double get(ByteBuffer le, int i) {
    int at = i * size;
    return switch (this) {
      case FLOAT32 -> le.getFloat(at);
      case FLOAT64 -> le.getDouble(at);
      case FLOAT16 -> halfToFloat(le.getShort(at));
      case BFLOAT16 -> Float.intBitsToFloat((le.getShort(at) & 0xffff) << 16);
      case INT64 -> le.getLong(at);
      case INT32 -> le.getInt(at);
      case INT16 -> le.getShort(at);
      case INT8 -> le.get(at);
      case UINT8, BOOL -> le.get(at) & 0xff;
    };
  }

  /** Element {@code i} of a little-endian buffer of an integer type, exactly. */
  long getLong(ByteBuffer le, int i) {
    int at = i * size;
    return switch (this) {
      case INT64 -> le.getLong(at);
      case INT32 -> le.getInt(at);
      case INT16 -> le.getShort(at);
      case INT8 -> le.get(at);
      case UINT8, BOOL -> le.get(at) & 0xff;
      default -> throw new IllegalStateException("not an integer type: " + this);
    };
  }

  /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
}
