"""The audit trail (admin, DPM, auditor): newest first, read in pages of 500 as the user
scrolls, filtered by action; and "Verify chain", which replays the HMAC chain and checks the
database (app.vault.Vault.verify)."""

from __future__ import annotations

from app import audit
from app.errors import SpocError
from app.users import list_users
from app.roles import ROLES
from app.timeutil import london_display
from ui.qt import QtCore, QtWidgets, Qt, Signal
from ui.kit.widgets import Area, bold_label, heading, HINT_STYLE, plain_label
from ui.worker import run_in_background

PAGE_SIZE = 500
COLUMNS = ("No.", "When (UK time)", "Who", "Action", "Record type", "Record id", "Reason")
class AuditModel(QtCore.QAbstractTableModel):
    """Audit events, newest first, fetched PAGE_SIZE at a time by sequence number."""

    def __init__(self, vault, parent: QtCore.QObject | None = None, page_size: int = PAGE_SIZE):
        super().__init__(parent)
        self.vault = vault
        self.page_size = page_size
        self._rows: list[tuple] = []
        self._filter = ""
        self._more = True
        self._roles: dict[str, str] = {}

    # ---- loading ---------------------------------------------------------------------------

    def _page(self, before: int | None) -> list[tuple]:
        return audit.page(self.vault.db, before=before, limit=self.page_size, action_contains=self._filter)

    def reload(self) -> None:
        self.beginResetModel()
        self._roles = {user.name: user.role for user in list_users(self.vault)}
        self._rows = self._page(None)
        self._more = len(self._rows) == self.page_size
        self.endResetModel()

    def set_filter(self, text: str) -> None:
        self._filter = text.strip()
        self.reload()

    def canFetchMore(self, parent=QtCore.QModelIndex()) -> bool:  # noqa: N802 - Qt's name
        return not parent.isValid() and self._more and bool(self._rows)

    def fetchMore(self, parent=QtCore.QModelIndex()) -> None:  # noqa: N802 - Qt's name
        if parent.isValid() or not self._more or not self._rows:
            return
        rows = self._page(self._rows[-1][0])
        self._more = len(rows) == self.page_size
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QtCore.QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows, self._roles, self._more = [], {}, False
        self.endResetModel()

    # ---- Qt's model interface --------------------------------------------------------------

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def text(self, row: int, column: int) -> str:
        value = self._rows[row][column]
        if value is None:
            return ""
        if column == 0:
            return str(value)
        if column == 1:
            try:
                return london_display(value)
            except ValueError:
                return str(value)
        if column == 2:
            role = self._roles.get(value)
            return f"{value} ({ROLES[role].split(':')[0]})" if role in ROLES else str(value)
        return str(value)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(index.row(), index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def seqs(self) -> list[int]:
        return [r[0] for r in self._rows]

    def actions(self) -> list[str]:
        return [r[3] for r in self._rows]


class AuditArea(Area):
    key = "audit"
    title = "Audit trail"
    permission = "audit.read"

    verified = Signal(bool)

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(session, parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(8)
        layout.addWidget(heading("Audit trail"))
        layout.addWidget(plain_label(
            "Every sign-in, view, change, export, print and disclosure on this desk, newest first. "
            "Events are chained: an edited, deleted or inserted event is detected by Verify chain."))

        filter_label = bold_label("&Filter by action")
        self.filter = QtWidgets.QLineEdit()
        self.filter.setPlaceholderText("for example login, user. or policy")
        self.filter.setAccessibleName("Filter by action")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaximumWidth(420)
        filter_label.setBuddy(self.filter)
        layout.addWidget(filter_label)
        hint = plain_label("Shows events whose action contains this text.")
        hint.setStyleSheet(HINT_STYLE)
        layout.addWidget(hint)
        layout.addWidget(self.filter)
        self._filter_timer = QtCore.QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(250)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter.returnPressed.connect(self.apply_filter)

        self.model = AuditModel(session.vault, self)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit events")
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        widths = (60, 130, 160, 150, 100, 120)
        for column, width in enumerate(widths):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table, 1)

        row = QtWidgets.QHBoxLayout()
        self.verify_button = QtWidgets.QPushButton("&Verify chain")
        self.verify_button.setToolTip("Replays the audit chain and checks the encrypted database.")
        self.verify_button.clicked.connect(self.verify)
        row.addWidget(self.verify_button)
        self.print_button = QtWidgets.QPushButton("&Print extract…")
        self.print_button.setToolTip("Preview, print or save the whole trail, newest first, marked OFFICIAL-SENSITIVE.")
        self.print_button.clicked.connect(self.print_extract)
        row.addWidget(self.print_button)
        self.count = plain_label("", wrap=False)
        row.addWidget(self.count, 1)
        layout.addLayout(row)
        self.result = plain_label("", selectable=True)
        self.result.setAccessibleName("Verification result")
        self.result.hide()
        layout.addWidget(self.result)
        if not session.can("vault.verify"):
            self.verify_button.hide()

    def print_extract(self):
        from ui.kit.preview import show_report

        return show_report(self, self.session, "audit", "all")

    def refresh(self) -> None:
        """Shown: reading the trail is itself recorded in it."""
        self.session.vault.audit("audit.viewed", record_type="audit")
        self._reload()

    def _reload(self) -> None:
        self.model.reload()
        head = self.session.vault.chain_head()
        self.count.setText(f"{head.seq} events in all; chain head {head.short()}")

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.model.set_filter(self.filter.text())

    def verify(self) -> None:
        """Check the vault in the background (on a large vault the page check takes seconds); the
        result is shown and `verified` emitted when it is done. The gateway serialises the
        statements, so the window stays usable meanwhile."""
        vault = self.session.vault
        self.verify_button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText("Checking every encrypted page and replaying the audit chain…")
        self.result.show()
        run_in_background(vault.verify, self._verified, self._verify_failed)

    def _verify_failed(self, exc: BaseException) -> None:
        text = str(exc.args[0]) if isinstance(exc, SpocError) and exc.args else "The vault could not be verified."
        self._show_verification(False, text)

    def _verified(self, report) -> None:
        info = report.as_dict()
        if report.ok:
            text = (f"Verified: the audit chain is intact from event 1 to event {info['audit_events']} "
                    f"(chain head {info['audit_head']}), and the encrypted database passed its "
                    "checks. The check itself is recorded as the next event.")
        else:
            text = "Problems found:\n" + "\n".join(f"• {p}" for p in report.problems)
        self._show_verification(report.ok, text)

    def _show_verification(self, ok: bool, text: str) -> None:
        if self.session.vault is None:  # locked while checking: nothing to show
            return
        self.verify_button.setEnabled(True)
        colour = "#00703c" if ok else "#b10e1e"
        self.result.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.result.setText(text)
        self.result.show()
        self._reload()
        self.verified.emit(ok)
