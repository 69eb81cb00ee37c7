"""``/v1/lists`` (shared lists and subscriptions), ``/v1/import`` and ``/v1/export``.

Handlers hold no rules, as in :mod:`.routes`: validation is the schemas' and
the engine's. An import is all or nothing; its bad rows come back in the
problem's ``rows``, each with its line number.
"""

from __future__ import annotations

from nocontact.interop.apply import export_file, import_file

from . import list_schemas as ls
from . import schemas as s
from .routes import MIN_REVISION
from .routing import Call, Param, Route

LIST = "/v1/lists/{id}"


async def create_list(call: Call) -> ls.ListOut:
    body: ls.ListIn = call.body
    info = await call.service.write(
        lambda e: e.create_list(body.curator, body.name, list_id=body.id, members=body.members)
    )
    return ls.list_out(info)


async def get_list(call: Call) -> ls.ListOut:
    engine = await call.service.fresh(call.query.get("min_revision"))
    return ls.list_out(engine.shared_list(call.path["id"]))


async def delete_list(call: Call) -> s.RevisionOut:
    list_id = call.path["id"]
    return s.RevisionOut(await call.service.write(lambda e: e.delete_list(list_id)))


async def list_members(call: Call) -> ls.MemberPage:
    engine = await call.service.fresh(call.query.get("min_revision"))
    revision = engine.revision
    found = engine.list_members(call.path["id"])
    after: str | None = call.query.get("after")
    if after is not None:
        found = [m for m in found if m > after]
    limit: int = call.query["limit"]
    page = found[:limit]
    return ls.MemberPage(page, page[-1] if len(found) > limit else None, revision)


async def add_members(call: Call) -> s.RevisionOut:
    body: ls.MembersIn = call.body
    list_id = call.path["id"]
    return s.RevisionOut(
        await call.service.write(lambda e: e.add_list_members(list_id, body.members))
    )


async def remove_member(call: Call) -> s.RevisionOut:
    list_id, member = call.path["id"], call.path["member"]
    return s.RevisionOut(
        await call.service.write(lambda e: e.remove_list_members(list_id, [member]))
    )


async def subscribe(call: Call) -> ls.SubscriptionOut:
    body: ls.SubscribeIn = call.body
    list_id = call.path["id"]
    sub = await call.service.write(lambda e: e.subscribe(body.owner, list_id, body.kind))
    return ls.subscription_out(sub)


async def unsubscribe(call: Call) -> s.RevisionOut:
    list_id, owner = call.path["id"], call.path["owner"]
    return s.RevisionOut(await call.service.write(lambda e: e.unsubscribe(owner, list_id)))


async def subscriptions(call: Call) -> ls.SubscriptionsOut:
    engine = await call.service.fresh(call.query.get("min_revision"))
    revision = engine.revision
    found = engine.subscriptions(call.path["id"])
    return ls.SubscriptionsOut([ls.subscription_out(x) for x in found], revision)


async def curated(call: Call) -> ls.ListsOut:
    engine = await call.service.fresh(call.query.get("min_revision"))
    revision = engine.revision
    return ls.ListsOut([ls.list_out(i) for i in engine.lists_of(call.path["id"])], revision)


async def suspend(call: Call) -> s.RevisionOut:
    curator = call.path["id"]
    return s.RevisionOut(await call.service.write(lambda e: e.suspend_curator(curator, True)))


async def reinstate(call: Call) -> s.RevisionOut:
    curator = call.path["id"]
    return s.RevisionOut(await call.service.write(lambda e: e.suspend_curator(curator, False)))


async def import_content(call: Call) -> ls.ImportOut:
    b: ls.ImportIn = call.body
    result = await call.service.write(
        lambda e: import_file(
            e,
            b.content,
            fmt=b.format,
            owner=b.owner,
            mode=b.mode,
            kind=b.kind,
            region=b.region,
            platform=b.platform,
        )
    )
    return ls.ImportOut(result.format, result.rows, result.revision)


async def export_content(call: Call) -> ls.ExportOut:
    engine = await call.service.fresh(call.query.get("min_revision"))
    fmt: str = call.query["format"]
    owner: str | None = call.query.get("owner")
    revision = engine.revision
    return ls.ExportOut(fmt, export_file(engine, fmt, owner=owner), revision)


LIST_ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/lists", "createList",
          "Create a shared list (a curator's list of persons and addresses)",
          create_list, ls.ListOut, body=ls.ListIn, status=201),
    Route("GET", LIST, "getList", "A shared list: its name, curator, size, and whether it applies",
          get_list, ls.ListOut, query=(MIN_REVISION,)),
    Route("DELETE", LIST, "deleteList",
          "Delete a list: it stops applying; subscribers still see the subscription",
          delete_list, s.RevisionOut),
    Route("GET", LIST + "/members", "listMembers", "The list's members, a page at a time",
          list_members, ls.MemberPage, query=(
              Param("limit", int, "Most members on one page.", 1000, 1, 10_000),
              Param("after", str, "The `next` of the previous page."),
              MIN_REVISION)),
    Route("POST", LIST + "/members", "addListMembers",
          "Add members: every subscriber's next decision covers them, with no per-subscriber write",
          add_members, s.RevisionOut, body=ls.MembersIn),
    Route("DELETE", LIST + "/members/{member}", "removeListMember", "Remove one member",
          remove_member, s.RevisionOut),
    Route("POST", LIST + "/subscriptions", "subscribe",
          "The owner blocks (or mutes) everyone on the list, as it changes",
          subscribe, ls.SubscriptionOut, body=ls.SubscribeIn, status=201),
    Route("DELETE", LIST + "/subscriptions/{owner}", "unsubscribe",
          "End the owner's subscription (also to a list that no longer applies)",
          unsubscribe, s.RevisionOut),
    Route("GET", "/v1/persons/{id}/subscriptions", "listSubscriptions",
          "The person's list subscriptions, including to lists that no longer apply",
          subscriptions, ls.SubscriptionsOut, query=(MIN_REVISION,)),
    Route("GET", "/v1/persons/{id}/lists", "listCuratedLists",
          "The lists the person curates, deleted ones included",
          curated, ls.ListsOut, query=(MIN_REVISION,)),
    Route("PUT", "/v1/curators/{id}/suspension", "suspendCurator",
          "Suspend a curator: every list they keep stops applying", suspend, s.RevisionOut),
    Route("DELETE", "/v1/curators/{id}/suspension", "reinstateCurator",
          "Reinstate a curator: their lists apply again", reinstate, s.RevisionOut),
    Route("POST", "/v1/import", "importFile",
          "Import a file, all or nothing: bad rows come back in the problem's `rows`",
          import_content, ls.ImportOut, body=ls.ImportIn),
    Route("GET", "/v1/export", "exportFile",
          "Export everything (or one owner's) as nocontact's JSON Lines or Mastodon CSV",
          export_content, ls.ExportOut, query=(
              Param("format", str, "json, mastodon-blocks, mastodon-mutes or mastodon-domains.",
                    "json"),
              Param("owner", str, "Only what this owner set (required for Mastodon formats)."),
              MIN_REVISION)),
)  # fmt: skip
