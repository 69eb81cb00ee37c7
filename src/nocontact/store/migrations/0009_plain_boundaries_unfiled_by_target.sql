-- 0009: plain boundaries are not filed by target in the store.
--
-- The index files every plain boundary (person to person) by target in its
-- reverse rows, and nothing asks the store for a person's boundaries by
-- target; filing millions of plain rows there again made a bulk import write
-- two indexes in random order. Both target indexes now file only the rows
-- that are not plain (toward addresses and patterns, scoped, with an end...):
-- a plain row never has a target_person, so that index keeps every row it had.

DROP INDEX IF EXISTS boundaries_by_target;

CREATE INDEX boundaries_by_target ON boundaries (target) WHERE plain IS NOT 1;

DROP INDEX IF EXISTS boundaries_by_target_person;

CREATE INDEX boundaries_by_target_person ON boundaries (target_person)
    WHERE target_person IS NOT NULL;
