-- Sign-in sessions and form tokens of the web server, kept across restarts.
-- key is the SHA-256 of the session id or token, never the id itself.
CREATE TABLE web_sessions (
    key VARCHAR PRIMARY KEY,
    value BLOB NOT NULL,
    expires TIMESTAMPTZ
);
