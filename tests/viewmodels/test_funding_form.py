"""The funding form of any broker: its extra fields, the destination, the converted
amount as it is typed (rounded half up), what is missing, and private values kept in the
keyring (a real hub without connections)."""

from __future__ import annotations

from decimal import Decimal

from desktop_app.domain.types import (
    AccountRef,
    Conversion,
    Fact,
    FormField,
    FundingKind,
    FundingRules,
)
from desktop_app.session.hub import Hub
from desktop_app.storage.journal import Journal
from desktop_app.storage.secrets import SecretStore
from desktop_app.storage.settings import Settings
from desktop_app.viewmodels.funding_form import FundingForm
from desktop_app.viewmodels.tasks import TaskRunner
from tests.viewmodels.sandbox import wait_for

ACCOUNT = AccountRef("lw-1", "lwork", "2090001")
OTHER = AccountRef("lw-1", "lwork", "2090002")
DEPOSIT = FundingRules(
    FundingKind.DEPOSIT, "USD", Decimal(10), Decimal(50_000),
    fields=(FormField("payCurrency", "Pay in", choices=(("USD", "USD"), ("CNY", "CNY")),
                      default="USD"),),
    facts=(Fact("Rate CNY", "1 USD = 7.1234 CNY"),),
    conversions=(Conversion("Payable", "USD", Decimal(1), "payCurrency", "USD"),
                 Conversion("Payable", "CNY", Decimal("7.1234"), "payCurrency", "CNY")),
)
WITHDRAW = FundingRules(
    FundingKind.WITHDRAW, "USD", Decimal("0.01"), Decimal(1000),
    fields=(FormField("bankAccountNumber", "Bank account number", private=True, max_len=8),
            FormField("SWIFT", "SWIFT code", optional=True, private=True)),
)
TRANSFER = FundingRules(FundingKind.TRANSFER, "USD", Decimal("0.01"), Decimal(1000),
                        destinations=(OTHER,))


def make_form() -> tuple[Hub, FundingForm, TaskRunner]:
    hub = Hub(settings=Settings.load(), secrets=SecretStore(), journal=Journal())
    tasks = TaskRunner()
    return hub, FundingForm(hub, tasks), tasks


def test_choices_conversions_and_what_is_missing(qrun) -> None:
    async def scenario() -> None:
        hub, form, tasks = make_form()
        form.set_rules(ACCOUNT, DEPOSIT)
        assert form.values == {"payCurrency": "USD"} and form.error() == ""
        assert form.converted(Decimal(100)) == "Payable: 100.00 USD"
        assert form.converted(Decimal("0.125")) == "Payable: 0.13 USD"  # half up
        form.set_value("payCurrency", "CNY")
        assert form.converted(Decimal(100)) == "Payable: 712.34 CNY"
        assert form.converted(None) == "" and form.converted(Decimal(0)) == ""
        assert "Rate CNY: 1 USD = 7.1234 CNY" in form.facts_text(Decimal(1))
        assert form.details() == {"payCurrency": "CNY"} and form.private_details() == {}
        form.set_value("payCurrency", "JPY")
        assert form.error() == "Choose the pay in from the list."
        form.set_rules(ACCOUNT, TRANSFER)
        assert form.wants_destination and form.destination == OTHER
        assert form.destinations() == [(OTHER, OTHER.account_id)]
        form.set_destination(None)
        assert form.error() == "Choose the account to transfer to."
        await tasks.aclose()
        hub.journal.close()

    qrun(scenario())


def test_private_values_are_kept_and_filled_in_masked_next_time(qrun) -> None:
    async def scenario() -> None:
        hub, form, tasks = make_form()
        form.set_rules(ACCOUNT, WITHDRAW)
        assert form.error() == "Enter the bank account number."
        form.set_value("bankAccountNumber", "123456789")
        assert form.error() == "The bank account number can be at most 8 characters."
        form.set_value("bankAccountNumber", "12345678")
        assert form.error() == ""  # SWIFT is optional
        assert form.details() == {} and form.private_details() == {
            "bankAccountNumber": "12345678"}
        form.remember()
        await wait_for(lambda: hub.secrets.get("lw-1", "funding.bankAccountNumber"),
                       what="kept")
        form.set_rules(OTHER, TRANSFER)  # another account and kind: nothing carries over
        assert "bankAccountNumber" not in form.values
        filled: list[int] = []
        form.valuesChanged.connect(lambda: filled.append(1))
        form.set_rules(ACCOUNT, WITHDRAW)
        await wait_for(lambda: form.values.get("bankAccountNumber") == "12345678",
                       what="filled in from the keyring")
        assert filled
        # The same fields of the same account: what was typed stays.
        form.set_value("SWIFT", "ICBKCNBJ")
        form.set_rules(ACCOUNT, WITHDRAW)
        assert form.values["SWIFT"] == "ICBKCNBJ"
        await tasks.aclose()
        hub.journal.close()

    qrun(scenario())
