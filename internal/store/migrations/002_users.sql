-- Accounts, API tokens and the audit log.
CREATE SEQUENCE IF NOT EXISTS user_ids START 1;
CREATE TABLE IF NOT EXISTS users (
    id              BIGINT NOT NULL DEFAULT nextval('user_ids'),
    name            VARCHAR NOT NULL,
    role            VARCHAR NOT NULL,
    password_hash   VARCHAR,
    disabled        BOOLEAN NOT NULL DEFAULT false,
    created         TIMESTAMPTZ NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    last_sign_in    TIMESTAMPTZ
);
CREATE SEQUENCE IF NOT EXISTS token_ids START 1;
CREATE TABLE IF NOT EXISTS tokens (
    id        BIGINT NOT NULL DEFAULT nextval('token_ids'),
    user_id   BIGINT NOT NULL,
    hash      VARCHAR NOT NULL,
    role      VARCHAR NOT NULL,
    created   TIMESTAMPTZ NOT NULL,
    last_used TIMESTAMPTZ,
    revoked   BOOLEAN NOT NULL DEFAULT false
);
CREATE SEQUENCE IF NOT EXISTS audit_ids START 1;
CREATE TABLE IF NOT EXISTS audit (
    id      BIGINT NOT NULL DEFAULT nextval('audit_ids'),
    occurred TIMESTAMPTZ NOT NULL,
    actor   VARCHAR,
    action  VARCHAR NOT NULL,
    detail  VARCHAR,
    address VARCHAR
);
