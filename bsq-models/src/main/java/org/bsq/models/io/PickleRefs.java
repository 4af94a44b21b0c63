package org.bsq.models.io;

import java.util.Arrays;

/** Values the restricted unpickler creates for PyTorch's whitelisted globals before the storages are read. */
final class PickleRefs {
  private PickleRefs() {}

  /** A storage class global such as {@code torch.FloatStorage}: only valid inside a storage's persistent id. */
  record StorageType(TorchDType dtype) {}

  /**
   * A storage named by a persistent id {@code ('storage', type, key, location, numel[, view])}; a legacy view
   * {@code (view_key, offset, view_size)} is folded into {@code elementOffset}.
   */
  record StorageRef(TorchDType dtype, String key, long numElements, long elementOffset) {}

  /** A tensor waiting for its storage: {@code torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)}. */
  static final class TensorRef {
    final StorageRef storage;
    final long offset;
    final int[] size;
    final long[] stride;

    TensorRef(StorageRef storage, long offset, int[] size, long[] stride) {
      this.storage = storage;
      this.offset = offset;
      this.size = size;
      this.stride = stride;
    }

    @Override
    public String toString() {
      return "TensorRef[" + storage.key() + ", " + Arrays.toString(size) + "]";
    }
  }
}
