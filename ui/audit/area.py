"""The audit trail (admin, DPM, auditor): newest first, read in pages of 500 as the user
scrolls, filtered by action; and "Verify chain", which replays the HMAC chain and checks the
database (app.vault.Vault.verify)."""

from __future__ import annotations

from app import audit
from app.users import list_users
from app.roles import ROLES
from ui.qt import QtCore, QtWidgets, Qt, Signal
from ui.kit.formatting import uk_time
from ui.kit.widgets import Area, bold_label, heading, HINT_STYLE, plain_label
from ui.kit.paged import PagedTableModel, setup_sorting
from ui.kit.tables import remember
from ui.worker import Op
from ui.kit import theme

PAGE_SIZE = 500
COLUMNS = ("No.", "When (UK time)", "Who", "Action", "Record type", "Record id", "Reason")
class AuditModel(PagedTableModel):
    """Audit events, newest first, fetched PAGE_SIZE at a time by sequence number through the
    worker (ui/kit/paged.py); the action filter is a condition of app.audit.page's query."""

    columns = COLUMNS
    sorts = {0: "seq", 1: "seq"}  # number and time are the same order: events are appended as they happen
    fallback = "The audit trail could not be read."

    def __init__(self, vault, parent: QtCore.QObject | None = None, page_size: int = PAGE_SIZE):
        super().__init__(vault, parent, page_size)

    def read_page(self, vault, query, after, limit):
        oldest = query.get("descending") is False
        rows = audit.page(vault.db, before=None if oldest else after, after=after if oldest else None, limit=limit,
                          action_contains=query.get("action", ""), oldest_first=oldest)
        roles = {user.name: user.role for user in list_users(vault)} if rows else {}
        items = [row + (roles.get(row[2]),) for row in rows]  # the actor's role, for the "Who" column
        return items, (rows[-1][0] if len(rows) == limit else None)

    def row_texts(self, item) -> tuple[str, ...]:
        return tuple(_cell(item, column) for column in range(len(COLUMNS)))

    def item_id(self, item):
        return item[0]

    def alignment(self, column: int):
        return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) if column == 0 else None

    def sort_caption(self) -> str:
        return "Oldest first" if self.sort_query().get("descending") is False else "Newest first"

    def set_filter(self, text: str) -> None:
        self.reload(action=text.strip())

    def seqs(self) -> list[int]:
        return [r[0] for r in self.items()]

    def actions(self) -> list[str]:
        return [r[3] for r in self.items()]


def _cell(item: tuple, column: int) -> str:
    value = item[column]
    if value is None:
        return ""
    if column == 0:
        return str(value)
    if column == 1:
        return uk_time(value, "")
    if column == 2:
        role = item[len(COLUMNS)]
        return f"{value} ({ROLES[role].split(':')[0]})" if role in ROLES else str(value)
    return str(value)


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
            "Every sign-in, view, change, export, print and disclosure on this desk, newest first (click No. "
            "or When for oldest first). "
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
        theme.style(hint, HINT_STYLE)
        layout.addWidget(hint)
        layout.addWidget(self.filter)
        self._filter_timer = QtCore.QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(250)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter.returnPressed.connect(self.apply_filter)

        self.model = AuditModel(session.vault, self)
        self.model.failed.connect(self._show_failure)
        self.model.loading_changed.connect(self._loading_changed)
        self._head_op: Op | None = None
        self._verified_ok: bool | None = None
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
        remember(self.table, "audit")  # widths, order and sort kept across a lock
        setup_sorting(self.table, self.model)
        self.model.sort_changed.connect(self._reload)
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
        """The first page and the chain head, both read off the GUI thread."""
        self.model.set_filter(self.filter.text())
        vault = self.session.vault
        if self._head_op is not None:
            self._head_op.cancel()
        self.count.setText("Reading the audit trail…")
        self._head_op = Op(self, vault.chain_head, "The audit trail could not be read.") \
            .success(lambda head: self.count.setText(f"{self.model.sort_caption()}. {head.seq} events in all; "
                                                     f"chain head {head.short()}")) \
            .error_to(self.count).run()

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.model.set_filter(self.filter.text())

    def verify(self) -> None:
        """Check the vault in the background (on a large vault the page check takes seconds); the
        result is shown and `verified` emitted when it is done. The gateway serialises the
        statements, so the window stays usable meanwhile."""
        vault = self.session.vault
        theme.style(self.result, "")
        self.result.setText("Checking every encrypted page and replaying the audit chain…")
        self.result.show()
        Op(self, vault.verify, "The vault could not be verified.").busy(self.verify_button) \
            .success(self._verified).error_to(lambda text: self._show_verification(False, text)).run()

    def _show_failure(self, text: str) -> None:
        theme.style(self.result, "color: {danger}; font-weight: bold;")
        self.result.setText(text)
        self.result.show()

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
        colour = "{ok}" if ok else "{danger}"
        theme.style(self.result, f"color: {colour}; font-weight: bold;")
        self.result.setText(text)
        self.result.show()
        self._reload()
        self._verified_ok = ok  # `verified` once the trail, with the check's own event, is read again

    def _loading_changed(self, loading: bool) -> None:
        if not loading and self._verified_ok is not None:
            ok, self._verified_ok = self._verified_ok, None
            self.verified.emit(ok)
