package org.bsq.core.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CandidateSettingsTest {
  @Test
  void validSettingsConstructAndBadOnesAreRefusedNamingTheKey() {
    assertEquals(1e-3, CandidateSettings.defaults().finetuneLearningRate(), 0.0);
    assertEquals(16, CandidateSettings.onSamples(16).samples());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CandidateSettings(-1, 0, 0, 0));
    assertTrue(e.getMessage().contains("samples: must be >= 0") && e.getMessage().contains("finetuneLearningRate"),
        e.getMessage());
  }
}
