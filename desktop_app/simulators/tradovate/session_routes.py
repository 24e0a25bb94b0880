"""/productSession: each product's CME session times (the OpenAPI spec's ProductSession).

Times are Chicago wall-clock ``{"hour", "minute"}`` (``TradeTime``). UNCONFIRMED what each
field means exactly; read here as: ``openTime`` order entry opens (pre-open),
``startTime`` trading starts, ``stopTime`` trading stops, ``closeTime`` the session closes,
``sundayOpenTime`` the week's order entry opens. One session per product; its id is the
product's id.
"""

from __future__ import annotations

from typing import Any

from desktop_app.simulators.tradovate.catalog import Product
from desktop_app.simulators.tradovate.families import family
from desktop_app.simulators.tradovate.pipeline import Ctx


def _time(hour: int, minute: int) -> dict[str, int]:
    return {"hour": hour, "minute": minute}


def product_session(_ctx: Ctx, product: Product) -> dict[str, Any]:
    # CME Globex (see simulators.hours.CME_GLOBEX): 17:00-16:00 Chicago, pre-open from
    # 16:45 on weekdays and from 16:00 on Sunday.
    return {
        "id": product.product_id,
        "openTime": _time(16, 45),
        "startTime": _time(17, 0),
        "stopTime": _time(16, 0),
        "closeTime": _time(16, 0),
        "sundayOpenTime": _time(16, 0),
    }


ENDPOINTS = family("productsession", lambda ctx: ctx.catalog.products.values(),
                   lambda p: p.product_id, product_session, master=lambda p: p.product_id)
