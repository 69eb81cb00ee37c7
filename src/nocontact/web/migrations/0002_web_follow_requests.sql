-- web 0002: follow requests that wait, and private accounts.
--
-- A private account approves its followers: a follow becomes a request the
-- account's owner may approve (``approvable`` = 1). When the engine answers a
-- follow with a request that waits (``actor_sees`` ``sent``: what a private
-- account shows, and so what a silent block shows), the follower sees
-- "Requested" and the other person never hears of it (``approvable`` = 0).
-- ``discoverable`` = 0 keeps an account out of search and suggestions.

CREATE TABLE web_follow_requests (
    follower TEXT NOT NULL,
    followee TEXT NOT NULL,
    at REAL NOT NULL,
    approvable INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (follower, followee)
);

ALTER TABLE web_settings ADD COLUMN private_account INTEGER NOT NULL DEFAULT 0;
ALTER TABLE web_settings ADD COLUMN discoverable INTEGER NOT NULL DEFAULT 1;
