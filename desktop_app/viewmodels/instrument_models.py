"""Instrument lists (search results, watchlists) and the lazy market navigation tree."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop_app.domain.types import Instrument, MarketNode
from desktop_app.viewmodels import formatting as fmt
from desktop_app.viewmodels.tasks import TaskRunner, error_text

INSTRUMENT_ROLE = int(Qt.ItemDataRole.UserRole) + 10
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)

Index = QModelIndex | QPersistentModelIndex


def instrument_label(inst: Instrument) -> str:
    return f"{inst.name} ({inst.symbol})" if inst.name and inst.name != inst.symbol else inst.symbol


def instrument_tooltip(inst: Instrument) -> str:
    parts = [f"{inst.symbol} · {inst.kind.value}"]
    if inst.market_status:
        parts.append(f"market {inst.market_status.lower()}")
    if inst.bid is not None and inst.offer is not None:
        parts.append(f"{fmt.level(inst.bid)} / {fmt.level(inst.offer)}")
    if inst.min_size:
        parts.append(f"min size {fmt.size(inst.min_size)}")
    return " · ".join(parts)


class InstrumentListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[Instrument] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        inst = self._items[index.row()]
        if role == _DISPLAY:
            return instrument_label(inst)
        if role == _TOOLTIP:
            return instrument_tooltip(inst)
        if role == INSTRUMENT_ROLE:
            return inst
        return None

    def set_items(self, items: list[Instrument]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def item(self, row: int) -> Instrument:
        return self._items[row]

    def items(self) -> list[Instrument]:
        return list(self._items)


@dataclass(eq=False)
class _Node:
    node_id: int
    key: str | None  # the broker's node id; None for the root and for instruments
    name: str
    parent: _Node | None
    instrument: Instrument | None = None
    children: list[_Node] = field(default_factory=list)
    fetched: bool = False
    fetching: bool = False

    @property
    def row(self) -> int:
        return self.parent.children.index(self) if self.parent else 0


Fetch = Callable[[str | None], Awaitable[tuple[list[MarketNode], list[Instrument]]]]


class LazyTreeModel(QAbstractItemModel):
    """Nodes are fetched when a view expands them (``canFetchMore``/``fetchMore``).

    ``fetch(node_key)`` is a coroutine function giving (child nodes, instruments); it
    runs on the loop through ``runner``. ``failed(text)`` reports a fetch that failed
    (the node can be expanded again to retry).
    """

    failed = Signal(str)
    fetched = Signal(str)  # the node key that finished loading ("" for the root)

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._fetch: Fetch | None = None
        self._ids = itertools.count(1)
        self._root = _Node(0, None, "", None)
        self._nodes: dict[int, _Node] = {0: self._root}

    def set_fetch(self, fetch: Fetch | None) -> None:
        """A new source (another account): forget everything, load the root lazily."""
        self.beginResetModel()
        self._fetch = fetch
        self._root = _Node(0, None, "", None)
        self._nodes = {0: self._root}
        self.endResetModel()

    def _node(self, index: Index) -> _Node:
        if not index.isValid():
            return self._root
        return self._nodes.get(index.internalId(), self._root)

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        node = self._node(parent)
        if column != 0 or not 0 <= row < len(node.children):
            return QModelIndex()
        return self.createIndex(row, 0, node.children[row].node_id)

    def parent(self, index: Index | None = None) -> Any:  # type: ignore[override]
        if index is None:  # QObject.parent(), asked from Python
            return QObject.parent(self)
        if not index.isValid():
            return QModelIndex()
        node = self._nodes.get(index.internalId())
        if node is None or node.parent is None or node.parent is self._root:
            return QModelIndex()
        return self.createIndex(node.parent.row, 0, node.parent.node_id)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return len(self._node(parent).children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 1

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        node = self._node(parent)
        if node.instrument is not None:
            return False
        return bool(node.children) or not node.fetched

    def canFetchMore(self, parent: Index) -> bool:
        node = self._node(parent)
        return (
            self._fetch is not None and node.instrument is None
            and not node.fetched and not node.fetching
        )

    def fetchMore(self, parent: Index) -> None:
        node = self._node(parent)
        if not self.canFetchMore(parent) or self._fetch is None:
            return
        node.fetching = True
        fetch = self._fetch
        root = self._root

        def done(result: tuple[list[MarketNode], list[Instrument]]) -> None:
            node.fetching = False
            if self._root is not root:  # the model was reset meanwhile
                return
            self._insert(node, *result)
            self.fetched.emit(node.key or "")

        def fail(exc: BaseException) -> None:
            node.fetching = False
            self.failed.emit(error_text(exc))

        self._runner.start(fetch(node.key), on_result=done, on_error=fail)

    def _insert(self, node: _Node, nodes: list[MarketNode], instruments: list[Instrument]) -> None:
        children = [_Node(next(self._ids), n.node_id, n.name, node) for n in nodes]
        children += [
            _Node(next(self._ids), None, instrument_label(i), node, instrument=i, fetched=True)
            for i in instruments
        ]
        node.fetched = True
        parent_index = (
            QModelIndex() if node is self._root else self.createIndex(node.row, 0, node.node_id)
        )
        if children:
            self.beginInsertRows(parent_index, 0, len(children) - 1)
            node.children = children
            for child in children:
                self._nodes[child.node_id] = child
            self.endInsertRows()
        else:
            # Let the view drop the expander of a node that turned out empty.
            self.dataChanged.emit(parent_index, parent_index)

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        if role == _DISPLAY:
            return node.name
        if role == INSTRUMENT_ROLE:
            return node.instrument
        if role == _TOOLTIP and node.instrument is not None:
            return instrument_tooltip(node.instrument)
        return None

    def instrument_at(self, index: Index) -> Instrument | None:
        return self._node(index).instrument if index.isValid() else None
