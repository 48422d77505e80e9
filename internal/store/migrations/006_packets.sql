-- Council packets as published: the rendered document frozen on a date, so
-- its numbers do not change when the data does.
CREATE SEQUENCE IF NOT EXISTS packet_ids START 1;
CREATE TABLE IF NOT EXISTS packets (
    id           BIGINT NOT NULL DEFAULT nextval('packet_ids'),
    title        VARCHAR NOT NULL,
    scope        VARCHAR NOT NULL,
    as_of        DATE NOT NULL,
    published_by VARCHAR,
    published_at TIMESTAMPTZ NOT NULL,
    html         VARCHAR NOT NULL
);
