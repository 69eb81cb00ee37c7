-- 0004: shared lists (moderation lists), their members and subscriptions.
--
-- A list is stored once with its members; a subscription is one row per
-- owner and list. Nothing is ever expanded into per-subscriber boundaries.
-- A deleted list keeps its row (deleted = 1) so its subscribers still see the
-- subscription; a suspended curator's lists stop applying until reinstated.

CREATE TABLE lists (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    curator TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    created REAL NOT NULL
);

CREATE INDEX lists_by_curator ON lists (curator);

-- The primary key (list_id, member) lists a list's members; this is the reverse.
CREATE TABLE list_members (
    list_id TEXT NOT NULL,
    member TEXT NOT NULL,
    PRIMARY KEY (list_id, member)
);

CREATE INDEX list_members_by_member ON list_members (member);

CREATE TABLE list_subscriptions (
    id TEXT NOT NULL PRIMARY KEY,
    owner TEXT NOT NULL,
    list_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    created REAL NOT NULL
);

CREATE UNIQUE INDEX list_subscriptions_by_owner ON list_subscriptions (owner, list_id);
CREATE INDEX list_subscriptions_by_list ON list_subscriptions (list_id);

CREATE TABLE curator_suspensions (
    curator TEXT NOT NULL PRIMARY KEY,
    at REAL NOT NULL
);
