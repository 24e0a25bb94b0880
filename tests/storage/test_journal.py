import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from desktop_app.domain.types import (
    AccountRef,
    FundingKind,
    FundingRequest,
    FundingResult,
    OrderRequest,
    OrderResult,
    OrderStatus,
    OrderType,
    Side,
)
from desktop_app.storage.journal import DuplicateRequest, EntryState, Journal, OrderAction

ACC = AccountRef("cap-1", "capital", "ACC-1")


def _order(**kw) -> OrderRequest:
    base = dict(
        account=ACC,
        symbol="GOLD",
        side=Side.BUY,
        size=Decimal("0.10000000000000000000000001"),
        order_type=OrderType.LIMIT,
        level=Decimal("1234.5678"),
        stop_level=Decimal("1200.1"),
        profit_level=None,
        good_till=datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    base.update(kw)
    return OrderRequest(**base)


def test_order_round_trip_is_exact(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    req = _order()
    entry_id = j.begin_order(req)
    pending = j.pending_orders()
    assert [e.id for e in pending] == [entry_id]
    assert pending[0].state is EntryState.PENDING
    assert pending[0].order_request() == req  # Decimal digits and the aware time survive
    assert pending[0].request["size"] == "0.10000000000000000000000001"

    j.set_broker_ref(entry_id, "o_abc")
    result = OrderResult(
        OrderStatus.ACCEPTED, broker_ref="o_abc", deal_ids=("D1", "D2"),
        level=Decimal("1234.50"), size=Decimal("0.1"),
    )
    j.complete_order(entry_id, result)
    entry = j.order(entry_id)
    assert entry is not None
    assert entry.state is EntryState.COMPLETED
    assert entry.order_result() == result
    assert str(entry.order_result().level) == "1234.50"  # trailing zero kept: TEXT, not REAL
    assert entry.broker_ref == "o_abc"
    assert entry.created.tzinfo is not None and entry.updated >= entry.created
    assert j.pending_orders() == []
    j.close()


def test_same_client_ref_is_never_journalled_twice(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    req = _order()
    j.begin_order(req)
    with pytest.raises(DuplicateRequest):
        j.begin_order(req)
    assert len(j.orders()) == 1


def test_unknown_then_reconciled_and_listings(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    a = j.begin_order(_order())
    b = j.begin_order_action(ACC, OrderAction.CLOSE, "DEAL-9", "ref-close-1")
    j.mark_unknown(a, "no reply")
    assert [e.id for e in j.unresolved_orders()] == [a, b]
    assert [e.id for e in j.pending_orders("cap-1")] == [b]
    assert j.pending_orders("other") == []
    j.reconcile_order(a, OrderResult(OrderStatus.REJECTED, reason="INSUFFICIENT_FUNDS"))
    entry = j.order(a)
    assert entry.state is EntryState.RECONCILED and entry.message == "INSUFFICIENT_FUNDS"
    closing = j.order(b)
    assert closing.action == "close" and closing.request["target_id"] == "DEAL-9"
    with pytest.raises(ValueError):
        closing.order_request()
    assert [e.id for e in j.orders(limit=1)] == [b]  # newest first
    with pytest.raises(KeyError):
        j.mark_unknown(999, "x")


def test_funding_round_trip(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    req = FundingRequest(ACC, FundingKind.DEMO_TOPUP, Decimal("1000.005"), "USD", "top up")
    fid = j.begin_funding(req)
    assert j.pending_funding()[0].funding_request() == req
    j.complete_funding(fid, FundingResult(OrderStatus.ACCEPTED, new_balance=Decimal("11000.005")))
    entry = j.funding_entry(fid)
    assert entry.state is EntryState.COMPLETED
    assert entry.funding_result().new_balance == Decimal("11000.005")
    fid2 = j.begin_funding(FundingRequest(ACC, FundingKind.DEMO_TOPUP, Decimal("5")))
    j.mark_funding_unknown(fid2, "check the balance")
    assert j.funding_entry(fid2).state is EntryState.UNKNOWN
    assert [e.id for e in j.funding()] == [fid2, fid]


def test_pending_entry_survives_a_killed_process(tmp_path: Path) -> None:
    """A process journals an order, then dies before the reply: the entry is there."""
    path = tmp_path / "j.sqlite3"
    code = textwrap.dedent(
        f"""
        import sys, time
        from decimal import Decimal
        from desktop_app.domain.types import AccountRef, OrderRequest, Side
        from desktop_app.storage.journal import Journal
        j = Journal({str(path)!r})
        j.begin_order(OrderRequest(AccountRef("cap-1", "capital", "ACC-1"), "GOLD", Side.SELL,
                                   Decimal("2.5"), client_ref="crash-ref-1"))
        print("BEGUN", flush=True)
        time.sleep(60)  # 'waiting for the broker's reply' when the process is killed
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "BEGUN"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    j = Journal(path)
    pending = j.pending_orders()
    assert [e.client_ref for e in pending] == ["crash-ref-1"]
    assert pending[0].order_request().size == Decimal("2.5")


def test_snapshots_are_exact_and_throttled(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3", snapshot_same_interval=300, snapshot_min_interval=5)
    t0 = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
    vals = (Decimal("10000.01"), Decimal("10012.345"), Decimal("9000.10"), "USD")
    assert j.add_snapshot(ACC, t0, *vals)
    assert not j.add_snapshot(ACC, t0 + timedelta(seconds=60), *vals)  # same values, too soon
    assert not j.add_snapshot(ACC, t0 + timedelta(seconds=2), vals[0], Decimal("1"), *vals[2:])
    changed = (vals[0], Decimal("10013.000"), vals[2], "USD")
    assert j.add_snapshot(ACC, t0 + timedelta(seconds=61), *changed)
    assert j.add_snapshot(ACC, t0 + timedelta(seconds=61 + 301), *changed)  # same, but old
    assert not j.add_snapshot(ACC, t0, *vals)  # late arrival of an older value

    snaps = j.snapshots(ACC)
    assert [s.at for s in snaps] == [
        t0, t0 + timedelta(seconds=61), t0 + timedelta(seconds=362)
    ]
    assert snaps[0].equity == Decimal("10012.345") and str(snaps[1].equity) == "10013.000"
    assert [s.at for s in j.snapshots(ACC, since=t0 + timedelta(seconds=61))] == [
        t0 + timedelta(seconds=61), t0 + timedelta(seconds=362)
    ]
    assert j.snapshots(AccountRef("cap-1", "capital", "OTHER")) == []
    j.close()
    # The throttle remembers across a restart (it reads the last stored row).
    j2 = Journal(tmp_path / "j.sqlite3")
    assert not j2.add_snapshot(ACC, t0 + timedelta(seconds=363), *changed)
    assert j2.prune_snapshots(t0 + timedelta(seconds=100)) == 2
    assert len(j2.snapshots(ACC)) == 1


def test_writes_are_short(tmp_path: Path) -> None:
    """One durable write is one small transaction: well under the loop's frame budget."""
    j = Journal(tmp_path / "j.sqlite3")
    times = []
    for i in range(20):
        started = time.perf_counter()
        j.begin_order(_order(client_ref=f"r{i}"))
        times.append(time.perf_counter() - started)
    times.sort()
    assert times[len(times) // 2] < 0.02, times  # median; CI disks can be slow, so be lenient


def test_journal_defaults_to_the_data_dir(isolated_dirs: Path) -> None:
    j = Journal()
    assert j.path.parent == isolated_dirs / "data"
    j.close()
    assert j.closed
    with pytest.raises(RuntimeError):
        j.orders()


def test_deals_claimed_by_other_placements(tmp_path: Path) -> None:
    base = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    # A placement half an hour earlier, then the rest a second apart.
    times = iter([base - timedelta(minutes=30), *(base + timedelta(seconds=s)
                                                  for s in range(60))])
    j = Journal(tmp_path / "j.sqlite3", clock=lambda: next(times))
    long_ago = j.begin_order(_order(client_ref="long-ago"))
    j.complete_order(long_ago, OrderResult(OrderStatus.ACCEPTED, deal_ids=("D-LONG-AGO",)))
    older = j.begin_order(_order(client_ref="older"))
    j.complete_order(older, OrderResult(OrderStatus.ACCEPTED, deal_ids=("D-OLD",)))
    lost = j.begin_order(_order(client_ref="lost"))
    j.mark_unknown(lost, "The reply was lost.")
    retry = j.begin_order(_order(client_ref="retry"))
    j.complete_order(retry, OrderResult(OrderStatus.ACCEPTED, deal_ids=("D-NEW",)))
    refused = j.begin_order(_order(client_ref="refused"))
    j.complete_order(refused, OrderResult(OrderStatus.REJECTED, deal_ids=("D-REJ",)))
    other = j.begin_order(_order(account=AccountRef("cap-2", "capital", "X"),
                                 client_ref="other"))
    j.complete_order(other, OrderResult(OrderStatus.ACCEPTED, deal_ids=("D-OTHER",)))
    # Known results of other placements on the same connection count, the one just
    # before too (a confirmed double click); one from long before cannot be stamped
    # within any clock margin of this entry, and other connections are others'.
    assert j.claimed_deal_ids(j.order(lost)) == {"D-OLD", "D-NEW", "D-REJ"}
    j.close()


def test_unknown_funding_keeps_what_the_broker_said(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    entry_id = j.begin_funding(FundingRequest(ACC, FundingKind.DEMO_TOPUP, Decimal(5), "USD"))
    said = FundingResult(OrderStatus.UNKNOWN, broker_ref="T-1", message="No balance yet.")
    j.mark_funding_unknown(entry_id, "Not known. Check the balance.", said)
    entry = j.funding_entry(entry_id)
    assert entry.state is EntryState.UNKNOWN and entry.broker_ref == "T-1"
    assert entry.message == "Not known. Check the balance."
    assert entry.funding_result() == said
    j.close()


def test_new_request_fields_round_trip_and_private_details_stay_out() -> None:
    """Cash-sized orders, transfer destinations and funding details survive the journal;
    private details (bank account numbers) never reach it."""
    from desktop_app.domain.types import FundingKind, FundingRequest, SizeUnit
    from desktop_app.storage import codec

    src = AccountRef("c", "lwork", "1001")
    dst = AccountRef("c", "lwork", "1002")
    order = OrderRequest(src, "DE0007164600", Side.BUY, Decimal("25.50"),
                         size_unit=SizeUnit.CASH, currency="EUR", acknowledged=True)
    assert codec.order_request_from_dict(codec.order_request_to_dict(order)) == order
    # Entries journalled before the acknowledgement existed read as not acknowledged.
    older = codec.order_request_to_dict(order)
    del older["acknowledged"]
    assert codec.order_request_from_dict(older).acknowledged is False
    funding = FundingRequest(src, FundingKind.TRANSFER, Decimal("10.00"), "USD",
                             destination=dst, details={"pay_currency": "USD"},
                             private_details={"bank_account_number": "DE89370400440532013000"})
    stored = codec.funding_request_to_dict(funding)
    assert "DE89370400440532013000" not in repr(stored) + repr(funding)
    back = codec.funding_request_from_dict(stored)
    assert (back.destination, back.details, back.private_details) == (
        dst, {"pay_currency": "USD"}, {})


def test_unsettled_funding_and_claimed_references(tmp_path: Path) -> None:
    from desktop_app.domain.types import FundingKind, FundingRequest, FundingResult

    j = Journal(tmp_path / "j.sqlite3")
    acc = AccountRef("lw-1", "lwork", "2090001")

    def begin(ref: str) -> int:
        return j.begin_funding(FundingRequest(acc, FundingKind.DEPOSIT, Decimal(100), "USD",
                                              client_ref=ref))

    pending = begin("pending")
    j.complete_funding(pending, FundingResult(OrderStatus.PENDING, "R-1", 'said "status": x'))
    paid = begin("paid")
    j.complete_funding(paid, FundingResult(OrderStatus.ACCEPTED, "R-2", "Paid."))
    lost = begin("lost")
    j.mark_funding_unknown(lost, "The reply was lost.")
    found = begin("found")
    j.reconcile_funding(found, FundingResult(OrderStatus.PENDING, "R-4", "Found, waiting."))
    in_flight = begin("in-flight")
    other = j.begin_funding(FundingRequest(AccountRef("lw-2", "lwork", "1"),
                                           FundingKind.DEPOSIT, Decimal(1), client_ref="x"))
    j.complete_funding(other, FundingResult(OrderStatus.PENDING, "R-9"))
    assert [e.id for e in j.unsettled_funding("lw-1")] == [pending, lost, found]
    assert {e.id for e in j.unsettled_funding()} == {pending, lost, found, other}
    assert in_flight not in {e.id for e in j.unsettled_funding()}
    assert j.claimed_funding_refs(j.funding_entry(lost)) == {"R-1", "R-2", "R-4"}
    assert j.claimed_funding_refs(j.funding_entry(pending)) == {"R-2", "R-4"}
    j.close()
