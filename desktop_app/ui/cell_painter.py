"""A table view that paints its plain cells in one pass of its own.

Qt's ``QTableView`` paints cell by cell: for each it asks the model for an index and
calls the item delegate, and the delegate asks the model about seven roles (text,
alignment, colour, font, check state, icon, background) and lays the text out anew.
Over a Python model each of those is a call into Python. At stream speed, a positions
table with 36 rows in view spent two thirds of its repaint on them.

``PlainTextTableView`` paints what Qt's paint event would, in the same order and at the
same pixels (``tests/ui/test_plain_cells.py`` compares them), but reads each row once
from the ``KeyedTableModel`` behind the view (``row_look``, kept until the row changes)
and draws a plain cell's background and text itself, and a selected one's (the style's
selection fill and the highlighted text colour). A cell current with focus, under the
mouse or disabled is painted as Qt paints it: the style's row panel, then the item
delegate. The panels under a plain and a selected cell are the style's own (asked once
on a small image; a single opaque fill is then drawn, anything else is left to the style:
per cell for a plain one, to Qt's delegate for a selected one). Whatever this pass does
not cover (another model or delegate, right to left, spans, hidden rows) goes to Qt's own
paint event.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QLineF,
    QPersistentModelIndex,
    QPointF,
    QRect,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHoverEvent,
    QImage,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QStaticText,
)
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from desktop_app.viewmodels.keyed_table import KeyedTableModel
from desktop_app.viewmodels.sort_proxy import NumericSortProxy

# Widths of this many distinct texts are kept; past it the cache starts again (prices
# at stream speed are new texts every tick).
MAX_WIDTHS = 20_000
_RESTYLED = frozenset({QEvent.Type.FontChange, QEvent.Type.StyleChange,
                       QEvent.Type.PaletteChange, QEvent.Type.LayoutDirectionChange,
                       QEvent.Type.EnabledChange})
_HOVER = frozenset({QEvent.Type.HoverEnter, QEvent.Type.HoverMove})
_ALTERNATE = QStyleOptionViewItem.ViewItemFeature.Alternate
_SELECTED = QStyle.StateFlag.State_Selected
_MOUSE_OVER = QStyle.StateFlag.State_MouseOver
_HAS_FOCUS = QStyle.StateFlag.State_HasFocus
_ENABLED = QStyle.StateFlag.State_Enabled
_ROW_PANEL = QStyle.PrimitiveElement.PE_PanelItemViewRow
_CALL = QColor()  # a panel the style must draw itself
PLAIN, SELECTED, BY_QT = 0, 1, 2  # how a cell is painted (_Pass.kind)


def _one_colour(image: QImage) -> QColor | None:
    """The one opaque colour an image is filled with, None if it is blank, else _CALL."""
    pixels = {image.pixel(x, y) for x in range(image.width()) for y in range(image.height())}
    only = pixels.pop() if len(pixels) == 1 else None
    if only is None:
        return _CALL
    if only >> 24 == 0:
        return None
    return QColor.fromRgba(only) if only >> 24 == 0xFF else _CALL


class _Metrics:
    """A font's measures for the cells: text widths (cached), the baseline in a row."""

    def __init__(self, font: QFont, row_height: int) -> None:
        self.metrics = QFontMetricsF(font)
        self.widths: dict[str, float] = {}
        self.elided: dict[tuple[str, float], tuple[str, float]] = {}
        # A text drawn in two paints is laid out once and kept (QStaticText draws in
        # half the time); prices at stream speed are drawn once and never kept.
        self.statics: dict[str, QStaticText] = {}
        self._seen: set[str] = set()
        # Where Qt's delegate puts a line: centred in the row by whole pixels.
        self.top = (row_height - round(self.metrics.height())) // 2
        self.baseline = self.top + self.metrics.ascent()

    def drawn(self, text: str) -> None:
        """``text`` was drawn as plain text: the second time, it is kept laid out."""
        if text in self._seen:
            if len(self.statics) >= MAX_WIDTHS:
                self.statics = {}
            static = self.statics[text] = QStaticText(text)
            static.setTextFormat(Qt.TextFormat.PlainText)
        elif len(self._seen) >= MAX_WIDTHS:
            self._seen = {text}
        else:
            self._seen.add(text)

    def width(self, text: str) -> float:
        width = self.widths.get(text)
        if width is None:
            if len(self.widths) >= MAX_WIDTHS:
                self.widths = {}
            width = self.widths[text] = self.metrics.horizontalAdvance(text)
        return width

    def fitted(self, text: str, room: float, mode: Qt.TextElideMode) -> tuple[str, float]:
        """``text`` as it fits in ``room`` (elided as Qt's delegate does) and its width."""
        width = self.width(text)
        if width <= room:
            return text, width
        key = (text, room)
        found = self.elided.get(key)
        if found is None:
            if len(self.elided) >= MAX_WIDTHS:
                self.elided = {}
            shown = self.metrics.elidedText(text, mode, room)
            found = self.elided[key] = (shown, self.metrics.horizontalAdvance(shown))
        return found


class _Pass:
    """What one paint event of a ``PlainTextTableView`` works with."""

    def __init__(self, view: PlainTextTableView, painter: QPainter) -> None:
        self.painter = painter
        self.option = option = QStyleOptionViewItem()
        view.initViewItemOption(option)
        self.panel = QStyleOptionViewItem(option)
        style = view.style()
        self.draw_panel = style.drawPrimitive
        self.grid = view.showGrid()
        self.grid_pen = QPen(QColor.fromRgba(
            style.styleHint(QStyle.StyleHint.SH_Table_GridLineColor, option, view)
            & 0xFFFFFFFF), 1, view.gridStyle())
        self.alternate = view.alternatingRowColors()
        # How the style paints an unselected cell's row panel: a fill of one colour
        # (or nothing) where it can be told; otherwise it is asked for every cell.
        self.panel_fill, self.alternate_fill = view._panel_fills(option)
        if (self.panel_fill is _CALL or self.alternate_fill is _CALL
                or (self.grid and self.grid_pen.color().alpha() != 255)):
            self.panel_fill = self.alternate_fill = _CALL
        self.enabled = bool(option.state & _ENABLED)
        group = (QPalette.ColorGroup.Disabled if not self.enabled
                 else QPalette.ColorGroup.Active if view.isActiveWindow()
                 else QPalette.ColorGroup.Inactive)
        self.text_colour = option.palette.color(group, QPalette.ColorRole.Text)
        # A selected cell (without focus or the mouse on it) is the style's selection
        # fill and the palette's highlighted text, when the style's panels can be told
        # apart that way; Qt's delegate took 0.3 ms a cell for it (a click repaints a row).
        self.selected_fill, self.selected_alternate_fill = view._selected_fills(option)
        self.own_selection = (self.selected_fill is not _CALL
                              and self.selected_alternate_fill is not _CALL)
        self.highlighted = option.palette.color(group, QPalette.ColorRole.HighlightedText)
        self.selection = view.selectionModel()
        self.model = view.model()
        current = view.currentIndex()
        focus = (view.hasFocus() or view.viewport().hasFocus()) and current.isValid()
        self.focused = (current.row(), current.column()) if focus else None
        hover = view._hover
        self.hovered = (hover.row(), hover.column()) if hover.isValid() else None
        self.focused_row = self.focused[0] if self.focused else -1
        self.hovered_row = self.hovered[0] if self.hovered else -1
        assert view._source is not None
        self.look = view._source.row_look
        self.to_source = view._source_row
        self.elide = view.textElideMode()
        self.margin = view._text_margin()
        self.view_font = view.font()
        # What the painter has now: the cell's own font and colour (None: the view's).
        self.font: QFont | None = None
        self.colour: QColor | None = None
        # The selection as row ranges: (first, last, whole rows or some cells).
        self.ranges: list[tuple[int, int, bool]] = []
        if self.selection is not None:
            last_column = self.model.columnCount() - 1
            for part in self.selection.selection():
                self.ranges.append((part.top(), part.bottom(),
                                    part.left() == 0 and part.right() == last_column))
        self.use(None, None)

    def selected(self, row: int) -> tuple[bool, bool]:
        """Whether the whole row is selected, and whether some of its cells may be."""
        whole = some = False
        for first, last, all_columns in self.ranges:
            if first <= row <= last:
                if all_columns:
                    whole = True
                else:
                    some = True
        return whole, some and not whole

    def kind(self, row: int, column: int, whole_row: bool, some: bool) -> int:
        """PLAIN, SELECTED (painted here) or BY_QT (focused, hovered, disabled, or a
        selection whose look this pass cannot tell)."""
        cell = (row, column)
        if not self.enabled or cell == self.focused or cell == self.hovered:
            return BY_QT
        if not (whole_row or (some and self.selection is not None
                              and self.selection.isSelected(self.model.index(row, column)))):
            return PLAIN
        return SELECTED if self.own_selection else BY_QT

    def use(self, font: QFont | None, colour: QColor | None) -> None:
        """The painter's font and pen for a cell's text."""
        self.painter.setFont(font if font is not None else self.view_font)
        self.painter.setPen(colour if colour is not None else self.text_colour)
        self.font, self.colour = font, colour

    def forget_pen(self) -> None:
        """The delegate painted a cell with its own font and pen: set ours again."""
        self.use(None, None)


class PlainTextTableView(QTableView):
    """A ``QTableView`` that paints a ``KeyedTableModel``'s plain cells in one pass."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source: KeyedTableModel[Any] | None = None
        self._source_row: Any = None
        self._fonts: dict[tuple[int, int], tuple[QFont | None, _Metrics]] = {}
        self._margin = 0
        self._hover = QPersistentModelIndex()
        self._own_delegates = False  # a delegate per row or column was set
        self._spans = False
        # (selected, style, palette, state): the panels' fills on a plain and an
        # alternate row (_probed_fills).
        self._fills: dict[tuple[Any, ...], tuple[QColor | None, QColor | None]] = {}
        # Off: Qt's own paint event for every cell (what the tests compare against).
        self.paints_plain_cells = True

    # --- what the pass covers -----------------------------------------------------

    def setModel(self, model: Any) -> None:
        super().setModel(model)
        self._fonts = {}
        if isinstance(model, NumericSortProxy):
            self._source, self._source_row = model.sourceModel(), model.source_row
        elif isinstance(model, KeyedTableModel):
            self._source, self._source_row = model, None
        else:
            self._source = self._source_row = None

    def setItemDelegateForColumn(self, column: int,
                                 delegate: QAbstractItemDelegate | None) -> None:
        self._own_delegates = True
        super().setItemDelegateForColumn(column, delegate)

    def setItemDelegateForRow(self, row: int,
                              delegate: QAbstractItemDelegate | None) -> None:
        self._own_delegates = True
        super().setItemDelegateForRow(row, delegate)

    def setSpan(self, row: int, column: int, rows: int, columns: int) -> None:
        self._spans = True
        super().setSpan(row, column, rows, columns)

    def _covered(self) -> bool:
        return (self.paints_plain_cells and self._source is not None
                and not self._own_delegates and not self._spans
                and type(self.itemDelegate()) is QStyledItemDelegate
                and not self.isRightToLeft()
                and not self.verticalHeader().sectionsHidden())

    # --- events -------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in _RESTYLED:
            self._fonts = {}
            self._margin = 0
        super().changeEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        # The cell under the mouse, as Qt's view keeps it (a persistent index: it moves
        # with its row when the rows are sorted again).
        kind = event.type()
        if kind in _HOVER and isinstance(event, QHoverEvent):
            self._hover = QPersistentModelIndex(self.indexAt(event.position().toPoint()))
        elif kind == QEvent.Type.HoverLeave:
            self._hover = QPersistentModelIndex()
        return super().viewportEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._covered():
            self._paint(event)
        else:
            super().paintEvent(event)

    # --- the pass -----------------------------------------------------------------

    def _metrics_for(self, font: QFont | None, row_height: int) -> _Metrics:
        key = (id(font), row_height)
        found = self._fonts.get(key)
        if found is None or found[0] is not font:
            found = self._fonts[key] = (font, _Metrics(font if font is not None
                                                       else self.font(), row_height))
        return found[1]

    def _panel_fills(self, option: QStyleOptionViewItem) -> tuple[QColor | None, QColor | None]:
        """The style's row panel for a plain cell, on a plain and an alternate row: the
        one colour it fills with, None when it draws nothing, or _CALL when it draws
        anything else. Worked out once per style and palette, on a small image."""
        return self._probed_fills(option, selected=False)

    def _selected_fills(self, option: QStyleOptionViewItem
                        ) -> tuple[QColor | None, QColor | None]:
        """A selected cell's panels (the row's, then the item's, as QTableView and the
        delegate draw them) on a plain and an alternate row, as in ``_panel_fills``."""
        return self._probed_fills(option, selected=True)

    def _probed_fills(self, option: QStyleOptionViewItem, *, selected: bool
                      ) -> tuple[QColor | None, QColor | None]:
        key = (selected, id(self.style()), option.palette.cacheKey(), int(option.state.value))
        found = self._fills.get(key)
        if found is None:
            if len(self._fills) >= 8:  # styles and palettes come and go (a theme switch)
                self._fills = {}
            plain, alternate = (self._probe(option, selected, a) for a in (False, True))
            found = self._fills[key] = (plain, alternate)
        return found

    def _probe(self, option: QStyleOptionViewItem, selected: bool,
               alternate: bool) -> QColor | None:
        """What the style paints under a cell, on an 8x8 image, as ``_one_colour``."""
        probe = QStyleOptionViewItem(option)
        probe.rect = QRect(0, 0, 8, 8)
        probe.features = (probe.features | _ALTERNATE if alternate
                          else probe.features & ~_ALTERNATE)
        image = QImage(8, 8, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        if selected:
            probe.state |= _SELECTED
        self.style().drawPrimitive(_ROW_PANEL, probe, painter, self)
        if selected:
            probe.features |= QStyleOptionViewItem.ViewItemFeature.HasDisplay
            probe.text = ""
            self.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, probe, painter,
                                     self)
        painter.end()
        return _one_colour(image)

    def fit_columns(self, rows: Iterable[int]) -> None:
        """Each column as wide as its header and its widest text in ``rows`` (view rows),
        as Qt's ResizeToContents makes it, from the rows' looks: Qt asks the delegate
        for every sampled cell's size (20-28 ms for 50 rows of accounts)."""
        header = self.horizontalHeader()
        if not self._covered():
            header.resizeSections(QHeaderView.ResizeMode.ResizeToContents)
            return
        assert self._source is not None
        view_font = QFontMetricsF(self.font())
        others: dict[int, QFontMetricsF] = {}
        # Qt's delegate: the text and its margins on both sides; the grid line's pixel.
        extra = 2 * self._text_margin() + (1 if self.showGrid() else 0)
        widths = [header.sectionSizeHint(c) for c in range(header.count())]
        to_source = self._source_row
        for row in rows:
            texts, _rights, _colours, fonts = self._source.row_look(
                to_source(row) if to_source else row)
            for column, text in enumerate(texts):
                if not text:
                    continue
                font = fonts[column] if fonts is not None else None
                metrics = view_font if font is None else others.setdefault(
                    id(font), QFontMetricsF(font))
                width = math.ceil(metrics.horizontalAdvance(text)) + extra
                if width > widths[column]:
                    widths[column] = width
        for column, width in enumerate(widths):
            if not header.isSectionHidden(column):
                header.resizeSection(column, width)

    def _text_margin(self) -> int:
        """Qt's delegate keeps text this far from the cell's sides."""
        if not self._margin:
            self._margin = self.style().pixelMetric(
                QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1
        return self._margin

    def _paint(self, event: QPaintEvent) -> None:
        """QTableView::paintEvent's loops (Qt 6), plain cells drawn by ``_paint_row``."""
        across, down = self.horizontalHeader(), self.verticalHeader()
        painter = QPainter(self.viewport())
        if across.count() == 0 or down.count() == 0:
            return
        pass_ = _Pass(self, painter)
        grid_size = 1 if pass_.grid else 0
        right_edge = across.length() - across.offset() - 1
        bottom_edge = down.length() - down.offset() - 1
        areas = list(event.region())
        # A cell in two dirty rectangles is painted once (Qt keeps a bit per cell).
        drawn: set[tuple[int, int]] | None = set() if len(areas) > 1 else None
        for dirty in areas:
            dirty.setBottom(min(dirty.bottom(), bottom_edge))
            dirty.setRight(min(dirty.right(), right_edge))
            if not dirty.isValid():
                continue
            left = across.visualIndexAt(dirty.left())
            right = across.visualIndexAt(dirty.right())
            left = 0 if left == -1 else left
            right = across.count() - 1 if right == -1 else right
            bottom = down.visualIndexAt(dirty.bottom())
            bottom = down.count() - 1 if bottom == -1 else bottom
            top = down.visualIndexAt(dirty.top())
            if top == -1 or top > bottom:
                continue
            columns = []
            for visual in range(left, right + 1):
                column = across.logicalIndex(visual)
                if not across.isSectionHidden(column):
                    x = self.columnViewportPosition(column)
                    width = self.columnWidth(column) - grid_size
                    columns.append((visual, column, x, width, width - 2 * pass_.margin))
            alternate_base = bool(top & 1) and pass_.alternate
            for visual_row in range(top, bottom + 1):
                self._paint_row(pass_, visual_row, down.logicalIndex(visual_row), columns,
                                alternate_base, drawn)
                alternate_base = not alternate_base and pass_.alternate
            if pass_.grid:
                self._paint_grid(painter, pass_.grid_pen, pass_.option, dirty, top, bottom,
                                 left, right)
        painter.end()

    def _paint_row(self, pass_: _Pass, visual_row: int, row: int,
                   columns: list[tuple[int, int, int, int, int]], alternate_base: bool,
                   drawn: set[tuple[int, int]] | None) -> None:
        painter, panel = pass_.painter, pass_.panel
        if pass_.alternate:
            panel.features = (panel.features | _ALTERNATE if alternate_base
                              else panel.features & ~_ALTERNATE)
        row_y = self.rowViewportPosition(row)
        row_h = self.rowHeight(row) - (1 if pass_.grid else 0)
        metrics = self._metrics_for(None, row_h)
        widths = metrics.widths
        texts, rights, colours, fonts = pass_.look(pass_.to_source(row) if pass_.to_source
                                                   else row)
        whole_row, some = pass_.selected(row)
        special_row = (whole_row or some or not pass_.enabled or row == pass_.focused_row
                       or row == pass_.hovered_row)
        margin, elide, statics = pass_.margin, pass_.elide, metrics.statics
        draw_text, draw_static = painter.drawText, painter.drawStaticText
        draw_panel = pass_.draw_panel if pass_.panel_fill is _CALL else None
        if pass_.panel_fill is not _CALL and drawn is None:
            # The style's row panel is a plain fill (or nothing): one fill for the row,
            # the same pixels as one per cell, as the grid lines are drawn over the gaps.
            fill = pass_.alternate_fill if alternate_base else pass_.panel_fill
            if fill is not None and columns:
                first, last = columns[0], columns[-1]
                painter.fillRect(first[2], row_y, last[2] + last[3] - first[2], row_h, fill)
        for visual, column, x, width, room in columns:
            if drawn is not None:
                if (visual_row, visual) in drawn:
                    continue
                drawn.add((visual_row, visual))
            selected = False
            if special_row:
                kind = pass_.kind(row, column, whole_row, some)
                if kind == BY_QT:
                    self._paint_cell(pass_, row, column, QRect(x, row_y, width, row_h),
                                     alternate_base, whole_row or some)
                    pass_.forget_pen()  # the delegate set its own
                    continue
                selected = kind == SELECTED
            # The style's row panel, as Qt draws it under every cell (Fusion: the
            # alternate rows' colour; a style sheet may set its own).
            if selected:
                fill = (pass_.selected_alternate_fill if alternate_base
                        else pass_.selected_fill)
                if fill is not None:
                    painter.fillRect(x, row_y, width, row_h, fill)
            elif draw_panel is not None:
                panel.rect = QRect(x, row_y, width, row_h)
                draw_panel(_ROW_PANEL, panel, painter, self)
            elif drawn is not None:
                fill = pass_.alternate_fill if alternate_base else pass_.panel_fill
                if fill is not None:
                    painter.fillRect(x, row_y, width, row_h, fill)
            text = texts[column]
            if not text:
                continue
            font = fonts[column] if fonts is not None else None
            if font is None:
                m, kept = metrics, statics
                text_width = widths.get(text)
                if text_width is None or text_width > room:
                    text, text_width = m.fitted(text, room, elide)
            else:
                m = self._metrics_for(font, row_h)
                kept = m.statics
                text, text_width = m.fitted(text, room, elide)
            colour = (pass_.highlighted if selected
                      else colours[column] if colours is not None else None)
            if font is not pass_.font or colour is not pass_.colour:
                pass_.use(font, colour)
            static = kept.get(text)
            if not rights[column]:
                left: float = x + margin
                if static is not None:
                    # Whole pixels: the (x, y) overload, without a QPointF (1 µs a cell).
                    draw_static(left, row_y + m.top, static)
                    continue
            else:
                left = x + margin + room - text_width
                if static is not None:
                    draw_static(QPointF(left, row_y + m.top), static)
                    continue
            draw_text(QPointF(left, row_y + m.baseline), text)
            m.drawn(text)

    def _paint_cell(self, pass_: _Pass, row: int, column: int, rect: QRect,
                    alternate_base: bool, maybe_selected: bool) -> None:
        """One cell as QTableViewPrivate::drawCell paints it."""
        index = self.model().index(row, column)
        option = QStyleOptionViewItem(pass_.option)
        option.rect = rect
        if pass_.alternate:
            if alternate_base:
                option.features |= _ALTERNATE
            else:
                option.features &= ~_ALTERNATE
        selection = pass_.selection
        if maybe_selected and selection is not None and selection.isSelected(index):
            option.state |= _SELECTED
        if (row, column) == pass_.hovered:
            option.state |= _MOUSE_OVER
        if option.state & _ENABLED:
            if not self.model().flags(index) & Qt.ItemFlag.ItemIsEnabled:
                option.state &= ~_ENABLED
                option.palette.setCurrentColorGroup(QPalette.ColorGroup.Disabled)
            else:
                option.palette.setCurrentColorGroup(QPalette.ColorGroup.Normal)
        if (row, column) == pass_.focused:
            option.state |= _HAS_FOCUS
        self.style().drawPrimitive(_ROW_PANEL, option, pass_.painter, self)
        self.itemDelegate().paint(pass_.painter, option, index)

    def _paint_grid(self, painter: QPainter, pen: QPen, option: QStyleOptionViewItem,
                    dirty: QRect, top: int, bottom: int, left: int, right: int) -> None:
        across, down = self.horizontalHeader(), self.verticalHeader()
        old = painter.pen()
        painter.setPen(pen)
        # A solid line one pixel wide, unsmoothed, covers exactly the pixels of a
        # one-pixel rectangle; a fill costs a tenth of a stroked line (0.5 ms a repaint).
        colour = pen.color() if (pen.style() == Qt.PenStyle.SolidLine and not
                                 painter.testRenderHint(QPainter.RenderHint.Antialiasing)
                                 ) else None
        for visual in range(top, bottom + 1):
            row = down.logicalIndex(visual)
            y = self.rowViewportPosition(row) + self.rowHeight(row) - 1
            if colour is not None:
                painter.fillRect(dirty.left(), y, dirty.width(), 1, colour)
            else:
                painter.drawLine(QLineF(dirty.left(), y, dirty.right(), y).translated(0.5, 0.5))
        for visual in range(left, right + 1):
            column = across.logicalIndex(visual)
            if across.isSectionHidden(column):
                continue
            x = self.columnViewportPosition(column) + self.columnWidth(column) - 1
            if colour is not None:
                painter.fillRect(x, dirty.top(), 1, dirty.height(), colour)
            else:
                painter.drawLine(QLineF(x, dirty.top(), x, dirty.bottom()).translated(0.5, 0.5))
        draw_when_hidden = self.style().styleHint(
            QStyle.StyleHint.SH_Table_AlwaysDrawLeftTopGridLines, option, self)
        if draw_when_hidden and across.isHidden():
            row = down.logicalIndex(top)
            y = self.rowViewportPosition(row)
            if y == dirty.top():
                painter.drawLine(dirty.left(), y, dirty.right(), y)
        if draw_when_hidden and down.isHidden():
            column = across.logicalIndex(left)
            if not across.isSectionHidden(column):
                x = self.columnViewportPosition(column)
                if x == dirty.left():
                    painter.drawLine(x, dirty.top(), x, dirty.bottom())
        painter.setPen(old)
