"""Which column distributes each table on a sharded PostgreSQL (Citus), once.

Every table a person's hot statements touch is distributed by that person's
column, so each of those statements filters on it with equality and stays on
one shard (``tests/test_pg_distribution.py`` checks the statements the
PostgreSQL store really sends). ``None``: the table is not distributed; it
stays a plain table on the coordinator (the event log, the one global
sequence, and the small tables read at start or not on the hot path).

``python -m nocontact.store.distribution`` prints the statements an operator
runs on the coordinator after the migrations.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DISTRIBUTION", "conflict_key", "statements"]

DISTRIBUTION: Mapping[str, str | None] = {
    "persons": "id",
    "addresses": "uri",
    "boundaries": "owner",
    "contacts": "owner",
    "settings": "owner",
    "emergencies": "owner",
    "lists": "id",
    "list_members": "list_id",
    "list_subscriptions": "owner",
    "curator_suspensions": None,
    "events": None,
    "checkpoints": None,
    "secrets": None,
    "service_api_keys": None,
    "schema_version": None,
    "telephony_attempts": "owner",
    "web_accounts": "person",
    "web_settings": "person",
    "web_follows": "follower",
    "web_follow_requests": "follower",
    "web_posts": "author",
    "web_notifications": "recipient",
    "web_evidence": "owner",
    "web_calls": "callee",
    "web_removed_follows": None,
    "web_groups": None,
    "web_group_members": None,
    "web_messages": None,
    "web_deliveries": None,
    "web_profile_snapshots": None,
    "web_space_notices": None,
    "web_ended_boundaries": None,
    "web_state": None,
}


def conflict_key(table: str, key: tuple[str, ...]) -> tuple[str, ...]:
    """The columns an upsert on ``table`` names in ``ON CONFLICT``: the table's
    distribution column, then its ``key`` (Citus needs the column in the target,
    and the table's unique key is widened to match: migration 0008)."""
    column = DISTRIBUTION.get(table)
    if column is None or column in key:
        return key
    return (column, *key)


def statements() -> list[str]:
    """The Citus statements that distribute the tables (all columns are TEXT, so
    the tables are co-located: one person's rows of every table share a shard)."""
    return [
        f"SELECT create_distributed_table('{table}', '{column}');"
        for table, column in DISTRIBUTION.items()
        if column is not None
    ]


if __name__ == "__main__":
    print("\n".join(statements()))
