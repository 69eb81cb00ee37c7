"""The reference web app: both sides of every boundary, server-rendered.

Starlette and Jinja2 (autoescape on), served by ``nocontact serve`` beside
``/v1`` (:mod:`.serve` sends each path to its app) and sharing its engine. The
app keeps its own content (accounts, follows, messages, calls, posts,
notifications, evidence) in ``web_`` tables of the engine's store (the SQLite
file or PostgreSQL; the store's migration 0006 makes them), and talks to the
engine only through its public API.

The rule that holds it together: content reaches a person only through the
gateway (:mod:`.gateway`), which asks the engine (``decide``, ``visible``,
``audience``) before anything is shown or delivered. Routes never touch the
content store; ``tests/web/test_gateway_rule.py`` fails if one does.

Layout::

    app.py        create_app: the Starlette app, security headers, sessions
    serve.py      the dispatcher that ``nocontact serve`` runs (/v1 vs the rest)
    pages.py      render, form (checks CSRF), person (the signed-in person)
    sessions.py   server-side sessions and the sign-in / sign-out hooks
    store.py      the content store: plain SQL on the engine's store (gateway only)
    gateway/      one module per surface: people, messages, phone, feed, ...
    routes/       one module per surface: thin handlers over the gateway
    templates/    Jinja2 pages extending base.html; macros.html for forms
    static/       app.css, app.js (enhancement only), print.css
    demo.py       the ``--demo`` world

How to add a page
    Write a handler in a module of ``routes/`` (or a new module added to
    ``routes/__init__.py``): ``me = person(request)`` for a signed-in page,
    read views from ``web(request).gateway``, and ``return render(request,
    "page.html", {...})``. The template extends ``base.html`` and fills
    ``{% block main %}``; put what should update live inside an element with
    ``id="live"``. The nav is in ``base.html``; the companion's entry is the
    ``companion_nav`` block (``WebConfig.companion_nav``) and its pages may
    fill ``{% block companion %}`` or extend ``companion.html``.

How to add a form
    ``data = await form(request)`` is the only way to read a POST: it checks
    the CSRF token (put ``{{ csrf_field(csrf) }}`` from ``macros.html`` in the
    form). Validate every field; on a bad value render the same page with
    ``errors={"field": "message"}`` and status 400 (``error(errors, name)``
    and ``invalid(errors, name)`` in ``macros.html`` show it by the field);
    change nothing stored. On success, ``return back(url)`` (303).

How to add a table
    Add ``migrations/000N_web_what.sql`` (tables named ``web_...``), then
    read and write it from a gateway module only; decide with the engine
    before anything in it reaches a person. An extension with its own
    secrets (the companion) keeps them out of the engine's event log.

How to add a browser test
    In ``tests/web/``, take the ``two_people`` fixture (two browser contexts
    signed in as two demo people on a live server with a movable clock) or
    ``server`` and ``browser`` for more control; ``shot(page, name)`` writes
    ``docs/screenshots/name.png`` and ``assert_accessible(page)`` runs axe.
    Move time with ``server.clock.advance(seconds)``: the clock exists only
    in tests (``create_app`` takes the engine; production never passes one).

Extensions (the companion)
    ``create_app(..., hooks=Hooks(), routes=[...])`` and, for ``nocontact
    serve``, ``Dispatch(api, config, hooks, routes)`` in :mod:`.serve`: the
    routes are matched before the app's own (so ``/companion`` can be
    replaced); templates may extend ``base.html``.

Sign-in hooks
    ``create_app(..., hooks=Hooks())``; ``hooks.on_sign_in(cb)`` calls
    ``cb(session, person, passphrase)`` after each sign-in (demo people too);
    ``on_sign_out`` and ``on_password_change`` likewise. ``session.data``
    holds per-session secrets in server memory only.
"""
