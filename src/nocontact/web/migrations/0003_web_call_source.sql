-- web 0003: the number a call or text came from, shown to whoever receives it.

ALTER TABLE web_calls ADD COLUMN source TEXT NOT NULL DEFAULT '';
