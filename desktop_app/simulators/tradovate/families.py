"""Tradovate's generic entity reads: ``/x/list``, ``/x/item?id``, ``/x/items?ids``,
``/x/deps?masterid`` and ``/x/ldeps?masterids``, for any entity kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from desktop_app.simulators.tradovate.pipeline import Ctx, Endpoint, Reply, not_found

T = TypeVar("T")


def family(
    name: str,
    entities: Callable[[Ctx], Iterable[T]],
    ident: Callable[[T], int],
    render: Callable[[Ctx, T], dict[str, Any]],
    master: Callable[[T], int] | None = None,
) -> list[Endpoint]:
    """Endpoints under ``/{name}`` (lower case) reading ``entities(ctx)``."""

    def by_id(ctx: Ctx) -> dict[int, T]:
        return {ident(entity): entity for entity in entities(ctx)}

    def list_(ctx: Ctx) -> Reply:
        return Reply([render(ctx, entity) for entity in entities(ctx)])

    def item(ctx: Ctx) -> Reply:
        entity = by_id(ctx).get(ctx.query_int("id"))
        if entity is None:
            raise not_found(name)
        return Reply(render(ctx, entity))

    def items(ctx: Ctx) -> Reply:
        known = by_id(ctx)
        return Reply([render(ctx, known[i]) for i in ctx.query_ints("ids") if i in known])

    endpoints = [
        Endpoint("GET", f"/{name}/list", list_),
        Endpoint("GET", f"/{name}/item", item),
        Endpoint("GET", f"/{name}/items", items),
    ]
    if master is not None:
        owner = master

        def deps(ctx: Ctx) -> Reply:
            wanted = ctx.query_int("masterid")
            return Reply([render(ctx, e) for e in entities(ctx) if owner(e) == wanted])

        def ldeps(ctx: Ctx) -> Reply:
            wanted = set(ctx.query_ints("masterids"))
            return Reply([render(ctx, e) for e in entities(ctx) if owner(e) in wanted])

        endpoints += [Endpoint("GET", f"/{name}/deps", deps),
                      Endpoint("GET", f"/{name}/ldeps", ldeps)]
    return endpoints
