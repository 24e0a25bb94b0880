"""The broker's own funding inputs, for every broker: the rules' extra ``fields``
(choices, texts, private ones), the ``destinations`` a transfer may go to, and the facts
to see before sending (the rules' ``facts`` and the amount ``conversions``, such as what
an LWork deposit will cost in the chosen pay currency, as it is typed).

Private values (bank details) are remembered per connection in the keyring through the
hub, filled in next time and shown masked; they go to the broker as
``FundingRequest.private_details`` and never into the journal, a log or a message.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop_app.domain.money import format_money
from desktop_app.domain.types import AccountRef, Conversion, FormField, FundingRules
from desktop_app.viewmodels.tasks import TaskRunner

if TYPE_CHECKING:
    from desktop_app.session.hub import Hub


def _key(account: AccountRef | None, rules: FundingRules | None) -> tuple[object, ...]:
    """What the inputs depend on: another account or other fields start afresh."""
    if rules is None:
        return (account,)
    return (account, rules.kind, rules.fields, rules.destinations)


class FundingForm(QObject):
    changed = Signal()  # fields, destinations or facts differ: rebuild the inputs
    valuesChanged = Signal()  # values set from here (defaults, remembered ones): show them

    def __init__(self, hub: Hub, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hub = hub
        self.tasks = tasks
        self.account: AccountRef | None = None
        self.rules: FundingRules | None = None
        self.values: dict[str, str] = {}
        self.destination: AccountRef | None = None
        self._key: tuple[object, ...] = (None,)

    # ------------------------------------------------------------------ what is asked

    @property
    def fields(self) -> tuple[FormField, ...]:
        return self.rules.fields if self.rules is not None else ()

    @property
    def private_names(self) -> list[str]:
        return [f.name for f in self.fields if f.private]

    def destinations(self) -> list[tuple[AccountRef, str]]:
        """(account, what the trader calls it) for each account money may go to."""
        found = []
        for ref in self.rules.destinations if self.rules is not None else ():
            account = self.hub.account(ref)
            label = ref.account_id
            if account is not None:
                label = f"{account.name} ({ref.account_id})" if account.name not in (
                    "", ref.account_id) else ref.account_id
                if account.kind:
                    label += f" · {account.kind}"
            found.append((ref, label))
        return found

    @property
    def wants_destination(self) -> bool:
        return bool(self.rules is not None and self.rules.destinations)

    def set_rules(self, account: AccountRef | None, rules: FundingRules | None) -> None:
        """The rules of the chosen account and kind; typed values stay while the same
        fields are asked of the same account."""
        key = _key(account, rules)
        same = key == self._key
        self.account, self.rules = account, rules
        if same:
            self.changed.emit()  # facts may have moved (a new free margin)
            return
        self._key = key
        self.values = {f.name: f.default for f in self.fields}
        destinations = rules.destinations if rules is not None else ()
        self.destination = destinations[0] if destinations else None
        self.changed.emit()
        self.valuesChanged.emit()
        if account is not None and self.private_names:
            self._fill_remembered(account, key)

    def _fill_remembered(self, account: AccountRef, key: tuple[object, ...]) -> None:
        async def fill() -> None:
            found = await self.hub.remembered_details(account.connection,
                                                      self.private_names)
            if self._key != key or not found:
                return  # the trader moved on meanwhile
            for name, value in found.items():
                if not self.values.get(name):  # never over what was typed meanwhile
                    self.values[name] = value
            self.valuesChanged.emit()

        self.tasks.start(fill())

    # ------------------------------------------------------------------ input

    def set_value(self, name: str, text: str) -> None:
        if self.values.get(name) != text:
            self.values[name] = text
            self.changed.emit()

    def set_destination(self, ref: AccountRef | None) -> None:
        if ref != self.destination:
            self.destination = ref
            self.changed.emit()

    def error(self) -> str:
        """What is missing or wrong ('' when the form may be sent)."""
        for f in self.fields:
            value = self.values.get(f.name, "").strip()
            if not value and not f.optional:
                verb = "Choose" if f.choices else "Enter"
                return f"{verb} the {f.label[0].lower()}{f.label[1:]}."
            if f.choices and value and value not in {v for v, _ in f.choices}:
                return f"Choose the {f.label.lower()} from the list."
            if f.max_len and len(value) > f.max_len:
                return f"The {f.label.lower()} can be at most {f.max_len} characters."
        if self.wants_destination:
            allowed = self.rules.destinations if self.rules else ()
            if self.destination is None or self.destination not in allowed:
                return "Choose the account to transfer to."
        return ""

    def details(self) -> dict[str, str]:
        return {f.name: self.values.get(f.name, "").strip() for f in self.fields
                if not f.private and self.values.get(f.name, "").strip()}

    def private_details(self) -> dict[str, str]:
        return {f.name: self.values.get(f.name, "").strip() for f in self.fields
                if f.private and self.values.get(f.name, "").strip()}

    def remember(self) -> None:
        """Keep the private values for next time (after the broker took a request)."""
        if self.account is None or not self.private_names:
            return
        values = {name: self.values.get(name, "").strip() for name in self.private_names}
        self.tasks.start(self.hub.remember_details(self.account.connection, values))

    # ------------------------------------------------------------------ what is shown

    def conversion(self) -> Conversion | None:
        rules = self.rules
        if rules is None:
            return None
        return next((c for c in rules.conversions if c.applies(self.values)), None)

    def converted(self, amount: Decimal | None) -> str:
        """The amount as it will be paid ("Payable: 712.34 CNY"), '' when not known."""
        conversion = self.conversion()
        if conversion is None or amount is None or amount <= 0:
            return ""
        places = Decimal(1).scaleb(-conversion.places)
        value = (amount * conversion.rate).quantize(places, rounding=ROUND_HALF_UP)
        return f"{conversion.label}: {format_money(value, conversion.currency, conversion.places)}"

    def facts_text(self, amount: Decimal | None) -> str:
        rules = self.rules
        if rules is None:
            return ""
        lines = [f"{f.label}: {f.value}" + (f" ({f.hint})" if f.hint else "")
                 for f in rules.facts]
        payable = self.converted(amount)
        if payable:
            lines.append(payable)
        elif rules.conversions and self.conversion() is not None:
            conversion = self.conversion()
            assert conversion is not None
            lines.append(f"{conversion.label}: enter an amount (1 {rules.currency} = "
                         f"{conversion.rate} {conversion.currency})")
        return "\n".join(lines)
