"""The journal codec reads any input or raises JournalDamaged: never KeyError, TypeError,
RecursionError, OverflowError, InvalidOperation (issue 9). Hypothesis over arbitrary
JSON, the codec's own shapes with every field perturbed, bodies nested 5,000 deep and
numbers like 10**62."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.domain.types import (
    AccountRef,
    FundingKind,
    FundingRequest,
    FundingResult,
    OrderRequest,
    OrderResult,
    OrderStatus,
    Side,
)
from desktop_app.storage import codec
from desktop_app.storage.errors import JournalDamaged

READERS = (
    codec.order_request_from_dict,
    codec.order_result_from_dict,
    codec.funding_request_from_dict,
    codec.funding_result_from_dict,
    codec.account_from_dict,
)
ACC = AccountRef("c", "capital", "A")
VALID = (
    codec.order_request_to_dict(OrderRequest(ACC, "EURUSD", Side.BUY, Decimal("1.5"))),
    codec.order_result_to_dict(OrderResult(OrderStatus.ACCEPTED, "ref", ("D1",))),
    codec.funding_request_to_dict(FundingRequest(ACC, FundingKind.DEMO_TOPUP, Decimal(100))),
    codec.funding_result_to_dict(FundingResult(OrderStatus.ACCEPTED, "r", "ok", Decimal(5))),
    codec.account_to_dict(ACC),
)
FUZZ = settings(max_examples=300, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

HUGE = (10**62, -(10**62), 10**400, 1e308, float("inf"), float("nan"), -0.0)
scalars = (
    st.none() | st.booleans() | st.integers() | st.sampled_from(HUGE)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
    | st.sampled_from(["", "NaN", "Infinity", "1e999999999", "1e30000000", "0x10", "٣",
                       "2024-13-40T99:99:99", "9999-12-31T23:59:59-14:00", "BUY", "accepted"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=6),
    max_leaves=30,
)


def _read_or_damaged(reader, data) -> None:
    with contextlib.suppress(JournalDamaged):
        reader(data)


def nested(depth: int, leaf: object = 1) -> object:
    value: object = leaf
    for _ in range(depth):
        value = [value]
    return value


def nested_dict(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = {"account": value, "details": value}
    return value


@FUZZ
@given(data=json_values)
def test_any_json_value_reads_or_raises_journal_damaged(data) -> None:
    for reader in READERS:
        _read_or_damaged(reader, data)


@FUZZ
@given(data=st.data(), value=json_values, drop=st.booleans())
def test_each_field_of_a_valid_record_perturbed(data, value, drop) -> None:
    which = data.draw(st.integers(0, len(VALID) - 1))
    record = dict(VALID[which])
    target = data.draw(st.sampled_from(sorted(record)))
    if drop:
        del record[target]
    else:
        record[target] = value
    _read_or_damaged(READERS[which], record)


@FUZZ
@given(text=st.text(max_size=200) | st.binary(max_size=200).map(
    lambda b: b.decode("latin-1")))
def test_any_column_text_loads_or_raises_journal_damaged(text) -> None:
    with contextlib.suppress(JournalDamaged):
        assert isinstance(codec.loads_object(text), dict)


@pytest.mark.parametrize("depth", [100, 1_000, 5_000])
def test_bodies_nested_deep(depth) -> None:
    for reader in READERS:
        for body in (nested(depth), nested_dict(depth), {"account": nested(depth)},
                     {**VALID[0], "details": nested(depth)}, {**VALID[2], "details":
                     {"k": nested(depth)}}):
            _read_or_damaged(reader, body)
    with pytest.raises(JournalDamaged):  # a list is never a record, however deep
        codec.loads_object("[" * depth + "]" * depth)
    deep_object = '{"a":' * depth + "1" + "}" * depth
    if depth >= 5_000:
        with pytest.raises(JournalDamaged):
            codec.loads_object(deep_object)
    else:
        _read_or_damaged(codec.loads_object, deep_object)


@pytest.mark.parametrize("number", [*HUGE, "1e999999999", "-1e-999999999", 10**4300 - 1])
def test_huge_and_odd_numbers(number) -> None:
    for field in ("size", "level"):
        _read_or_damaged(codec.order_request_from_dict, {**VALID[0], field: number})
    for field in ("level", "size", "profit_loss"):
        _read_or_damaged(codec.order_result_from_dict, {**VALID[1], field: number})
    _read_or_damaged(codec.funding_request_from_dict, {**VALID[2], "amount": number})
    _read_or_damaged(codec.order_request_from_dict, {**VALID[0], "good_till": number})
    with pytest.raises(JournalDamaged):
        codec.from_iso(number)


def test_valid_records_still_read_exactly() -> None:
    for reader, record in zip(READERS, VALID, strict=True):
        value = reader(json.loads(json.dumps(record)))
        assert value is not None
    assert codec.order_request_from_dict(VALID[0]).size == Decimal("1.5")
    with pytest.raises(JournalDamaged):  # NaN is no amount
        codec.order_request_from_dict({**VALID[0], "size": "NaN"})
