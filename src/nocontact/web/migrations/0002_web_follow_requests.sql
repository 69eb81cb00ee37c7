-- web 0002: follow requests that wait.
--
-- When the engine answers a follow with a request that waits (``actor_sees``
-- ``sent``: what a private account shows, and so what a silent block shows),
-- the follower sees "Requested" and nothing more happens; the other person
-- never hears of it.

CREATE TABLE web_follow_requests (
    follower TEXT NOT NULL,
    followee TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (follower, followee)
);
