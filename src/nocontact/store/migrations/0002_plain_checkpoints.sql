-- 0002: plain boundaries and index checkpoints, for a fast cold start.
--
-- A plain boundary (person to person, everywhere, every channel, no end, no
-- note) lives in the index as an integer edge. A checkpoint is the index's
-- edges as of one revision; when it matches the newest revision at open, the
-- plain rows need not be read again, only the others.

ALTER TABLE boundaries ADD COLUMN plain INTEGER;

-- The rows a checkpoint does not hold, found without reading the plain ones.
CREATE INDEX boundaries_not_plain ON boundaries (id) WHERE plain IS NOT 1;

CREATE TABLE checkpoints (
    name TEXT NOT NULL PRIMARY KEY,
    revision INTEGER NOT NULL,
    data BLOB NOT NULL
);
