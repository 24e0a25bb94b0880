"""The futures the Tradovate simulator lists: products, maturities and contracts.

Two maturities per product are listed: the front month and the next one, counted from the
simulator's start date. Expiries are approximations of the exchange calendars (good
enough to pick the front month): equity index and currency futures at the third Friday
(Euro FX: the Monday before the third Wednesday), crude oil on the 20th of the month
before, gold and Treasury notes at the end of the month before (first notice day).
Ids are deterministic per seed.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from desktop_app.domain.types import InstrumentKind
from desktop_app.simulators.hours import CME_GLOBEX
from desktop_app.simulators.instruments import InstrumentSpec

MONTH_CODES = "FGHJKMNQUVXZ"  # January .. December
QUARTERLY = "HMUZ"


def _third_weekday(year: int, month: int, weekday: int) -> date:
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 14)


def _third_friday(year: int, month: int) -> date:
    return _third_weekday(year, month, calendar.FRIDAY)


def _euro_fx(year: int, month: int) -> date:
    return _third_weekday(year, month, calendar.WEDNESDAY) - timedelta(days=2)


def _crude(year: int, month: int) -> date:
    return date(year, month, 1) - timedelta(days=1) - timedelta(days=10)  # ~20th, month before


def _month_before_end(year: int, month: int) -> date:
    return date(year, month, 1) - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Product:
    product_id: int
    name: str  # "ES"
    description: str
    kind: InstrumentKind  # for the shared market's volatility and margin
    tick_size: Decimal
    value_per_point: Decimal  # USD per 1.0 of price per contract
    price: Decimal  # start mid
    months: str  # listed month codes
    expiry: Callable[[int, int], date]
    exchange_id: int
    contract_group_id: int

    @property
    def decimals(self) -> int:
        return max(0, -self.tick_size.normalize().as_tuple().exponent)  # type: ignore[operator]

    @property
    def tick_value(self) -> Decimal:
        return self.tick_size * self.value_per_point


@dataclass(frozen=True, slots=True)
class Maturity:
    maturity_id: int
    product: Product
    year: int
    month: int
    expiration: datetime
    is_front: bool

    @property
    def expiration_month(self) -> int:  # Tradovate's yyyymm, e.g. 202612
        return self.year * 100 + self.month


@dataclass(frozen=True, slots=True)
class Contract:
    contract_id: int
    name: str  # "ESZ6"
    maturity: Maturity

    @property
    def product(self) -> Product:
        return self.maturity.product


# (name, description, kind, tick, value per point, start price, months, expiry, exchange)
_CME, _NYMEX, _COMEX, _CBOT = 1, 2, 3, 4
# The Exchange and Currency entities products point at (exchangeId, currencyId). Their ids
# are this simulator's (UNCONFIRMED); the names are the exchanges' and ISO's.
EXCHANGES: dict[int, str] = {_CME: "CME", _NYMEX: "NYMEX", _COMEX: "COMEX", _CBOT: "CBOT"}
USD_ID = 1
CURRENCIES: dict[int, tuple[str, str]] = {USD_ID: ("USD", "$")}
_PRODUCTS: tuple[tuple[str, str, InstrumentKind, str, str, str, str,
                       Callable[[int, int], date], int], ...] = (
    ("ES", "E-Mini S&P 500", InstrumentKind.INDEX, "0.25", "50", "5200.00", QUARTERLY,
     _third_friday, _CME),
    ("MES", "Micro E-Mini S&P 500", InstrumentKind.INDEX, "0.25", "5", "5200.00", QUARTERLY,
     _third_friday, _CME),
    ("NQ", "E-Mini NASDAQ-100", InstrumentKind.INDEX, "0.25", "20", "18200.00", QUARTERLY,
     _third_friday, _CME),
    ("MNQ", "Micro E-Mini NASDAQ-100", InstrumentKind.INDEX, "0.25", "2", "18200.00", QUARTERLY,
     _third_friday, _CME),
    ("CL", "Crude Oil", InstrumentKind.COMMODITY, "0.01", "1000", "78.00", MONTH_CODES,
     _crude, _NYMEX),
    ("GC", "Gold", InstrumentKind.COMMODITY, "0.1", "100", "2350.0", "GJMQVZ",
     _month_before_end, _COMEX),
    ("6E", "Euro FX", InstrumentKind.CURRENCY, "0.00005", "125000", "1.08500", QUARTERLY,
     _euro_fx, _CME),
    ("ZN", "10-Year T-Note", InstrumentKind.OTHER, "0.015625", "1000", "110.000000",
     QUARTERLY, _month_before_end, _CBOT),
)
LISTED_PER_PRODUCT = 2


def _listed(product: Product, today: date, count: int) -> list[tuple[int, int]]:
    """The next ``count`` (year, month) maturities of ``product`` that expire after today."""
    found: list[tuple[int, int]] = []
    year, month = today.year, today.month
    while len(found) < count:
        if MONTH_CODES[month - 1] in product.months and product.expiry(year, month) > today:
            found.append((year, month))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return found


def contract_name(product: Product, year: int, month: int) -> str:
    return f"{product.name}{MONTH_CODES[month - 1]}{year % 10}"


class Catalog:
    """Products, maturities and contracts, looked up by id or (case-insensitive) name."""

    def __init__(self, seed: int, today: date) -> None:
        rng = random.Random(f"tradovate-catalog-{seed}")
        self.products: dict[int, Product] = {}
        self.maturities: dict[int, Maturity] = {}
        self.contracts: dict[int, Contract] = {}
        next_product = rng.randrange(1000, 3000)
        next_maturity = rng.randrange(40_000, 50_000)
        next_contract = rng.randrange(2_000_000, 4_000_000)
        for index, row in enumerate(_PRODUCTS):
            name, description, kind, tick, vpp, price, months, expiry, exchange = row
            product = Product(next_product + index, name, description, kind, Decimal(tick),
                              Decimal(vpp), Decimal(price), months, expiry, exchange,
                              next_product + 500 + index)
            self.products[product.product_id] = product
            for position, (year, month) in enumerate(
                _listed(product, today, LISTED_PER_PRODUCT)
            ):
                expires = product.expiry(year, month)
                maturity = Maturity(
                    next_maturity, product, year, month,
                    datetime(expires.year, expires.month, expires.day, 21, tzinfo=UTC),
                    is_front=position == 0,
                )
                next_maturity += rng.randrange(1, 9)
                self.maturities[maturity.maturity_id] = maturity
                contract = Contract(next_contract, contract_name(product, year, month), maturity)
                next_contract += rng.randrange(1, 400)
                self.contracts[contract.contract_id] = contract
        self._by_name = {c.name.upper(): c for c in self.contracts.values()}
        self._products_by_name = {p.name.upper(): p for p in self.products.values()}

    def contract(self, name_or_id: str | int) -> Contract | None:
        """By name (``ESZ6``, any case) or by id."""
        if isinstance(name_or_id, int):
            return self.contracts.get(name_or_id)
        text = name_or_id.strip()
        if text.isdigit():
            return self.contracts.get(int(text))
        return self._by_name.get(text.upper())

    def product(self, name: str) -> Product | None:
        return self._products_by_name.get(name.strip().upper())

    def suggest_products(self, text: str, limit: int) -> list[Product]:
        """Products whose name or description contains ``text``; name prefixes first."""
        needle = text.strip().upper()
        ranked = sorted(
            (not p.name.upper().startswith(needle), p.name, p)
            for p in self.products.values()
            if needle in p.name.upper() or needle in p.description.upper()
        )
        return [item[2] for item in ranked[:max(0, limit)]]

    def suggest(self, text: str, limit: int) -> list[Contract]:
        """Contracts whose name or product description contains ``text``; name prefixes first."""
        needle = text.strip().upper()
        ranked = []
        for contract in self.contracts.values():
            name = contract.name.upper()
            if name.startswith(needle):
                rank = 0
            elif needle in name:
                rank = 1
            elif needle in contract.product.description.upper():
                rank = 2
            else:
                continue
            ranked.append((rank, contract.product.name != needle, name, contract))
        ranked.sort(key=lambda item: item[:3])
        return [item[3] for item in ranked[:max(0, limit)]]

    def instrument_specs(self) -> list[InstrumentSpec]:
        """Each contract as an instrument of the shared market (one tick of spread)."""
        return [
            InstrumentSpec(
                symbol=c.name,
                name=f"{c.product.description} {c.maturity.expiration:%b %Y}",
                kind=c.product.kind,
                currency="USD",
                decimals=c.product.decimals,
                price=c.product.price,
                spread=c.product.tick_size,
                min_size=Decimal(1),
                size_decimals=0,
                lot_size=c.product.value_per_point,
                increment=c.product.tick_size,
                hours=CME_GLOBEX,
            )
            for c in self.contracts.values()
        ]
