package org.bsq.core.search;

/** Progress of a search: one call per evaluated candidate, on the search's thread (keep it cheap). */
public interface SearchListener {
  void onSearchStep(SearchStep step);
}
