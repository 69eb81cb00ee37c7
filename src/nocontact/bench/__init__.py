"""``nocontact bench``: nocontact side by side with the approaches a team would otherwise use.

The modules, in the order a run uses them:

- ``graph``: the generated heavy-tailed graph and the query workload (numpy, fixed seed);
- ``baselines``: dict of sets, SQLite, PostgreSQL, Redis and numpy, one small interface;
- ``subject``: nocontact's engine behind that same interface;
- ``timing``: per-call latency percentiles and batch throughput;
- ``reference``: the correctness check of nocontact's answers at scale;
- ``runner``: one run, with progress bars;
- ``report``: the on-screen table, ``BENCHMARKS.md`` and the plot;
- ``product``: ``nocontact bench --product``, what a product pays: Python values in and out,
  p50 and p99 next to a dict of sets, heavy users, each figure in a fresh process on the
  store evicted from the page cache, import and cold open;
- ``http``: ``nocontact bench --http``, the service measured through real HTTP;
- ``workers``: ``nocontact bench --workers``, many workers on SQLite and PostgreSQL, and
  the longest write stall;
- ``stall``: the longest single write while the overlay is merged in the background;
- ``sections``: the named sections of ``BENCHMARKS.md``, so that ``nocontact bench`` and
  ``nocontact bench --http`` each replace only their own.

Nothing here is imported by the rest of the package; numpy is the only heavy import at the
top of these modules, and the optional libraries (matplotlib, psycopg, redis) are imported
where they are used.
"""

EXTRA = "pip install 'nocontact[bench]'"
