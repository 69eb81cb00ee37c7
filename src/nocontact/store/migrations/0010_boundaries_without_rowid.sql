-- 0010: on SQLite the boundaries are filed by their key alone (WITHOUT ROWID).
--
-- A rowid table kept every boundary twice: the row under a hidden rowid, and
-- (owner, id) again in the key's own index. Filed by the key, a row is written
-- once, and a bulk import of millions writes a quarter fewer bytes; the index by
-- id then files (id, owner) instead of (id, rowid). Nothing reads a boundary's
-- rowid. PostgreSQL keeps its table: a heap with a key index is its way.

-- only on sqlite
CREATE TABLE boundaries_0010 (
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
) WITHOUT ROWID;

-- only on sqlite
INSERT INTO boundaries_0010 (id, owner, kind, target, scope, channels, starts, ends,
    disclosure, note, keep_evidence, on_end, target_person, revision, plain)
SELECT id, owner, kind, target, scope, channels, starts, ends,
    disclosure, note, keep_evidence, on_end, target_person, revision, plain
FROM boundaries ORDER BY owner, id;

-- only on sqlite
DROP TABLE boundaries;

-- only on sqlite
ALTER TABLE boundaries_0010 RENAME TO boundaries;

-- only on sqlite
CREATE INDEX boundaries_by_id ON boundaries (id);

-- only on sqlite
CREATE INDEX boundaries_not_plain ON boundaries (id) WHERE plain IS NOT 1;

-- only on sqlite
CREATE INDEX boundaries_by_target ON boundaries (target) WHERE plain IS NOT 1;

-- only on sqlite
CREATE INDEX boundaries_by_target_person ON boundaries (target_person)
    WHERE target_person IS NOT NULL;
