"""Every table remembers its column widths, column order and sort, per machine, across a lock
and a restart (issue 17): `remember(table, name)` restores the header's saved state and saves it
again half a second after the user resizes, moves or sorts a column, and at once when the main
window saves its own state on a lock (`save_all`). The state is Qt's header state (widths,
order, sort indicator) kept in ui/kit/config.py as base64 text: no personal data.

Call it after the table has its model and default widths and before `setSortingEnabled(True)`
(or ui.kit.paged.setup_sorting), so the remembered sort is the one the list is first read in.
"""

from __future__ import annotations

import weakref

from ui.kit import config
from ui.qt import QtCore, QtWidgets

PREFIX = "table."
_live: "weakref.WeakSet[_Memory]" = weakref.WeakSet()


class _Memory(QtCore.QObject):
    def __init__(self, table: QtWidgets.QTableView, name: str):
        super().__init__(table)
        self.table = table
        self.name = PREFIX + name
        self.pending = False
        self.timer = QtCore.QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(500)
        self.timer.timeout.connect(self.save_if_shown)
        header = table.horizontalHeader()
        for signal in (header.sectionResized, header.sectionMoved, header.sortIndicatorChanged):
            signal.connect(self.later)

    def later(self, *_args) -> None:
        self.pending = True
        self.timer.start()

    def save_if_shown(self) -> None:
        """The half-second save, for a table whose window is still open: a closed window's late
        timer must not write over what another window (or another vault's session) keeps."""
        try:
            shown = self.table.window().isVisible()
        except RuntimeError:  # the table is gone
            return
        if shown:
            self.save()

    def save(self) -> None:
        self.timer.stop()
        if not self.pending:
            return
        self.pending = False
        try:
            state = bytes(self.table.horizontalHeader().saveState())
        except RuntimeError:  # the table is gone
            return
        config.set_window_state(self.name, state)


def remember(table: QtWidgets.QTableView, name: str) -> None:
    """Restore `table`'s remembered header and keep it remembered under `name`."""
    header = table.horizontalHeader()
    saved = config.window_state(PREFIX + name)
    if saved:
        columns = header.count()
        if header.restoreState(QtCore.QByteArray(saved)) and header.count() == columns:
            table.setProperty("spocdeskRestored", True)
        else:
            header.reset()
    memory = _Memory(table, name)
    _live.add(memory)
    table.setProperty("spocdeskRemembered", True)


def remember_all(root: QtWidgets.QWidget, prefix: str) -> None:
    """Remember every table under `root` not already remembered, by its accessible name (the main
    window calls this for each area it builds, so a new table is remembered without asking)."""
    seen: dict[str, int] = {}
    for table in root.findChildren(QtWidgets.QTableView):
        if table.property("spocdeskRemembered") or not table.accessibleName():
            continue
        name = f"{prefix}.{table.accessibleName().casefold().replace(' ', '_')}"
        seen[name] = seen.get(name, 0) + 1
        remember(table, name if seen[name] == 1 else f"{name}.{seen[name]}")


def save_all() -> None:
    """Save every table's pending change now (the main window calls this before a lock)."""
    for memory in list(_live):
        memory.save()
