"""Capital.com's read-only calls on markets and history: searches, market details in
chunks, price bars, the market tree, watchlists, the activity and transaction history.

A base of ``CapitalClient``, which supplies the session, the budgets and ``get``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from desktop_app.net.limiter import Priority

MARKETS_PER_CALL = 50  # GET /markets?epics= takes at most 50 epics


def _wire_time(at: datetime) -> str:
    """Capital.com's history bounds: ``YYYY-MM-DDTHH:MM:SS`` in UTC."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def segment(value: str) -> str:
    """An id or epic as one URL path segment."""
    return quote(value, safe="")


class CapitalReads:
    async def get(
        self, path: str, *, params: Mapping[str, Any] | None = None,
        priority: Priority = Priority.VISIBLE,
    ) -> Any:
        raise NotImplementedError  # the client's own, with its session and budgets

    async def get_object(
        self, path: str, *, params: Mapping[str, Any] | None = None,
        priority: Priority = Priority.VISIBLE,
    ) -> dict[str, Any]:
        raise NotImplementedError

    # ------------------------------------------------------------------ markets

    async def search_markets(self, term: str) -> list[dict[str, Any]]:
        data = await self.get(
            "/markets", params={"searchTerm": term}, priority=Priority.INTERACTIVE
        )
        return list(data.get("markets") or [])

    async def market(
        self, epic: str, *, priority: Priority = Priority.VISIBLE
    ) -> dict[str, Any]:
        return await self.get_object(f"/markets/{segment(epic)}", priority=priority)

    async def markets(
        self, epics: Iterable[str], *, priority: Priority = Priority.VISIBLE
    ) -> list[dict[str, Any]]:
        wanted = list(dict.fromkeys(epics))
        details: list[dict[str, Any]] = []
        for start in range(0, len(wanted), MARKETS_PER_CALL):
            chunk = wanted[start : start + MARKETS_PER_CALL]
            data = await self.get(
                "/markets", params={"epics": ",".join(chunk)}, priority=priority
            )
            details.extend(data.get("marketDetails") or [])
        return details

    async def prices(
        self, epic: str, *, resolution: str, count: int, priority: Priority = Priority.VISIBLE
    ) -> list[dict[str, Any]]:
        """``GET /prices/{epic}``: the last ``count`` bars (1..1000) of ``resolution``."""
        data = await self.get(
            f"/prices/{segment(epic)}",
            params={"resolution": resolution, "max": max(1, min(count, 1000))},
            priority=priority,
        )
        return list(data.get("prices") or [])

    async def navigation(self, node_id: str | None = None) -> dict[str, Any]:
        if node_id is None:
            return await self.get_object("/marketnavigation", priority=Priority.INTERACTIVE)
        return await self.get_object(
            f"/marketnavigation/{segment(node_id)}", params={"limit": 500},
            priority=Priority.INTERACTIVE,
        )

    async def watchlists(self) -> list[dict[str, Any]]:
        data = await self.get("/watchlists", priority=Priority.INTERACTIVE)
        return list(data.get("watchlists") or [])

    async def watchlist(self, watchlist_id: str) -> list[dict[str, Any]]:
        data = await self.get(
            f"/watchlists/{segment(watchlist_id)}", priority=Priority.INTERACTIVE
        )
        return list(data.get("markets") or [])

    # ------------------------------------------------------------------ history

    async def activity(
        self, *, start: datetime, end: datetime, epic: str = "", fiql: str = "",
        priority: Priority = Priority.VISIBLE,
    ) -> list[dict[str, Any]]:
        """``GET /history/activity`` with details between two instants (UTC, at most a
        day apart; the broker's clock), filtered with FIQL: to one market when ``epic``
        is given, and by ``fiql`` (e.g. ``type==POSITION,WORKING_ORDER``)."""
        params: dict[str, str] = {
            "from": _wire_time(start),
            "to": _wire_time(end),
            "detailed": "true",
        }
        conditions = [c for c in (f"epic=={epic}" if epic else "", fiql) if c]
        if conditions:
            params["filter"] = ";".join(conditions)
        data = await self.get_object("/history/activity", params=params, priority=priority)
        return [a for a in data.get("activities") or [] if isinstance(a, dict)]

    async def transactions(
        self, *, start: datetime, end: datetime, kind: str = "",
        priority: Priority = Priority.VISIBLE,
    ) -> list[dict[str, Any]]:
        """``GET /history/transactions`` between two instants (no range limit; UTC, the
        broker's clock), of one ``transactionType`` when ``kind`` is given."""
        params = {"from": _wire_time(start), "to": _wire_time(end)}
        if kind:
            params["type"] = kind
        data = await self.get_object("/history/transactions", params=params,
                                     priority=priority)
        return [t for t in data.get("transactions") or [] if isinstance(t, dict)]
