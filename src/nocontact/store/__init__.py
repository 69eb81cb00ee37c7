"""Durable stores: the truth from which the in-memory index is rebuilt.

A store persists rows and the event log; it raises domain errors only, never
HTTP ones, and reads no settings of its own.
"""

from .base import Change, Delete, NewEvent, Put, Snapshot, Store

__all__ = ["Change", "Delete", "NewEvent", "Put", "Snapshot", "Store"]
