package org.bsq.core.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.bsq.core.finetune.FixedPrecisionWeightSource;
import org.junit.jupiter.api.Test;

/** The protobuf encodings the ONNX writer uses, against bytes worked out from the protobuf encoding guide. */
class ProtoWriterTest {
  private static byte[] bytes(int... v) {
    byte[] b = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      b[i] = (byte) v[i];
    }
    return b;
  }

  @Test
  void varintsAreLittleEndianBase128WithTheFieldTag() {
    assertArrayEquals(bytes(0x08, 0x96, 0x01), new ProtoWriter().varint(1, 150).toByteArray());
    assertArrayEquals(bytes(0x10, 0xAC, 0x02), new ProtoWriter().varint(2, 300).toByteArray());
    // field 20 (AttributeProto.type): tag (20 << 3) | 0 = 160 = 0xA0 0x01
    assertArrayEquals(bytes(0xA0, 0x01, 0x07), new ProtoWriter().varint(20, 7).toByteArray());
    // a negative int64 takes ten bytes (two's complement, as protobuf writes it)
    byte[] minusOne = new ProtoWriter().varint(3, -1).toByteArray();
    assertEquals(11, minusOne.length);
    assertEquals(0x01, minusOne[10]);
  }

  @Test
  void floatsStringsAndMessagesUseTheirWireTypes() {
    // 1.0f = 0x3F800000, little-endian, wire type 5
    assertArrayEquals(bytes(0x15, 0x00, 0x00, 0x80, 0x3F), new ProtoWriter().float32(2, 1f).toByteArray());
    assertArrayEquals(bytes(0x0A, 0x02, 'h', 'i'), new ProtoWriter().string(1, "hi").toByteArray());
    ProtoWriter inner = new ProtoWriter().varint(1, 1);
    assertArrayEquals(bytes(0x3A, 0x02, 0x08, 0x01), new ProtoWriter().message(7, inner).toByteArray());
    assertArrayEquals(bytes(0x08, 0x03, 0x08, 0x03), new ProtoWriter().repeatedVarints(1, new long[] {3, 3})
        .toByteArray());
    assertThrows(IllegalArgumentException.class, () -> new ProtoWriter().varint(0, 1));
  }

  @Test
  void levelsReproduceTheEnginesQuantizedWeights() {
    SplittableRandom r = new SplittableRandom(11);
    for (int bits = 1; bits <= 16; bits++) {
      float[] u = new float[2000];
      for (int i = 0; i < u.length; i++) {
        u[i] = (float) (r.nextDouble() * 2.6 - 1.3); // beyond the clamp at +-1 too
      }
      u[0] = 0.5f / ((1 << bits) - 1); // a tie
      float s = (float) (0.01 + r.nextDouble());
      LayerWeights w = LayerWeights.quantized("l", bits, new int[] {u.length}, LayerWeights.levelsOf(u, bits), s);
      float[] effective = w.effectiveWeights();
      float levels = (float) ((1 << bits) - 1);
      for (int i = 0; i < u.length; i++) {
        float engine = FixedPrecisionWeightSource.quantize(u[i], levels) * s;
        assertTrue(engine == effective[i], bits + " bits, u = " + u[i] + ": " + engine + " vs " + effective[i]);
      }
    }
  }

  @Test
  void levelsOutsideTheBitWidthAreRejectedNamingTheLayer() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LayerWeights.quantized("layer1.0.conv1", 3, new int[] {2}, new int[] {7, 8}, 1f));
    assertEquals("weight level 1 of layer 'layer1.0.conv1' must be in [-7, 7] at 3 bits, was 8", e.getMessage());
    IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
        () -> LayerWeights.quantized("fc", 17, new int[] {1}, new int[] {0}, 1f));
    assertTrue(b.getMessage().startsWith("weight bits of layer 'fc' must be in [0, 16]"), b.getMessage());
  }
}
