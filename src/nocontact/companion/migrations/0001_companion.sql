-- The companion's own tables, beside the engine's in the same file.
-- Content is only ever ciphertext: person, kind and id are the whole clear part.

-- Each person's data key, wrapped under a key derived from their passphrase.
CREATE TABLE companion_keys (
    person  TEXT PRIMARY KEY,
    salt    BLOB NOT NULL,
    kdf     TEXT NOT NULL,  -- argon2id parameters, as JSON
    wrapped BLOB NOT NULL   -- nonce || AES-256-GCM(key-encryption key, data key)
) WITHOUT ROWID;

-- Every letter, check-in, urge, plan and answer: one sealed JSON document each.
CREATE TABLE companion_records (
    person TEXT NOT NULL,
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    body   BLOB NOT NULL,   -- nonce || AES-256-GCM(data key, JSON), person/kind/id bound
    PRIMARY KEY (person, kind, id)
) WITHOUT ROWID;
