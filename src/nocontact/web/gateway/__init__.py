"""The gateway: the only way content reaches a person, one surface per module.

Every read of the app's content tables is here, and every one passes the
engine first: ``decide`` for deliveries, profiles, presence, search and
notifications, ``visible`` for anything that carries people (posts, reposts,
quotes, replies). The feed is read at view time; a product that fans out on
write would ask ``audience`` here instead. Routes and templates get views built
here and never the rows; a test fails if anything outside this package
imports the content store or names a ``web_`` table.

- :mod:`.people`: accounts, settings, follows, profiles, presence, search
- :mod:`.messages`: direct messages and group chats
- :mod:`.phone`: calls, voicemail, SMS
- :mod:`.feed`: posts, replies, reposts, quotes, the feed
- :mod:`.notifications`: notifications, re-checked when shown
- :mod:`.boundaries`: the Boundaries page, evidence, warnings, space notices
- :mod:`.sync`: the engine's event log applied to the content
"""

from __future__ import annotations

from .base import Context
from .boundaries import Boundaries
from .feed import Feed
from .messages import Messages
from .notifications import Notifications
from .people import People
from .phone import Phone
from .sync import Sync


class Gateway:
    """Every surface over one context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.people = People(ctx)
        self.messages = Messages(ctx, self.people)
        self.phone = Phone(ctx, self.people)
        self.feed = Feed(ctx, self.people)
        self.notifications = Notifications(ctx, self.people, self.feed)
        self.boundaries = Boundaries(ctx, self.people, self.messages)
        self.sync = Sync(ctx, self.people, self.messages, self.phone)
