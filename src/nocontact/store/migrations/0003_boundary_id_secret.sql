-- 0003: a secret of the database keys the ids of plain boundaries.
--
-- A plain boundary's id is a hash of what it is (owner, target, kind); keyed
-- with this secret, the same boundary has a different id in every database, so
-- an id seen in one place reveals nothing about who blocked whom elsewhere.
-- A database that already holds boundaries keeps the empty key: its plain
-- boundaries keep the ids they were given (and the index keeps them as edges).

CREATE TABLE secrets (
    name TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
);

INSERT INTO secrets (name, value)
SELECT 'boundary_ids', CASE WHEN EXISTS (SELECT 1 FROM boundaries) THEN x'' ELSE randomblob(32) END;
