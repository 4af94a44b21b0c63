package org.bsq.core.data;

import java.util.Iterator;

/** Batches of one epoch. Closing it stops any background preparation. */
public interface BatchIterator extends Iterator<Batch>, AutoCloseable {
  @Override
  void close();
}
