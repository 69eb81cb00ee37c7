"""The JSON shapes of ``/v1/lists``, ``/v1/import`` and ``/v1/export``."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from nocontact.core.model import Kind
from nocontact.engine_lists import ListInfo, Subscription

from .schemas import Id, Party, Strict

ListName = Annotated[str, Meta(min_length=1, max_length=100)]
Members = Annotated[list[Party], Meta(max_length=10_000)]
ListKind = Annotated[Kind, Meta(description="block or mute")]


class ListIn(Strict):
    curator: Id
    name: ListName
    id: Id | None = None
    members: Members = msgspec.field(default_factory=list)


class MembersIn(Strict):
    members: Annotated[list[Party], Meta(min_length=1, max_length=10_000)]


class SubscribeIn(Strict):
    owner: Id
    kind: ListKind = Kind.BLOCK


class ImportIn(Strict):
    #: The file's text. Formats: see ``format``; the body limit bounds its size.
    content: str
    format: (
        Annotated[
            str,
            Meta(pattern="^(mastodon-blocks|mastodon-mutes|mastodon-domains|vcard|numbers|json)$"),
        ]
        | None
    ) = None
    owner: Id | None = None
    mode: Annotated[str, Meta(pattern="^(merge|replace)$")] = "merge"
    kind: Annotated[str, Meta(max_length=16)] | None = None
    region: Annotated[str, Meta(min_length=2, max_length=2)] | None = None
    platform: Annotated[str, Meta(min_length=1, max_length=32)] = "mastodon"


class ListOut(msgspec.Struct):
    id: str
    name: str
    curator: str
    members: int
    deleted: bool
    #: False once deleted, or while the curator is suspended.
    applies: bool
    revision: int


class ListsOut(msgspec.Struct):
    lists: list[ListOut]
    revision: int


class MemberPage(msgspec.Struct):
    members: list[str]
    #: Pass as ``after`` for the next page; null on the last page.
    next: str | None
    revision: int


class SubscriptionOut(msgspec.Struct):
    id: str
    owner: str
    list: str
    list_name: str
    kind: Kind
    applies: bool
    revision: int


class SubscriptionsOut(msgspec.Struct):
    subscriptions: list[SubscriptionOut]
    revision: int


class ImportOut(msgspec.Struct):
    format: str
    rows: int
    revision: int


class ExportOut(msgspec.Struct):
    format: str
    #: The file's text: JSON Lines for ``json``, CSV for the Mastodon formats.
    content: str
    revision: int


def list_out(info: ListInfo) -> ListOut:
    return ListOut(info.id, info.name, info.curator, info.members, info.deleted, info.applies,
                   info.revision)  # fmt: skip


def subscription_out(sub: Subscription) -> SubscriptionOut:
    return SubscriptionOut(sub.id, sub.owner, sub.list_id, sub.list_name, sub.kind, sub.applies,
                           sub.revision)  # fmt: skip
