"""The one paged table model: rows read page by page (keyset paging) through the worker, so a
long list (the requests, the audit trail, the disclosure register) never freezes the window.

A screen subclasses it with its columns and two hooks that run in the worker with plain data:
`read_page(vault, query, after, limit)` calls the core and returns `(items, next_after)`
(`next_after` None at the end), and `row_texts(item)` makes the cells' text, so `data()` only
looks it up. Filters are the `query` given to `reload(**query)`: they go to the core as
conditions of its SQL, never applied by scanning pages here.

The first page is `page_size` rows and each further one twice the last, up to `max_page_size`
(scrolling to the end of 100,000 rows takes about 25 pages rather than 500; each page costs a
worker round trip, an insert and a repaint).

Sorting happens in the database, over the whole set (issue 17): a model names the columns that
sort in `sorts` (column -> the key of the core's whitelisted sort map, app/listing.py) and
clicking such a header reads the list again from the first page with `sort` and `descending`
in the query. A column not in `sorts` does not sort (its click is refused and the arrow stays
where it was), so a list never pretends that ordering the rows loaded so far orders them all.
The arrow is drawn in the header's text, ▲ ascending and ▼ descending as Windows shows it (Qt's
own indicator points the other way in some styles and is hidden); `sort_caption` says in words
what order is shown.
"""

from __future__ import annotations

from typing import Any

from ui.kit.dialogs import error_text
from ui.qt import QtCore, QtGui, Signal
from ui.worker import Op

_QT = QtCore.Qt
DISPLAY = _QT.ItemDataRole.DisplayRole
TOOLTIP = _QT.ItemDataRole.ToolTipRole
ID_ROLE = _QT.ItemDataRole.UserRole  # the row's record id
_ALIGN = _QT.ItemDataRole.TextAlignmentRole
_ASCENDING, _DESCENDING = _QT.SortOrder.AscendingOrder, _QT.SortOrder.DescendingOrder


class PagedTableModel(QtCore.QAbstractTableModel):
    columns: tuple[str, ...] = ()
    sorts: dict[int, str] = {}  # column -> the core's sort key; only these columns sort
    default_sort: tuple[int, Any] = (0, _DESCENDING)
    fallback = "The list could not be read. Try again."

    loading_changed = Signal(bool)
    failed = Signal(str)   # the error in words
    page_arrived = Signal()
    sort_changed = Signal()
    sort_refused = Signal(int, object)  # a click on a column that does not sort: the (column, order) kept

    def __init__(self, vault, parent: QtCore.QObject | None = None, page_size: int = 200,
                 max_page_size: int | None = None):
        super().__init__(parent)
        self.vault = vault
        self.page_size = page_size
        self.max_page_size = max(page_size, max_page_size or page_size)
        self.query: dict = {}
        self._items: list = []
        self._texts: list[tuple[str, ...]] = []
        self._next_after: Any = None
        self._next_size = page_size
        self._more = False
        self._op: Op | None = None
        self._sort: tuple[int, Any] = self.default_sort
        self._started = False

    # ---- hooks (read_page and row_texts run in the worker: plain data, no Qt) ---------------

    def read_page(self, vault, query: dict, after, limit: int) -> tuple[list, Any]:
        raise NotImplementedError

    def row_texts(self, item) -> tuple[str, ...]:
        raise NotImplementedError

    def item_id(self, item):
        return getattr(item, "id", None)

    def tooltip(self, row: int, column: int) -> str:
        return self._texts[row][column]

    def alignment(self, column: int):
        return None

    def foreground(self, row: int, column: int):
        """A cell's text colour (a QColor), or None; an urgent cell says so in words as well."""
        return None

    def bold(self, row: int, column: int) -> bool:
        return False

    # ---- loading ---------------------------------------------------------------------------

    def reload(self, **query) -> None:
        """Read again from the first page, with these conditions (for the core's query)."""
        self.query = {**query, **self.sort_query()}
        self._started = True
        self._drop_op()
        self.beginResetModel()
        self._items, self._texts = [], []
        self._next_after, self._more, self._next_size = None, True, self.page_size
        self.endResetModel()
        self._fetch()

    def clear(self) -> None:
        self._drop_op()
        self.beginResetModel()
        self._items, self._texts, self._more = [], [], False
        self.endResetModel()

    def _drop_op(self) -> None:
        if self._op is not None:
            was_loading = self._op.running
            self._op.cancel()
            self._op = None
            if was_loading:
                self.loading_changed.emit(False)

    def _fetch(self) -> None:
        if self.is_loading() or not self._more:
            return
        vault, query, after, limit = self.vault, dict(self.query), self._next_after, self._next_size
        self._next_size = min(self._next_size * 2, self.max_page_size)
        read, texts = self.read_page, self.row_texts

        def work():
            items, next_after = read(vault, query, after, limit)
            return items, next_after, [texts(item) for item in items]

        op = Op(self, work, self.fallback).success(lambda got: self._arrived(*got)).failure(self._failed)
        self._op = op.run()
        if op.running:
            self.loading_changed.emit(True)

    def _arrived(self, items: list, next_after, texts: list) -> None:
        self._op = None
        self._next_after = next_after
        self._more = next_after is not None
        if items:
            first = len(self._items)
            self.beginInsertRows(QtCore.QModelIndex(), first, first + len(items) - 1)
            self._items.extend(items)
            self._texts.extend(texts)
            self.endInsertRows()
        self.loading_changed.emit(False)
        self.page_arrived.emit()

    def _failed(self, exc: BaseException) -> None:
        self._op = None
        self._more = False
        self.loading_changed.emit(False)
        self.failed.emit(error_text(exc, self.fallback))

    def is_loading(self) -> bool:
        return self._op is not None and self._op.running

    def canFetchMore(self, parent=QtCore.QModelIndex()) -> bool:  # noqa: N802 - Qt's name
        return not parent.isValid() and self._more and not self.is_loading() and bool(self._items)

    def fetchMore(self, parent=QtCore.QModelIndex()) -> None:  # noqa: N802 - Qt's name
        if not parent.isValid():
            self._fetch()

    # ---- sorting (in the database, over the whole set) --------------------------------------

    def sortable(self, column: int) -> bool:
        return column in self.sorts

    def sort_state(self) -> tuple[int, Any]:
        """(column, Qt order) of the list as shown."""
        return self._sort

    def sort(self, column: int, order=_ASCENDING) -> None:
        if not self.sortable(column):
            self.sort_refused.emit(*self._sort)
            return
        state = (column, _QT.SortOrder(order))
        if state == self._sort:
            return
        self._sort = state
        self.headerDataChanged.emit(_QT.Orientation.Horizontal, 0, max(0, len(self.columns) - 1))
        if self._started:
            self.reload(**{k: v for k, v in self.query.items() if k not in ("sort", "descending")})
        self.sort_changed.emit()

    def sort_query(self) -> dict:
        if not self.sorts:
            return {}
        column, order = self._sort
        return {"sort": self.sorts[column], "descending": order == _DESCENDING}

    def sort_caption(self) -> str:
        """What order the list shows, in words (from the core's sort map); "" if it does not sort."""
        return ""

    # ---- what a screen reads ---------------------------------------------------------------

    def item(self, row: int):
        return self._items[row]

    def items(self) -> list:
        return list(self._items)

    def text(self, row: int, column: int) -> str:
        return self._texts[row][column]

    # ---- Qt's model interface --------------------------------------------------------------

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=DISPLAY):  # noqa: N802 - Qt's name
        if orientation != _QT.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == DISPLAY:
            if self.sorts and section == self._sort[0]:
                return f"{self.columns[section]} {'▲' if self._sort[1] == _ASCENDING else '▼'}"
            return self.columns[section]
        if role == TOOLTIP and self.sorts:
            return ("Sorted by this column; click to reverse" if section == self._sort[0] else
                    "Click to sort the whole list by this column" if self.sortable(section) else
                    "This column does not sort")
        return None

    def data(self, index, role=DISPLAY):
        row = index.row()
        if row < 0 or row >= len(self._items):
            return None
        if role == DISPLAY:
            return self._texts[row][index.column()]
        if role == ID_ROLE:
            return self.item_id(self._items[row])
        if role == TOOLTIP:
            return self.tooltip(row, index.column())
        if role == _ALIGN:
            return self.alignment(index.column())
        if role == _QT.ItemDataRole.ForegroundRole:
            return self.foreground(row, index.column())
        if role == _QT.ItemDataRole.FontRole and self.bold(row, index.column()):
            font = QtGui.QFont()
            font.setBold(True)
            return font
        return None


def setup_sorting(table, model: PagedTableModel) -> None:
    """A QTableView over `model` sorting in the database: the header's clicks go to the model, the
    header's own arrow is hidden (the model draws ▲/▼ in the text), a refused click puts the
    header back where the list is."""
    header = table.horizontalHeader()
    column, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
    if table.property("spocdeskRestored") and model.sortable(column):
        model.sort(column, order)  # the sort this table was left in (ui/kit/tables.py)
    header.setSortIndicator(*model.sort_state())
    header.setSectionsClickable(True)
    table.setSortingEnabled(True)
    header.setSortIndicatorShown(False)  # after setSortingEnabled, which shows Qt's own arrow again

    def refused(column, order):
        header.blockSignals(True)
        header.setSortIndicator(column, order)
        header.blockSignals(False)

    model.sort_refused.connect(refused)
