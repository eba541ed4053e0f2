"""The consents register (SPOC, DPM; sections 6.2, 6.3, 7.3): every consent request this desk
made or received, with its grants, refusals and withdrawals. The SPOC answers a request received
(Answer…), withdraws a grant this desk made (Withdraw…) and prints the register marked. Packages
arrive through File ▸ Receive package…, like any other."""

from __future__ import annotations

from app import consent
from app.errors import SpocError
from ui.consent.dialogs import answer_dialog, withdraw_dialog
from ui.kit.dialogs import error_text
from ui.kit.fields import readonly_text, summary_row
from ui.kit.formatting import agency_name, plural, uk_date, uk_time
from ui.kit.forms import fill, table
from ui.kit.widgets import SUCCESS_STYLE, Area, announce, frameless_scroll, heading, hint_label, plain_label
from ui.qt import QtWidgets
from ui.kit import theme

COLUMNS = ("Reference", "Asked", "Way", "Originator", "To whom", "Purpose", "Items", "State")


def way_words(asked) -> str:
    return "Asked by this desk" if asked.direction == "made" else f"Asked of this desk by {asked.asking_agency}"


class ConsentsArea(Area):
    key = "consents"
    title = "Consents"
    permission = "disclosures.read"

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(session, parent)
        self.requests: list = []
        self.dialog = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(6)
        layout.addWidget(heading("Consents register"))
        layout.addWidget(plain_label(
            "Sections 6.2, 6.3 and 7.3: another partner's information goes to a third party only with that "
            "partner's written consent. Requests this desk made and received, and every grant, refusal and "
            "withdrawal. A grant is written consent because the originating desk signed it; it covers only its "
            "items, recipient and purpose, until its date."))
        self.table = table(COLUMNS, "Consent requests")
        self.table.setWordWrap(False)
        self.table.itemSelectionChanged.connect(self.show_selected)
        layout.addWidget(self.table, 2)
        buttons = QtWidgets.QHBoxLayout()
        self.answer_button = QtWidgets.QPushButton("&Answer…")
        self.answer_button.setToolTip("Grant (all or some items) or refuse a request another desk sent here.")
        self.answer_button.clicked.connect(self.answer_selected)
        self.withdraw_button = QtWidgets.QPushButton("&Withdraw consent…")
        self.withdraw_button.clicked.connect(self.withdraw_selected)
        self.print_button = QtWidgets.QPushButton("&Print register…")
        self.print_button.clicked.connect(self.print_register)
        for button in (self.answer_button, self.withdraw_button, self.print_button):
            buttons.addWidget(button)
        self.count = plain_label("", wrap=False)
        buttons.addWidget(self.count, 1)
        layout.addLayout(buttons)
        self.notice = plain_label("")
        self.notice.hide()
        layout.addWidget(self.notice)
        layout.addWidget(hint_label("Consent packages from partners arrive with File ▸ Receive package…"))
        self.details_scroll = frameless_scroll()
        self.details = QtWidgets.QWidget()
        self.details_layout = QtWidgets.QVBoxLayout(self.details)
        self.details_scroll.setWidget(self.details)
        layout.addWidget(self.details_scroll, 3)
        self.refresh()

    # ---- loading ------------------------------------------------------------------------------

    def refresh(self) -> None:
        try:
            self.requests = consent.list_requests(self.session.vault)
        except SpocError as exc:
            self.count.setText(error_text(exc, "The consents register could not be read."))
            return
        fill(self.table, [(asked.reference, uk_time(asked.asked_at), way_words(asked), asked.originator,
                           asked.recipient, consent.purpose_words(asked.purpose), str(len(asked.items)), asked.state)
                          for asked in self.requests], [asked.id for asked in self.requests], max_height=420)
        self.count.setText(plural(len(self.requests), "consent request"))
        self._update_buttons()

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self.requests[rows[0].row()] if rows else None

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)

    def _grant_to_withdraw(self, asked):
        if asked is None or asked.direction != "received":
            return None
        return next((a for a in asked.answers if a.direction == "made" and a.state in ("in force", "expired")
                     and a.decision == "granted"), None)

    def _update_buttons(self) -> None:
        asked = self.selected()
        self.answer_button.setEnabled(asked is not None and asked.direction == "received"
                                      and asked.state == "awaiting answer")
        self.withdraw_button.setEnabled(self._grant_to_withdraw(asked) is not None)

    # ---- showing ------------------------------------------------------------------------------

    def show_selected(self) -> None:
        self._update_buttons()
        asked = self.selected()
        while self.details_layout.count():
            child = self.details_layout.takeAt(0).widget()
            if child is not None:
                child.deleteLater()
        if asked is None:
            return
        vault = self.session.vault
        self.values = {
            "Request": f"{asked.reference}: {way_words(asked)}",
            "Originator (asked)": f"{agency_name(asked.originator)} ({asked.originator})",
            "To whom it would go": f"{agency_name(asked.recipient)} ({asked.recipient})",
            "Purpose": consent.purpose_words(asked.purpose),
            "Why it is needed": asked.reason,
            "Needed by": uk_date(asked.needed_by) if asked.needed_by else "Not given",
            "Asked": f"{uk_time(asked.asked_at)} by {asked.asked_by}",
            "Items": "\n".join(f"• {consent.describe_item(vault, i)}" for i in asked.items),
            "State": asked.state,
        }
        for answer in asked.answers:
            lines = [f"{uk_time(answer.decided_at)}, signed by {answer.originator}'s desk ({answer.decided_by})"]
            lines += consent.answer_details(answer, asked, uk_date)
            lines += [f"• {consent.describe_item(vault, i)}" for i in answer.items if answer.decision == "granted"]
            self.values[f"{consent.state_words(answer)} ({answer.id[:8]})"] = "\n".join(lines)
        self.details_layout.addWidget(heading(f"Consent request {asked.reference}", 2))
        for key, value in self.values.items():
            if len(value) > 120 or "\n" in value:
                self.details_layout.addWidget(summary_row(key, readonly_text(value, 4, key)))
            else:
                self.details_layout.addWidget(summary_row(key, value))
        self.details_layout.addStretch(1)

    # ---- acting -------------------------------------------------------------------------------

    def _after(self, dialog, what: str) -> None:
        if dialog.result() == QtWidgets.QDialog.DialogCode.Accepted and dialog.path is not None:
            theme.style(self.notice, SUCCESS_STYLE)
            self.refresh()
            self.changed.emit()
            announce(self.notice, f"{what}: package made — attach {dialog.path.name} to a secure e-mail "
                                  f"(in {dialog.path.parent}).")

    def answer_selected(self):
        asked = self.selected()
        if asked is None:
            return None
        self.dialog = answer_dialog(self, self.session, asked)
        self.dialog.finished.connect(lambda _r, d=self.dialog: self._after(d, f"Answer to {asked.reference}"))
        self.dialog.open()
        return self.dialog

    def withdraw_selected(self):
        grant = self._grant_to_withdraw(self.selected())
        if grant is None:
            return None
        self.dialog = withdraw_dialog(self, self.session, grant)
        self.dialog.finished.connect(lambda _r, d=self.dialog: self._after(d, "Consent withdrawn"))
        self.dialog.open()
        return self.dialog

    def print_register(self):
        from ui.kit.preview import show_report

        return show_report(self, self.session, "consents", "all")

