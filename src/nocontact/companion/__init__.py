"""The companion: for the person on the other side of a boundary.

What belongs here: the companion's encryption (:mod:`.crypto`), its own store of
ciphertext (:mod:`.store`, its own tables and migrations in the same SQLite
file, never in the engine's event log), the pure logic of its tools (progress
that survives a slip, crisis language, rumination, tapering reminders, the
check-in chart), and the facade the web pages call (:mod:`.tools`). The web
pages themselves live in :mod:`.pages`.

What does not: anything about the other person beyond what the person can
already see. The companion never reads presence, profiles or boundaries held
toward the person; the only boundary it writes or reads is the person's own
``pledge``, through the engine's public API.
"""
