"""What the ticket's size counts and what the trader acknowledges, for any broker.

An instrument lists the size units its broker takes (``Instrument.size_units``; Upvest:
an EUR amount or a quantity of shares): where there are several the ticket offers the
choice ("Amount (EUR)" / "Quantity"), the first being the default. An instrument whose
broker asks an acknowledgement before buying (``Instrument.buy_acknowledgement``, with
its text; Upvest's user-instrument fit) shows it as a checkbox: Buy waits until it is
ticked, and the order carries it (``OrderRequest.acknowledged``).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.types import Instrument, Side, SizeUnit

CENT = Decimal("0.01")
UNIT_LABELS = {SizeUnit.UNITS: "Quantity", SizeUnit.CONTRACTS: "Contracts"}


def sized_key(symbol: str, unit: SizeUnit) -> str:
    """The ticket's memory of a size is per unit (units keep the plain symbol)."""
    return symbol if unit is SizeUnit.UNITS else f"{symbol}\x1f{unit.value}"


def unit_label(unit: SizeUnit, currency: str) -> str:
    if unit is SizeUnit.CASH:
        return f"Amount ({currency})" if currency else "Amount"
    return UNIT_LABELS[unit]


class TicketSizing(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.instrument: Instrument | None = None
        self.unit = SizeUnit.UNITS
        self.acknowledged = False

    def set_instrument(self, instrument: Instrument | None) -> None:
        """A new instrument starts at its first unit, not acknowledged."""
        same = (instrument is not None and self.instrument is not None
                and instrument.symbol == self.instrument.symbol)
        self.instrument = instrument
        units = instrument.size_units if instrument is not None else (SizeUnit.UNITS,)
        if not same or self.unit not in units:
            self.unit = units[0]
            self.acknowledged = False
        self.changed.emit()

    # --- size units -------------------------------------------------------------------

    def units(self) -> list[tuple[SizeUnit, str]]:
        inst = self.instrument
        if inst is None:
            return []
        return [(u, unit_label(u, inst.currency)) for u in inst.size_units]

    @property
    def offers_choice(self) -> bool:
        return len(self.units()) > 1

    def set_unit(self, unit: SizeUnit) -> None:
        if unit != self.unit and unit in (u for u, _ in self.units()):
            self.unit = unit
            self.changed.emit()

    def label(self, default: str) -> str:
        """The size field's label: the chosen unit's where there is a choice."""
        if self.offers_choice and self.instrument is not None:
            return unit_label(self.unit, self.instrument.currency)
        return default

    def limits(self, instrument: Instrument) -> tuple[Decimal, Decimal]:
        """(minimum, step) of a size in the chosen unit: cents for an amount."""
        if self.unit is SizeUnit.CASH and SizeUnit.CASH in instrument.size_units:
            return CENT, CENT
        return instrument.min_size, instrument.size_step

    def sized(self, instrument: Instrument | None) -> Instrument | None:
        """``instrument`` as the ticket checks and describes the size in the chosen unit:
        an amount in cents, a quantity in the instrument's own minimum and step."""
        if instrument is None or len(instrument.size_units) < 2:
            return instrument
        low, step = self.limits(instrument)
        return replace(instrument, min_size=low, size_step=step, size_units=(self.unit,),
                       size_label=unit_label(self.unit, instrument.currency))

    @property
    def is_amount(self) -> bool:
        return self.unit is SizeUnit.CASH

    # --- acknowledgement ---------------------------------------------------------------

    @property
    def acknowledgement(self) -> str:
        return self.instrument.buy_acknowledgement if self.instrument is not None else ""

    def set_acknowledged(self, value: bool) -> None:
        if value != self.acknowledged:
            self.acknowledged = value
            self.changed.emit()

    def blocks(self, side: Side) -> str:
        """Why ``side`` cannot be sent yet ("" when it can)."""
        if side is Side.BUY and self.acknowledgement and not self.acknowledged:
            return "To buy, tick the acknowledgement (the broker asks for it)."
        return ""

    def request_fields(self) -> dict[str, Any]:
        inst = self.instrument
        return {
            "size_unit": self.unit,
            "currency": inst.currency if inst is not None and self.is_amount else "",
            "acknowledged": bool(self.acknowledgement) and self.acknowledged,
        }
