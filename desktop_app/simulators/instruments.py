"""Instrument catalogue of the shared market, under Capital.com's real epics.

Prices are round figures near the market levels of 2024; sizes, decimals and spreads are
close to what Capital.com's demo shows. Distances are in percent of the price, as in
Capital.com's ``dealingRules``. Trading hours per asset class are in ``hours``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from desktop_app.domain.types import InstrumentKind
from desktop_app.simulators import hours
from desktop_app.simulators.hours import ALWAYS, TradingHours

TRADEABLE = "TRADEABLE"
CLOSED = "CLOSED"

# Daily volatility of the random walk per asset class (fraction of the price).
DAILY_VOL: dict[InstrumentKind, float] = {
    InstrumentKind.CURRENCY: 0.006,
    InstrumentKind.COMMODITY: 0.015,
    InstrumentKind.INDEX: 0.012,
    InstrumentKind.SHARE: 0.02,
    InstrumentKind.CRYPTO: 0.035,
}


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    symbol: str
    name: str
    kind: InstrumentKind
    currency: str
    decimals: int
    price: Decimal
    spread: Decimal
    min_size: Decimal
    size_decimals: int
    lot_size: Decimal = Decimal(1)
    # A real (non-CFD) stock: no leverage, and stop loss / take profit are refused.
    real_stock: bool = False
    min_stop_percent: Decimal = Decimal("0.1")
    max_stop_percent: Decimal = Decimal(75)
    hours: TradingHours = ALWAYS
    # Futures move in ticks coarser than their decimals (ES: 0.25 at 2 decimals); None
    # means any price with ``decimals`` places.
    increment: Decimal | None = None

    @property
    def tick(self) -> Decimal:
        return Decimal(1).scaleb(-self.decimals)

    @property
    def size_step(self) -> Decimal:
        return Decimal(1).scaleb(-self.size_decimals)

    def price_of(self, value: Decimal) -> Decimal:
        return value.quantize(self.tick)

    def on_grid(self, value: Decimal) -> Decimal:
        """``value`` rounded to the nearest tradable price (half to even)."""
        if self.increment is None:
            return value.quantize(self.tick, rounding=ROUND_HALF_EVEN)
        steps = (value / self.increment).to_integral_value(rounding=ROUND_HALF_EVEN)
        return (steps * self.increment).quantize(self.tick)


_FX_HOURS = hours.FX
_US_SHARES = hours.US_SHARES
_US_INDEX_HOURS = hours.CME_CFD
_METAL_HOURS = hours.CME_CFD
_ROUND_THE_CLOCK = hours.ALWAYS


def _spec(
    symbol: str,
    name: str,
    kind: InstrumentKind,
    currency: str,
    price: str,
    spread: str,
    min_size: str,
    size_decimals: int,
    trading_hours: TradingHours,
    *,
    real: bool = False,
) -> InstrumentSpec:
    decimals = len(price.partition(".")[2])
    return InstrumentSpec(
        symbol, name, kind, currency, decimals, Decimal(price), Decimal(spread),
        Decimal(min_size), size_decimals, real_stock=real, hours=trading_hours,
    )


_C, _M, _I, _S, _X = (
    InstrumentKind.CURRENCY,
    InstrumentKind.COMMODITY,
    InstrumentKind.INDEX,
    InstrumentKind.SHARE,
    InstrumentKind.CRYPTO,
)

DEFAULT_INSTRUMENTS: tuple[InstrumentSpec, ...] = (
    _spec("EURUSD", "EUR/USD", _C, "USD", "1.08500", "0.00006", "100", 0, _FX_HOURS),
    _spec("GBPUSD", "GBP/USD", _C, "USD", "1.27000", "0.00009", "100", 0, _FX_HOURS),
    _spec("USDJPY", "USD/JPY", _C, "JPY", "151.500", "0.008", "100", 0, _FX_HOURS),
    _spec("AUDUSD", "AUD/USD", _C, "USD", "0.66000", "0.00008", "100", 0, _FX_HOURS),
    _spec("GOLD", "Gold", _M, "USD", "2350.00", "0.30", "0.01", 2, _METAL_HOURS),
    _spec("SILVER", "Silver", _M, "USD", "28.000", "0.020", "0.1", 1, _METAL_HOURS),
    _spec("OIL_CRUDE", "Crude Oil", _M, "USD", "78.00", "0.03", "1", 1, _METAL_HOURS),
    _spec("NATURALGAS", "Natural Gas", _M, "USD", "2.800", "0.006", "0.1", 1, _METAL_HOURS),
    _spec("US500", "US 500", _I, "USD", "5200.0", "0.6", "0.1", 1, _US_INDEX_HOURS),
    _spec("US100", "US Tech 100", _I, "USD", "18200.0", "1.8", "0.1", 1, _US_INDEX_HOURS),
    _spec("UK100", "UK 100", _I, "GBP", "8100.0", "1.0", "0.1", 1, hours.UK_INDEX),
    _spec("DE40", "Germany 40", _I, "EUR", "18300.0", "1.4", "0.1", 1, hours.DE_INDEX),
    _spec("AAPL", "Apple Inc", _S, "USD", "190.00", "0.06", "1", 2, _US_SHARES, real=True),
    _spec("TSLA", "Tesla Inc", _S, "USD", "175.00", "0.10", "1", 2, _US_SHARES, real=True),
    _spec("MSFT", "Microsoft Corp", _S, "USD", "420.00", "0.12", "1", 2, _US_SHARES, real=True),
    _spec("AMZN", "Amazon.com Inc", _S, "USD", "180.00", "0.08", "1", 2, _US_SHARES, real=True),
    # A share traded as a CFD: leveraged, stop loss and take profit allowed.
    _spec("NVDA", "NVIDIA Corp", _S, "USD", "900.00", "0.40", "1", 2, _US_SHARES),
    _spec("BTCUSD", "Bitcoin/USD", _X, "USD", "65000.00", "60.00", "0.001", 3, _ROUND_THE_CLOCK),
    _spec("ETHUSD", "Ethereum/USD", _X, "USD", "3400.00", "3.00", "0.01", 2, _ROUND_THE_CLOCK),
)
