"""The demo world of ``nocontact serve --demo``: six people and their history.

Everything is made through the gateway, so the engine decides every follow,
message, call and repost of the seed just as it would a person's. Each demo
person signs in by being picked; their passphrase (``demo-sam``) is used
behind the scenes so that the sign-in hooks still run.
"""

from __future__ import annotations

from nocontact.core.errors import UnknownPerson

from .gateway import Gateway
from .gateway.people import Settings

#: (person, name, phone number); the chirp handle is the person id.
PEOPLE: tuple[tuple[str, str, str], ...] = (
    ("alex", "Alex", "+1 415 555 0100"),
    ("sam", "Sam", "+1 415 555 0123"),
    ("jo", "Jo", "+1 415 555 0142"),
    ("kim", "Kim", "+1 415 555 0161"),
    ("lee", "Lee", "+44 20 7946 0018"),
    ("rin", "Rin", "+1 415 555 0177"),
)

BIOS = {
    "alex": "Gardener, slow runner, terrible at replying.",
    "sam": "Bikes, bread, bad puns.",
    "jo": "Climbing on Saturdays. Ask me about knots.",
    "kim": "Photographs of doors.",
    "lee": "London. Tea. Too many podcasts.",
    "rin": "New in town: say hi.",
}

POSTS: tuple[tuple[str, str], ...] = (
    ("alex", "The tomatoes finally came up. Patience is a vegetable."),
    ("sam", "Sourdough attempt number four: it has a face now."),
    ("jo", "Climbing gym at 10 on Saturday, who's in?"),
    ("kim", "Found a blue door in the old town. Photos soon."),
    ("lee", "Rain again. Kettle on."),
    ("rin", "First week in the city. Recommendations welcome!"),
    ("alex", "Morning run by the bay, fog everywhere."),
)


def demo_passphrase(person: str) -> str:
    return f"demo-{person}"


def seed(gateway: Gateway) -> None:
    """Accounts, follows, posts and their replies, reposts and quotes, chats and calls."""
    g = gateway
    engine = g.ctx.engine
    g.sync.run()  # boundaries seeded before the world: their events come first
    for person, name, number in PEOPLE:
        try:
            engine.person(person)
            known = True
        except UnknownPerson:
            known = False
        if known:
            g.people.adopt(person, person, demo_passphrase(person), number)
        else:
            g.people.create_account(person, name, person, demo_passphrase(person), [number])
        g.people.set_bio(person, BIOS[person])
        g.people.save_settings(person, Settings(location="Oakland" if person == "alex" else ""))
    everyone = [p for p, _, _ in PEOPLE]
    for a in everyone:
        for b in everyone:
            if a != b:
                g.people.follow(a, b)
    posts = {}
    for i, (author, body) in enumerate(POSTS):
        posts[i] = g.feed.post(author, body, ago=(len(POSTS) - i) * 2400.0)
    g.feed.respond("rin", "reply", posts[1], "A face is a good sign. Name it.")
    g.feed.respond("kim", "repost", posts[0])
    g.feed.respond("jo", "quote", posts[6], "Alex runs in any weather, it's inspiring.")
    g.feed.respond("sam", "reply", posts[2], "I'm in!")
    g.feed.respond("lee", "quote", posts[3], "Doors of the world, unite.")
    group = g.messages.create_group("kim", "Saturday climbing", ["alex", "jo", "sam", "rin"])
    for person in ("alex", "jo", "sam"):
        g.messages.join(person, group)  # Rin has not answered the invitation yet
    g.messages.send_group("jo", group, "Gym at 10, bring water.")
    g.messages.send_group("kim", group, "I'll bring the chalk.")
    g.messages.send("kim", "rin", "Welcome to the neighbourhood!")
    g.messages.send("rin", "kim", "Thank you! Coffee sometime?")
    g.messages.send("alex", "kim", "Lunch on Friday?")
    g.messages.send("kim", "alex", "Yes please.")
    g.messages.send("jo", "sam", "See you Saturday.")
    for person in ("kim", "alex", "sam"):
        g.messages.mark_read(person, f"dm:{min(person, 'rin')}:{max(person, 'rin')}")
    numbers = {p: g.phone.parse(n) or "" for p, _, n in PEOPLE}
    g.phone.answer("rin", g.phone.place("kim", numbers["kim"], numbers["rin"], "call"), True)
    g.phone.place("rin", numbers["rin"], numbers["jo"], "call")
    g.phone.place("sam", numbers["sam"], numbers["rin"], "sms", "Running 5 min late!")


def seed_file(path: str, *, region: str = "US") -> None:
    """Seed the demo world into a store file (the API's demo people are there already)."""
    from nocontact.engine import Engine, EngineConfig

    from .gateway.base import Context
    from .live import Live
    from .store import ContentStore

    with Engine.open(path, config=EngineConfig(region=region)) as engine:
        seed(Gateway(Context(lambda: engine, ContentStore(engine.store), Live())))
