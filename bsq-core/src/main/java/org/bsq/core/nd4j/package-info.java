/**
 * ND4J interoperability: the framework's parameters, data and models as the ND4J/DL4J types JVM users know
 * ({@code INDArray}, {@code DataSet}, {@code DataSetIterator}). The training engine does not run on ND4J's kernels (see
 * docs/decisions/0001-training-engine-onednn.md: libnd4j's conv and batch-norm paths are 2-4x slower than PyTorch), so
 * ND4J is confined to this package: it is the exchange format at the framework's edges, and loading its native backend
 * is paid only by code that calls into this package.
 */
package org.bsq.core.nd4j;
