-- The run ledger: one row per run of a scheduled source (a drop folder, a
-- URL or a file), whatever started it: the schedule, a catch-up at start-up
-- or a person ("run now"). A row is committed as 'running' first.
CREATE SEQUENCE IF NOT EXISTS run_ids START 1;
CREATE TABLE IF NOT EXISTS runs (
    id          BIGINT NOT NULL DEFAULT nextval('run_ids'),
    source      VARCHAR NOT NULL,
    run_trigger VARCHAR NOT NULL,
    user_name   VARCHAR,
    started     TIMESTAMPTZ NOT NULL,
    finished    TIMESTAMPTZ,
    status      VARCHAR NOT NULL,
    files_seen  BIGINT DEFAULT 0,
    imported    BIGINT DEFAULT 0,
    duplicates  BIGINT DEFAULT 0,
    failed      BIGINT DEFAULT 0,
    waiting     BIGINT DEFAULT 0,
    attempts    BIGINT DEFAULT 0,
    rows_loaded BIGINT DEFAULT 0,
    error       VARCHAR,
    import_ids  VARCHAR,
    notes       VARCHAR
);
-- What a source last took in: a URL's validators for conditional GET, a
-- file's size, modification time and hash.
CREATE TABLE IF NOT EXISTS source_state (
    source        VARCHAR NOT NULL,
    etag          VARCHAR,
    last_modified VARCHAR,
    size          BIGINT,
    mtime         TIMESTAMPTZ,
    sha256        VARCHAR,
    updated       TIMESTAMPTZ NOT NULL
);
-- The last status seen of each indicator, so that a change (to off track or
-- overdue, and back) raises one alert.
CREATE TABLE IF NOT EXISTS indicator_status (
    indicator VARCHAR NOT NULL,
    status    VARCHAR NOT NULL,
    overdue   BOOLEAN NOT NULL,
    changed   TIMESTAMPTZ NOT NULL,
    checked   TIMESTAMPTZ NOT NULL
);
