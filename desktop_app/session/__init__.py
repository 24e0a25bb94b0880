"""Connections, the poller and journal wiring (asyncio, no Qt)."""
