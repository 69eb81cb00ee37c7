-- 0006: the reference web app's content (accounts, follows, messages, posts,
-- notifications, calls, evidence), beside the engine's tables.
--
-- Every table is prefixed web_; the engine never reads them. Times are seconds
-- since the Unix epoch (UTC) as REAL. Who may see a row is never stored here:
-- it is decided by the engine when a row is written (delivery fates) or read
-- (feeds, profiles, presence), through the app's gateway.
--
-- Earlier versions made these tables in the SQLite file outside the numbered
-- migrations (tracked in web_schema): IF NOT EXISTS keeps their rows, and the
-- columns they added later are added when missing (the runner skips an ADD
-- COLUMN whose column is there).

CREATE TABLE IF NOT EXISTS web_accounts (
    person TEXT NOT NULL PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    bio TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    created REAL NOT NULL
);

-- Ordinary privacy settings: the ones a silent block must look like.
CREATE TABLE IF NOT EXISTS web_settings (
    person TEXT NOT NULL PRIMARY KEY,
    read_receipts INTEGER NOT NULL DEFAULT 1,
    show_presence INTEGER NOT NULL DEFAULT 1,
    share_location INTEGER NOT NULL DEFAULT 0,
    location TEXT NOT NULL DEFAULT '',
    private_account INTEGER NOT NULL DEFAULT 0,
    discoverable INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS web_follows (
    follower TEXT NOT NULL,
    followee TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (follower, followee)
);
CREATE INDEX IF NOT EXISTS web_follows_by_followee ON web_follows (followee);

-- A follow that waits: a private account approves its followers (approvable = 1);
-- a follow the engine answered with a request that waits (what a private
-- account shows, and so what a silent block shows) is never seen by the other
-- person (approvable = 0).
CREATE TABLE IF NOT EXISTS web_follow_requests (
    follower TEXT NOT NULL,
    followee TEXT NOT NULL,
    at REAL NOT NULL,
    approvable INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (follower, followee)
);

-- The follows a block removed, so that a lift with restore brings back exactly those.
CREATE TABLE IF NOT EXISTS web_removed_follows (
    boundary_id TEXT NOT NULL,
    follower TEXT NOT NULL,
    followee TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (boundary_id, follower, followee)
);

CREATE TABLE IF NOT EXISTS web_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS web_group_members (
    group_id INTEGER NOT NULL,
    person TEXT NOT NULL,
    status TEXT NOT NULL,  -- member | invited
    PRIMARY KEY (group_id, person)
);

-- A message as its sender wrote it, with what the sender was shown.
CREATE TABLE IF NOT EXISTS web_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender TEXT NOT NULL,
    conversation TEXT NOT NULL,  -- dm:A:B (sorted) or group:ID
    body TEXT NOT NULL,
    at REAL NOT NULL,
    sender_sees TEXT NOT NULL,
    until REAL
);
CREATE INDEX IF NOT EXISTS web_messages_by_conversation ON web_messages (conversation, id);

-- One row per recipient: the fate the engine decided, and when it was read.
CREATE TABLE IF NOT EXISTS web_deliveries (
    message_id INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    fate TEXT NOT NULL,  -- delivered | quiet | request | held | dropped | diverted | discarded
    at REAL,
    read_at REAL,
    PRIMARY KEY (message_id, recipient)
);
CREATE INDEX IF NOT EXISTS web_deliveries_by_recipient ON web_deliveries (recipient, fate);

-- Calls, voicemails and SMS to a number.
CREATE TABLE IF NOT EXISTS web_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,  -- call | sms | voicemail
    caller TEXT NOT NULL,
    callee TEXT NOT NULL,
    number TEXT NOT NULL,  -- the address dialled
    source TEXT NOT NULL DEFAULT '',  -- the number it came from, shown to whoever receives it
    body TEXT NOT NULL DEFAULT '',
    at REAL NOT NULL,
    caller_sees TEXT NOT NULL,
    fate TEXT NOT NULL,  -- ringing | quiet | held | dropped | diverted | discarded | delivered
    state TEXT NOT NULL DEFAULT '',  -- for calls: ringing | answered | declined | missed
    ends REAL
);
CREATE INDEX IF NOT EXISTS web_calls_by_callee ON web_calls (callee, id);
CREATE INDEX IF NOT EXISTS web_calls_by_caller ON web_calls (caller, id);

CREATE TABLE IF NOT EXISTS web_posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    at REAL NOT NULL,
    reply_to INTEGER,
    repost_of INTEGER,
    quote_of INTEGER,
    hidden_from_parent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS web_posts_by_author ON web_posts (author, id);
CREATE INDEX IF NOT EXISTS web_posts_by_reply ON web_posts (reply_to);

CREATE TABLE IF NOT EXISTS web_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,  -- follow | reply | repost | quote | message | call | mention
    post_id INTEGER,
    at REAL NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS web_notifications_by_recipient ON web_notifications (recipient, id);

-- What a blocked person tried to send or call, sealed for the owner.
CREATE TABLE IF NOT EXISTS web_evidence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    sender TEXT NOT NULL,
    channel TEXT NOT NULL,
    body TEXT NOT NULL,
    at REAL NOT NULL,
    opened_at REAL
);
CREATE INDEX IF NOT EXISTS web_evidence_by_owner ON web_evidence (owner, id);

-- The owner's profile as the target saw it when a block began.
CREATE TABLE IF NOT EXISTS web_profile_snapshots (
    owner TEXT NOT NULL,
    target TEXT NOT NULL,
    name TEXT NOT NULL,
    handle TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (owner, target)
);

-- A space is told to its target once.
CREATE TABLE IF NOT EXISTS web_space_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    owner TEXT NOT NULL,
    note TEXT,
    until REAL,
    shown INTEGER NOT NULL DEFAULT 0
);

-- Boundaries that ended, for the owner's list.
CREATE TABLE IF NOT EXISTS web_ended_boundaries (
    boundary_id TEXT NOT NULL PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    how TEXT NOT NULL,  -- lifted | expired
    at REAL NOT NULL
);

-- Where the app has read the engine's event log to.
CREATE TABLE IF NOT EXISTS web_state (
    key TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- For databases made by earlier versions at an older step of their own schema.
ALTER TABLE web_settings ADD COLUMN private_account INTEGER NOT NULL DEFAULT 0;
ALTER TABLE web_settings ADD COLUMN discoverable INTEGER NOT NULL DEFAULT 1;
ALTER TABLE web_calls ADD COLUMN source TEXT NOT NULL DEFAULT '';

DROP TABLE IF EXISTS web_schema;
