"""One cold GUI measurement per process (run by bench/run.py, offscreen Qt).

    python -m bench.gui_probe bare-window                 a bare PySide6 window painted
    python -m bench.gui_probe app-unlock VAULT [--list]   `spocdesk open VAULT` to its unlock screen
                                                         painted; with --list also unlock as the
                                                         bench user, main window painted, Requests
                                                         list first paint, scroll to the end
    python -m bench.gui_probe bare-table VAULT            a bare QTableView over raw SELECTs of the
                                                         same vault: first 200 rows painted, then
                                                         every row, scrolled to the end
    python -m bench.gui_probe app-sorted VAULT            unlock, Requests list painted, then each of
                                                         SORTED_STEPS (a header click or a filter)
                                                         timed to the list's next paint with rows
    python -m bench.gui_probe bare-sorted VAULT           the floor: a bare QTableView painting the
                                                         first 200 rows of the same orders, read
                                                         with raw SELECTs

Times are on the system-wide monotonic clock; `BENCH_T0` (set by the parent just before it
started this process) marks the start, so "start" includes the interpreter and every import.
Prints one JSON object on the last line of stdout.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

T0 = float(os.environ.get("BENCH_T0", time.monotonic()))


def _now() -> float:
    return time.monotonic()


def _rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    current = peak = 0.0
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    current = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current, peak


def _reset_peak() -> None:
    """Start this process's peak-RSS count afresh (Linux: `5` to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        pass


def _emit(result: dict) -> None:
    result["rss_mb"], result["peak_rss_mb"] = _rss_mb()
    print(json.dumps(result), flush=True)


def _exit_now(code: int) -> None:
    """Leave without interpreter finalisation: after a long scroll, PySide6 6.12 on Python 3.11
    can abort in the final garbage collection ("bool_dealloc: deallocating True or False", a
    reference-count bug in a C extension), after the result and the vault's lock are done."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class PaintWatch:
    """Calls `on_paint(widget)` for Paint events of widgets `want(widget)` accepts.

    The application-wide filter is installed only while a hook waits: a filter in Python costs
    every event of every widget a trip through Python (far more when the event's wrapper type is
    made on first use), which would charge the app for the probe the more widgets it builds."""

    def __init__(self, app, QtCore):
        self.app = app
        self.hooks: list = []
        watch = self

        class Filter(QtCore.QObject):
            def eventFilter(inner, obj, event):  # noqa: N802,N805 - Qt's name
                if event.type() == QtCore.QEvent.Type.Paint and watch.hooks:
                    for hook in list(watch.hooks):
                        want, on_paint = hook
                        if want(obj):
                            watch.hooks.remove(hook)
                            # after this paint is done
                            QtCore.QTimer.singleShot(0, lambda o=obj, f=on_paint: f(o))
                    if not watch.hooks:
                        app.removeEventFilter(inner)
                return False

        self.filter = Filter()

    def once(self, want, on_paint) -> None:
        if not self.hooks:
            self.app.installEventFilter(self.filter)
        self.hooks.append((want, on_paint))


def on_first_paint(window_class, QtCore, on_paint) -> None:
    """Calls `on_paint(window)` once, after the first paint of a `window_class` window is done.

    A paintEvent on the class itself (set before the window exists) sees only that window's
    own paints, so watching costs the app nothing while it builds its widgets."""
    inherited = window_class.paintEvent
    state = {"done": False}

    def paintEvent(self, event):  # noqa: N802 - Qt's name
        inherited(self, event)
        if not state["done"]:
            state["done"] = True
            QtCore.QTimer.singleShot(0, lambda: on_paint(self))

    window_class.paintEvent = paintEvent


def bare_window() -> int:
    from PySide6 import QtCore, QtWidgets

    app = QtWidgets.QApplication([sys.argv[0]])

    class BareWindow(QtWidgets.QWidget):
        pass

    window = BareWindow()
    window.setWindowTitle("bare")
    layout = QtWidgets.QVBoxLayout(window)
    layout.addWidget(QtWidgets.QLabel("Unlock"))
    layout.addWidget(QtWidgets.QLineEdit())
    layout.addWidget(QtWidgets.QPushButton("OK"))
    window.resize(640, 480)

    def painted(_w):
        _emit({"shown_s": _now() - T0})
        app.quit()

    on_first_paint(BareWindow, QtCore, painted)
    window.show()
    return app.exec()


def app_unlock(vault: str, with_list: bool, user: str, passphrase: str) -> int:
    """The app makes its own QApplication, as it does for a user; the probe only watches."""
    from PySide6 import QtCore, QtWidgets

    result: dict = {}
    state: dict = {}

    def unlock_shown(window):
        result["shown_s"] = _now() - T0
        app = state["app"] = QtWidgets.QApplication.instance()
        state["watch"] = PaintWatch(app, QtCore)
        if not with_list:
            _emit(result)
            state["app"].quit()
            return
        from ui.shell.main_window import MainWindow

        on_first_paint(MainWindow, QtCore, main_shown)
        window.user_box.setCurrentText(user)
        window.passphrase.setText(passphrase)
        state["unlock_t"] = _now()
        window.attempt_unlock()

    def main_shown(main):
        result["unlock_to_main_s"] = _now() - state["unlock_t"]
        result["main_rss_mb"], result["unlock_peak_rss_mb"] = _rss_mb()
        _reset_peak()  # from here the peak is the open vault's, not the unlock's Argon2id (256 MiB)
        area = main.area("requests")
        state["area"] = area
        viewport = area.table.viewport()
        state["watch"].once(lambda w: w is viewport and area.model.rowCount() > 0, list_painted)
        state["list_t"] = _now()
        main.show_area("requests")

    def list_painted(_viewport):
        result["list_first_paint_s"] = _now() - state["list_t"]
        result["unlock_to_list_s"] = _now() - state["unlock_t"]
        result["list_rss_mb"] = _rss_mb()[0]
        state["scroll_t"] = _now()
        QtCore.QTimer.singleShot(0, scroll_step)

    def scroll_step():
        area = state["area"]
        model, table = area.model, area.table
        if model.is_loading():
            QtCore.QTimer.singleShot(1, scroll_step)
            return
        table.scrollToBottom()  # the view asks the model for more as it reaches the end
        if model.is_loading() or model.canFetchMore():
            if not model.is_loading():
                model.fetchMore()
            QtCore.QTimer.singleShot(0, scroll_step)
            return
        viewport = table.viewport()
        state["watch"].once(lambda w: w is viewport, scrolled)
        viewport.update()

    def scrolled(_viewport):
        area = state["area"]
        result["scroll_to_end_s"] = _now() - state["scroll_t"]
        result["rows"] = area.model.rowCount()
        _emit(result)
        state["app"].quit()

    from ui.shell.unlock import UnlockWindow

    on_first_paint(UnlockWindow, QtCore, unlock_shown)
    from spocdesk.launcher import main as launcher_main

    return launcher_main(["open", vault])


def bare_table(vault_path: str, user: str, passphrase: str) -> int:
    from PySide6 import QtCore, QtWidgets
    from app.vault import Vault

    app = QtWidgets.QApplication([sys.argv[0]])
    watch = PaintWatch(app, QtCore)
    vault = Vault.open(vault_path, user=user, passphrase=passphrase)
    db = vault.db
    result: dict = {}
    state: dict = {}
    columns = ("Reference", "Request date", "Status", "Requested by", "Subjects", "Agencies answered", "Overdue")
    sql = ("SELECT seq, reference, request_date, status, requester_name FROM requests"
           " ORDER BY seq DESC")

    class Model(QtCore.QAbstractTableModel):
        def __init__(self, rows):
            super().__init__()
            self.rows = rows

        def rowCount(self, parent=QtCore.QModelIndex()):  # noqa: N802
            return 0 if parent.isValid() else len(self.rows)

        def columnCount(self, parent=QtCore.QModelIndex()):  # noqa: N802
            return 0 if parent.isValid() else len(columns)

        def headerData(self, section, orientation, role=QtCore.Qt.ItemDataRole.DisplayRole):  # noqa: N802
            if role == QtCore.Qt.ItemDataRole.DisplayRole and orientation == QtCore.Qt.Orientation.Horizontal:
                return columns[section]
            return None

        def data(self, index, role=QtCore.Qt.ItemDataRole.DisplayRole):
            if role != QtCore.Qt.ItemDataRole.DisplayRole or not index.isValid():
                return None
            row = self.rows[index.row()]
            column = index.column()
            return str(row[column + 1]) if column < 4 else ""

    class BareWindow(QtWidgets.QWidget):
        pass

    window = BareWindow()
    layout = QtWidgets.QVBoxLayout(window)
    table = QtWidgets.QTableView()
    layout.addWidget(table)
    window.resize(1100, 720)

    def window_shown(_w):
        viewport = table.viewport()
        watch.once(lambda w: w is viewport and table.model() is not None, first_paint)
        state["t"] = _now()
        rows = db.query(sql + " LIMIT 200")
        table.setModel(Model(rows))

    def first_paint(_viewport):
        result["list_first_paint_s"] = _now() - state["t"]
        state["t"] = _now()
        rows = db.query(sql)
        table.setModel(Model(rows))
        table.scrollToBottom()
        viewport = table.viewport()
        watch.once(lambda w: w is viewport, scrolled)
        viewport.update()

    def scrolled(_viewport):
        result["scroll_to_end_s"] = _now() - state["t"]
        result["rows"] = table.model().rowCount()
        vault.close()
        _emit(result)
        app.quit()

    on_first_paint(BareWindow, QtCore, window_shown)
    window.show()
    return app.exec()


# The sorted and filtered lists of issue 17: (name, what the app does, the floor's raw SELECT).
SORTED_STEPS = (
    ("requester A to Z", "sort:3:asc",
     "SELECT seq, reference, request_date, status, requester_name FROM requests"
     " ORDER BY requester_name COLLATE NOCASE, seq LIMIT 200"),
    ("request date, earliest first", "sort:1:asc",
     "SELECT seq, reference, request_date, status, requester_name FROM requests ORDER BY request_date, seq LIMIT 200"),
    ("open only, earliest date first", "filter:open",
     "SELECT seq, reference, request_date, status, requester_name FROM requests WHERE status = 'open'"
     " ORDER BY request_date, seq LIMIT 200"),
    ("overdue answers, oldest first", "filter:overdue",
     "SELECT d.seq, r.reference, d.due_date, d.status, d.agency FROM dispatches d"
     " INDEXED BY dispatches_waiting_due JOIN requests r ON r.id = d.request_id"
     " WHERE d.status IN ('sent','acknowledged') AND d.due_date < date('now') ORDER BY d.due_date, d.seq LIMIT 200"),
)


def app_sorted(vault: str, user: str, passphrase: str) -> int:
    """Each of SORTED_STEPS in the real Requests area: the time from the click (or the filter's
    change) to the first paint of the list's viewport with its new first page."""
    from PySide6 import QtCore, QtWidgets

    result: dict = {"steps": {}}
    state: dict = {"step": 0}

    def unlock_shown(window):
        app = state["app"] = QtWidgets.QApplication.instance()
        state["watch"] = PaintWatch(app, QtCore)
        from ui.shell.main_window import MainWindow

        on_first_paint(MainWindow, QtCore, main_shown)
        window.user_box.setCurrentText(user)
        window.passphrase.setText(passphrase)
        window.attempt_unlock()

    def main_shown(main):
        area = state["area"] = main.area("requests")
        viewport = area.table.viewport()
        state["watch"].once(lambda w: w is viewport and area.model.rowCount() > 0 and not area.model.is_loading(),
                            lambda _v: QtCore.QTimer.singleShot(50, next_step))
        main.show_area("requests")

    def next_step():
        area = state["area"]
        if state["step"] >= len(SORTED_STEPS):
            _emit(result)
            state["app"].quit()
            return
        name, action, _sql = SORTED_STEPS[state["step"]]
        kind, _, rest = action.partition(":")
        if kind == "sort":
            column, order = rest.split(":")
            model, table = area.model, area.table
        else:
            model = area.overdue_model if rest == "overdue" else area.model
            table = area.overdue_table if rest == "overdue" else area.table
        viewport = table.viewport()
        state["watch"].once(lambda w: w is viewport and not model.is_loading(), lambda _v: done(name))
        state["t"] = _now()
        if kind == "sort":
            table.sortByColumn(int(column), QtCore.Qt.SortOrder.AscendingOrder if order == "asc"
                               else QtCore.Qt.SortOrder.DescendingOrder)
        else:
            area.filter.setCurrentIndex(area.filter.findData(rest))
        viewport.update()

    def done(name):
        result["steps"][name] = _now() - state["t"]
        state["step"] += 1
        QtCore.QTimer.singleShot(50, next_step)

    from ui.shell.unlock import UnlockWindow

    on_first_paint(UnlockWindow, QtCore, unlock_shown)
    from spocdesk.launcher import main as launcher_main

    return launcher_main(["open", vault])


def bare_sorted(vault_path: str, user: str, passphrase: str) -> int:
    from PySide6 import QtCore, QtGui, QtWidgets
    from app.vault import Vault

    app = QtWidgets.QApplication([sys.argv[0]])
    watch = PaintWatch(app, QtCore)
    vault = Vault.open(vault_path, user=user, passphrase=passphrase)
    result: dict = {"steps": {}}
    state: dict = {"step": 0}

    class BareWindow(QtWidgets.QWidget):
        pass

    window = BareWindow()
    layout = QtWidgets.QVBoxLayout(window)
    table = QtWidgets.QTableView()
    layout.addWidget(table)
    window.resize(1100, 720)

    def next_step(_w=None):
        if state["step"] >= len(SORTED_STEPS):
            vault.close()
            _emit(result)
            app.quit()
            return
        name, _action, sql = SORTED_STEPS[state["step"]]
        viewport = table.viewport()
        watch.once(lambda w: w is viewport, lambda _v: done(name))
        state["t"] = _now()
        model = QtGui.QStandardItemModel()
        for row in vault.db.query(sql):
            model.appendRow([QtGui.QStandardItem(str(row[i])) for i in range(5)])
        table.setModel(model)
        viewport.update()

    def done(name):
        result["steps"][name] = _now() - state["t"]
        state["step"] += 1
        QtCore.QTimer.singleShot(50, next_step)

    on_first_paint(BareWindow, QtCore, lambda _w: QtCore.QTimer.singleShot(50, next_step))
    window.show()
    return app.exec()


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    mode = argv[1]
    user = os.environ.get("BENCH_USER", "spoc")
    passphrase = os.environ.get("BENCH_PASSPHRASE", "")
    if mode == "bare-window":
        return bare_window()
    if mode == "app-unlock":
        _exit_now(app_unlock(argv[2], "--list" in argv, user, passphrase))
    if mode == "bare-table":
        return bare_table(argv[2], user, passphrase)
    if mode == "app-sorted":
        _exit_now(app_sorted(argv[2], user, passphrase))
    if mode == "bare-sorted":
        return bare_sorted(argv[2], user, passphrase)
    print(f"unknown mode {mode!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
