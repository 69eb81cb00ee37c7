-- 0001: the first schema: every table of store/base.py TABLES, and the event log.
--
-- Portable SQL: the same text, with small dialect changes, creates the
-- PostgreSQL schema. Times are seconds since the Unix epoch (UTC) as REAL;
-- ids, addresses and enum names are TEXT. The runner applies this file in one
-- transaction and then sets the schema version.

CREATE TABLE persons (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT,
    created REAL NOT NULL
);

CREATE TABLE addresses (
    uri TEXT NOT NULL PRIMARY KEY,
    person TEXT
);

CREATE INDEX addresses_by_person ON addresses (person);

CREATE TABLE boundaries (
    id TEXT NOT NULL PRIMARY KEY,
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
    revision INTEGER NOT NULL
);

-- Both directions: whom an owner holds boundaries toward, and who holds
-- boundaries toward an address or a person.
CREATE INDEX boundaries_by_owner ON boundaries (owner);
CREATE INDEX boundaries_by_target ON boundaries (target);
CREATE INDEX boundaries_by_target_person ON boundaries (target_person);

-- The primary key (owner, contact) is the by-owner index; this is the reverse.
CREATE TABLE contacts (
    owner TEXT NOT NULL,
    contact TEXT NOT NULL,
    PRIMARY KEY (owner, contact)
);

CREATE INDEX contacts_by_contact ON contacts (contact);

CREATE TABLE settings (
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (owner, key)
);

CREATE TABLE emergencies (
    owner TEXT NOT NULL PRIMARY KEY,
    at REAL NOT NULL
);

-- The append-only event log. Every event of one commit shares its revision;
-- seq orders them within it.
CREATE TABLE events (
    revision INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    at REAL NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL, -- JSON
    PRIMARY KEY (revision, seq)
);
