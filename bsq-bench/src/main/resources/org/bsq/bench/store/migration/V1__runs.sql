-- The result store's first schema: one row per run, keyed by the SHA-256 of its resolved configuration.
-- Portable between SQLite and PostgreSQL (TEXT, BIGINT, DOUBLE PRECISION only); run_json holds the whole run.json.
CREATE TABLE runs (
  config_hash          TEXT PRIMARY KEY,
  strategy             TEXT NOT NULL,
  model                TEXT,
  dataset              TEXT,
  seed                 BIGINT NOT NULL,
  budget_scale         DOUBLE PRECISION NOT NULL,
  status               TEXT NOT NULL,
  avg_bits             DOUBLE PRECISION,
  top1                 DOUBLE PRECISION,
  top1_validation      DOUBLE PRECISION,
  top1_before_finetune DOUBLE PRECISION,
  top1_float           DOUBLE PRECISION,
  compression          DOUBLE PRECISION,
  cost_json            TEXT,
  started_at           TEXT,
  run_dir              TEXT,
  run_json             TEXT NOT NULL,
  indexed_at           TEXT NOT NULL
);
CREATE INDEX runs_strategy ON runs (strategy);
CREATE INDEX runs_model_dataset ON runs (model, dataset);
