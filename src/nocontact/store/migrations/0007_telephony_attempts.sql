-- 0007: held and sealed call and message attempts, what an owner opens later.
--
-- Only metadata: the content of a message and the media of a call stay with
-- the network. ``announced`` = 1 marks the attempt on which the caller was told
-- a space's message (once per space). Earlier versions made this table in the
-- SQLite file outside the numbered migrations (tracked in
-- telephony_migrations): IF NOT EXISTS keeps its rows.

CREATE TABLE IF NOT EXISTS telephony_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    caller TEXT NOT NULL,
    channel TEXT NOT NULL,
    outcome TEXT NOT NULL,
    sealed INTEGER NOT NULL,
    boundary TEXT NOT NULL,
    announced INTEGER NOT NULL,
    at REAL NOT NULL
);

CREATE INDEX IF NOT EXISTS telephony_attempts_by_owner ON telephony_attempts (owner, id);
CREATE INDEX IF NOT EXISTS telephony_attempts_told ON telephony_attempts (boundary, caller)
    WHERE announced = 1;

DROP TABLE IF EXISTS telephony_migrations;
