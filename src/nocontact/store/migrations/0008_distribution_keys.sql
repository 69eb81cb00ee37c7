-- 0008: every unique key of a table that a sharded store distributes includes
-- the table's distribution column (store/distribution.py), as Citus requires.
--
-- The primary keys become (owner, id), (author, id) and so on. Ids stay unique
-- in practice: boundary ids are keyed hashes, subscription ids are random, the
-- others are generated. On PostgreSQL each key change is one ALTER (the
-- identity columns keep generating ids), with a plain index on id for the
-- lookups by id alone. On SQLite a primary key changes by a table rebuild, and the
-- tables whose id is the rowid (INTEGER PRIMARY KEY AUTOINCREMENT) keep it:
-- nothing distributes a SQLite file, and only a rowid is generated there.
--
-- web_accounts.handle is no longer unique on its own: a table distributed by
-- person cannot check it across persons. The engine checks it: every handle is
-- the address acct:chirp:HANDLE, whose key (addresses.uri, distributed by uri)
-- is written before the account.
--
-- A statement marked "only on" runs on that dialect alone.

-- only on sqlite
CREATE TABLE boundaries_0008 (
    id TEXT NOT NULL,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    scope TEXT NOT NULL,
    channels TEXT,
    starts REAL NOT NULL,
    ends REAL,
    disclosure TEXT NOT NULL,
    note TEXT,
    keep_evidence INTEGER NOT NULL,
    on_end TEXT NOT NULL,
    target_person TEXT,
    revision INTEGER NOT NULL,
    plain INTEGER,
    PRIMARY KEY (owner, id)
);

-- only on sqlite
INSERT INTO boundaries_0008 (id, owner, kind, target, scope, channels, starts, ends,
    disclosure, note, keep_evidence, on_end, target_person, revision, plain)
SELECT id, owner, kind, target, scope, channels, starts, ends,
    disclosure, note, keep_evidence, on_end, target_person, revision, plain
FROM boundaries;

-- only on sqlite
DROP TABLE boundaries;

-- only on sqlite
ALTER TABLE boundaries_0008 RENAME TO boundaries;

-- only on sqlite
CREATE INDEX boundaries_by_target ON boundaries (target);

-- only on sqlite
CREATE INDEX boundaries_by_target_person ON boundaries (target_person);

-- only on sqlite
CREATE INDEX boundaries_not_plain ON boundaries (id) WHERE plain IS NOT 1;

-- only on postgresql
ALTER TABLE boundaries DROP CONSTRAINT boundaries_pkey;

-- only on postgresql
ALTER TABLE boundaries ADD CONSTRAINT boundaries_pkey PRIMARY KEY (owner, id);

-- The new key leads with owner: it is the by-owner index.
DROP INDEX IF EXISTS boundaries_by_owner;

-- A boundary read or lifted by id alone.
CREATE INDEX boundaries_by_id ON boundaries (id);

-- only on sqlite
CREATE TABLE list_subscriptions_0008 (
    id TEXT NOT NULL,
    owner TEXT NOT NULL,
    list_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (owner, id)
);

-- only on sqlite
INSERT INTO list_subscriptions_0008 (id, owner, list_id, kind, created)
SELECT id, owner, list_id, kind, created FROM list_subscriptions;

-- only on sqlite
DROP TABLE list_subscriptions;

-- only on sqlite
ALTER TABLE list_subscriptions_0008 RENAME TO list_subscriptions;

-- only on sqlite
CREATE UNIQUE INDEX list_subscriptions_by_owner ON list_subscriptions (owner, list_id);

-- only on sqlite
CREATE INDEX list_subscriptions_by_list ON list_subscriptions (list_id);

-- only on postgresql
ALTER TABLE list_subscriptions DROP CONSTRAINT list_subscriptions_pkey;

-- only on postgresql
ALTER TABLE list_subscriptions ADD CONSTRAINT list_subscriptions_pkey
    PRIMARY KEY (owner, id);

-- only on sqlite
CREATE TABLE web_accounts_0008 (
    person TEXT NOT NULL PRIMARY KEY,
    handle TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    created REAL NOT NULL
);

-- only on sqlite
INSERT INTO web_accounts_0008 (person, handle, bio, password_hash, created)
SELECT person, handle, bio, password_hash, created FROM web_accounts;

-- only on sqlite
DROP TABLE web_accounts;

-- only on sqlite
ALTER TABLE web_accounts_0008 RENAME TO web_accounts;

-- only on postgresql
ALTER TABLE web_accounts DROP CONSTRAINT web_accounts_handle_key;

-- An account found by its handle (signing in).
CREATE INDEX web_accounts_by_handle ON web_accounts (handle);

-- only on postgresql
ALTER TABLE telephony_attempts DROP CONSTRAINT telephony_attempts_pkey;

-- only on postgresql
ALTER TABLE telephony_attempts ADD CONSTRAINT telephony_attempts_pkey PRIMARY KEY (owner, id);

-- only on postgresql
ALTER TABLE web_posts DROP CONSTRAINT web_posts_pkey;

-- only on postgresql
ALTER TABLE web_posts ADD CONSTRAINT web_posts_pkey PRIMARY KEY (author, id);

-- only on postgresql
CREATE INDEX web_posts_by_id ON web_posts (id);

-- only on postgresql
ALTER TABLE web_notifications DROP CONSTRAINT web_notifications_pkey;

-- only on postgresql
ALTER TABLE web_notifications ADD CONSTRAINT web_notifications_pkey PRIMARY KEY (recipient, id);

-- only on postgresql
CREATE INDEX web_notifications_by_id ON web_notifications (id);

-- only on postgresql
ALTER TABLE web_evidence DROP CONSTRAINT web_evidence_pkey;

-- only on postgresql
ALTER TABLE web_evidence ADD CONSTRAINT web_evidence_pkey PRIMARY KEY (owner, id);

-- only on postgresql
CREATE INDEX web_evidence_by_id ON web_evidence (id);

-- only on postgresql
ALTER TABLE web_calls DROP CONSTRAINT web_calls_pkey;

-- only on postgresql
ALTER TABLE web_calls ADD CONSTRAINT web_calls_pkey PRIMARY KEY (callee, id);

-- only on postgresql
CREATE INDEX web_calls_by_id ON web_calls (id);
