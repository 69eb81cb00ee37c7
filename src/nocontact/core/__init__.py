"""The pure core: words, addresses, rules and the in-memory index.

Nothing in here does I/O or imports from the store, the service, the web app or
the CLI. Given the same data and the same time, every function answers the same.
"""
