-- The service's API keys, in the store like every other table (only the
-- SHA-256 of each secret). IF NOT EXISTS: earlier versions made this table
-- outside the migrations.
CREATE TABLE IF NOT EXISTS service_api_keys (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    scope TEXT NOT NULL,
    hash BLOB NOT NULL,
    created REAL NOT NULL,
    revoked REAL
);
