"""The HTTP service: the ``/v1`` API over one :class:`~nocontact.engine.Engine`.

This layer turns HTTP into engine calls and back; it holds no rules of its own.
It owns settings, API keys, RFC 9457 problems, metrics, the change feed over
server-sent events and the OpenAPI document. Nothing below it (core, store,
engine) imports it, and importing ``nocontact`` never imports the web stack.
"""
