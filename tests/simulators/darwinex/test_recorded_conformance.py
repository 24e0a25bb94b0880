"""Darwinex simulator replies against recorded real replies (JamesFrost/darwinex cassettes).

tests/fixtures/darwinex/recorded_replies.json holds the recorded bodies (see
tests/fixtures/README.md). Each recorded request is replayed against the simulator (the
recorded account 1234 becomes the simulator's demo account) and the reply must have the
recording's keys and JSON types; history rows must have the recorded lengths and element
types, and their details the recorded shape.
"""

from __future__ import annotations

from typing import Any

from tests.simulators.darwinex.dx_http import DarwinexHttp
from tests.simulators.public_examples import load, shape_errors

RECORDED = load("darwinex/recorded_replies.json")["replies"]
HISTORY_KINDS = {"get_badges", "get_capacity", "get_close_strategy", "get_duration_consistency",
                 "get_experience", "get_losing_consistency", "get_market_correlation",
                 "get_open_strategy", "get_order_divergence", "get_performance",
                 "get_return_divergence", "get_risk_adjustment", "get_risk_stability",
                 "get_winning_consistency"}


def _kinds(row: list[Any]) -> tuple[str, ...]:
    return tuple(type(value).__name__.replace("int", "float") for value in row)


def history_errors(recorded: list[list[Any]], actual: list[list[Any]]) -> list[str]:
    if not actual:
        return ["no rows"]
    errors = []
    shapes = {len(row): _kinds(row) for row in recorded}
    for row in actual:
        if len(row) not in shapes:
            errors.append(f"row of {len(row)} elements: {row!r:.80}")
        elif _kinds(row)[:2] != shapes[len(row)][:2]:
            errors.append(f"row types {_kinds(row)} differ from {shapes[len(row)]}")
    detailed = [row for row in recorded if len(row) >= 3]
    mine = [row for row in actual if len(row) >= 3]
    if detailed and mine:
        errors += shape_errors(detailed[-1][2], mine[-1][2], "$[-1][2]")
    return errors[:5]


def test_every_recorded_request_is_answered_alike(darwinex_sim, dx: DarwinexHttp,
                                                  account: int) -> None:
    darwinex_sim.state.set_market_open(False)  # recorded on a Sunday: the market was closed
    problems: list[str] = []
    for name, recorded in RECORDED.items():
        path = recorded["path"].replace("/investoraccounts/1234", f"/investoraccounts/{account}")
        body = {"leverage": 2.0} if recorded["method"] == "PUT" else None
        response = dx.request(recorded["method"], path, json=body)
        if response.status_code != recorded["status"]:
            problems.append(f"{name}: {response.status_code} {response.text[:120]}")
            continue
        actual, expected = response.json(), recorded["body"]
        if name in HISTORY_KINDS:
            problems += [f"{name}: {e}" for e in history_errors(expected, actual)]
        else:
            problems += [f"{name}: {e}" for e in shape_errors(expected, actual)]
        if isinstance(expected, dict) and name != "list_products" and "content" not in expected:
            extra = set(actual) - set(expected)
            problems += [f"{name}: {key} is not in the recording" for key in sorted(extra)]
    assert problems == [], "\n".join(problems)


def test_the_row_comparison_can_fail() -> None:
    recorded = [[1, 0.0], [2, 0.1, [3, 4.5]]]
    assert history_errors(recorded, [[1, 0.0], [2, 0.2, [1, 2.0]]]) == []
    assert history_errors(recorded, [[1, 0.0, [1, 2.0], 4]]) != []
    assert history_errors(recorded, [[1, "N/A"]]) != []
    assert history_errors(recorded, [[2, 0.2, ["a", 2.0]]]) != []
