package org.bsq.core.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CandidateSettingsTest {
  @Test
  void validSettingsConstructAndBadOnesAreRefused() {
    assertEquals(1e-3, CandidateSettings.defaults().finetuneLearningRate());
    assertEquals(64, CandidateSettings.onSamples(64).samples());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CandidateSettings(-1, 0, 0, 0));
    assertTrue(e.getMessage().contains("samples") && e.getMessage().contains("finetuneLearningRate"), e.getMessage());
  }
}
