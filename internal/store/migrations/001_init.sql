-- The imports ledger: one row per file, URL fetch or form entry taken in.
-- A row is committed as 'running' before its data transaction starts.
CREATE SEQUENCE IF NOT EXISTS import_ids START 1;
CREATE TABLE IF NOT EXISTS imports (
    id            BIGINT NOT NULL DEFAULT nextval('import_ids'),
    datasets      VARCHAR NOT NULL,
    profile       VARCHAR,
    file_name     VARCHAR,
    sha256        VARCHAR,
    size          BIGINT,
    source        VARCHAR NOT NULL,
    user_name     VARCHAR,
    started       TIMESTAMPTZ NOT NULL,
    finished      TIMESTAMPTZ,
    status        VARCHAR NOT NULL,
    rows_read     BIGINT DEFAULT 0,
    rows_loaded   BIGINT DEFAULT 0,
    rows_skipped  BIGINT DEFAULT 0,
    rows_rejected BIGINT DEFAULT 0,
    rows_superseded BIGINT DEFAULT 0,
    error_count   BIGINT DEFAULT 0,
    errors        VARCHAR,
    report        VARCHAR,
    sample        BOOLEAN DEFAULT false,
    archive_path  VARCHAR,
    message       VARCHAR
);
