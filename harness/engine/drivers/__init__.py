"""Drivers: one per API a scenario drives (chat completions; Responses, with Conversations
operations), each a :class:`~harness.engine.drivers.base.Driver`."""
