"""Desk cards and trust (DESIGN.md, "Desks and trust"; clause 9.5): this desk's card with its
fingerprint to read aloud, "Save card…" for e-mailing, and for each partner its trusted card,
the telephone check that trusted it, "Trust a card…" and "Revoke…". The rules are app.exchange.desks."""

from __future__ import annotations

from pathlib import Path

from app.exchange import desks
from ui.kit.guard import GuardedDialog
from ui.kit.dialogs import error_text, info_box, question_box
from ui.kit.fields import LineBox, TextBox
from ui.kit.formatting import agency_name, documents_folder, plural, uk_time
from ui.kit.forms import fill, table
from ui.kit.widgets import ErrorSummary, FieldRow, bold_label, heading, hint_label, plain_label
from ui.qt import QtWidgets, Signal
from ui.kit import theme

CARD_FILTER = "SPOC Desk desk cards (*.card.json *.json)"
FINGERPRINT_STYLE = "QLabel { font-family: monospace; font-size: 15pt; font-weight: bold; letter-spacing: 1px; }"


def read_aloud(fingerprint: str) -> str:
    """The eight groups in two rows of four, as they are read on the telephone."""
    groups = fingerprint.split()
    return " ".join(groups[:4]) + "\n" + " ".join(groups[4:])


class ThisDeskPage(QtWidgets.QWidget):
    """This desk's card: agency, vault, fingerprint in groups to read on the telephone."""

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("This desk", 1))
        layout.addWidget(plain_label(
            "Partners trust packages from this desk once they hold its card and have checked its fingerprint "
            "with you on the telephone. E-mail the card to each partner's SPOC; when they call back through "
            "your switchboard, read them the fingerprint below."))
        self.facts = plain_label("", selectable=True)
        self.facts.setAccessibleName("This desk's card")
        layout.addWidget(self.facts)
        layout.addWidget(bold_label("Fingerprint"))
        self.fingerprint = plain_label("", selectable=True)
        theme.style(self.fingerprint, FINGERPRINT_STYLE)
        self.fingerprint.setAccessibleName("This desk's fingerprint")
        layout.addWidget(self.fingerprint)
        row = QtWidgets.QHBoxLayout()
        self.save_button = QtWidgets.QPushButton("&Save card…")
        self.save_button.setToolTip("Write this desk's public card to a file to attach to secure e-mail")
        self.save_button.clicked.connect(self.save_card)
        row.addWidget(self.save_button)
        self.rotate_button = QtWidgets.QPushButton("&Rotate keys…")
        self.rotate_button.setToolTip("New keys for this desk; the new card is signed by the old key")
        self.rotate_button.clicked.connect(lambda: self.rotate())
        self.rotate_button.setVisible(session.can("desk.keys"))
        row.addWidget(self.rotate_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status = plain_label("", selectable=True)
        self.status.setAccessibleName("Result")
        layout.addWidget(self.status)
        layout.addStretch(1)

    def refresh(self) -> None:
        card = desks.desk_card(self.session.vault)
        self.card = card
        self.facts.setText(f"Agency: {agency_name(card['agency'])} ({card['agency']})\n"
                           f"Vault: {card['vault_id']}\n"
                           f"Card version {card['card_version']}, keys made {uk_time(card['created'])}")
        self.fingerprint.setText(read_aloud(desks.fingerprint(card)))

    def default_path(self) -> Path:
        return documents_folder() / f"spocdesk-{self.card['agency']}-desk.card.json"

    def save_card(self, path: str | None = None) -> str | None:
        if path is None:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save this desk's card", str(self.default_path()),
                                                            CARD_FILTER)
        if not path:
            return None
        try:
            fp = desks.write_card(self.session.vault, Path(path))
        except Exception as exc:  # noqa: BLE001 - shown in words, nothing is half-written
            self.status.setText(error_text(exc, "The card was not saved."))
            return None
        self.status.setText(f"Card saved to {path}. Attach it to secure e-mail to each partner's SPOC, then read "
                            f"them the fingerprint {fp} when they call back through your switchboard.")
        return path

    def rotate(self):
        box = question_box(self, "Rotate this desk's keys?",
                           "This desk gets new keys and a new card, signed by the old key. Partners' desks accept "
                           "the new card without a new telephone call when it reaches them (as a card file or in "
                           "a package). Do this when a key may be known to someone else, or on your agreed "
                           "schedule.", "Rotate keys")
        box.accept_button.clicked.connect(self._rotate_confirmed)
        box.open()
        self._box = box
        return box

    def _rotate_confirmed(self) -> None:
        try:
            card = desks.rotate_keys(self.session.vault)
        except Exception as exc:  # noqa: BLE001 - shown in words
            self.status.setText(error_text(exc, "The keys were not rotated."))
            return
        self.refresh()
        self.status.setText(f"New keys made (card version {card['card_version']}). Save the card and e-mail it to "
                            "each partner; their desks accept it because the old key signed it.")


class ThisDeskDialog(QtWidgets.QDialog):
    """Partners ▸ This desk's card…: the card page in a window of its own."""

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("This desk's card")
        self.setMinimumWidth(600)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        self.page = ThisDeskPage(session)
        layout.addWidget(self.page)
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.page.refresh()


class TrustCardDialog(GuardedDialog, QtWidgets.QDialog):
    """Trust a partner's card after the telephone check: the agency and fingerprint the card
    claims, then who checked, the number called and the fingerprint read back."""

    trusted = Signal(dict)

    def __init__(self, session, card: dict, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.card = card
        self.setWindowTitle("Trust a partner's desk card")
        self.setModal(True)
        self.setMinimumWidth(560)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(heading(f"Check the card of {agency_name(card['agency'])}", 2))
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        layout.addWidget(plain_label(
            "Call them through their switchboard or a number you already know (never a number from the e-mail "
            "that brought the card), and ask them to read their fingerprint to you. Type what they read."))
        layout.addWidget(bold_label("The card says its fingerprint is"))
        shown = plain_label(read_aloud(desks.fingerprint(card)), selectable=True)
        theme.style(shown, FINGERPRINT_STYLE)
        shown.setAccessibleName("Fingerprint on the card")
        layout.addWidget(shown)
        self.read_back = LineBox()
        self.checked_by = LineBox()
        self.checked_by.setText(getattr(session.vault.user, "name", "") or "")
        self.via = LineBox()
        self.rows = {
            "fingerprint": FieldRow("&Fingerprint they read to you", self.read_back,
                                    "Eight groups of five digits; spaces do not matter"),
            "checked_by": FieldRow("&Checked by", self.checked_by, "Who made the call"),
            "via": FieldRow("&Number called", self.via, "Their switchboard or a number you already know"),
        }
        for row in self.rows.values():
            layout.addWidget(row)
        buttons = QtWidgets.QDialogButtonBox()
        self.trust_button = buttons.addButton("&Trust this card", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def submit(self) -> dict | None:
        problems = []
        for key, box, text in (("fingerprint", self.read_back, "Enter the fingerprint they read to you"),
                               ("checked_by", self.checked_by, "Enter who made the call"),
                               ("via", self.via, "Enter the number you called")):
            if not box.text().strip():
                problems.append((key, text))
        if not problems:
            try:
                partner = desks.trust_partner(self.session.vault, self.card, fingerprint=self.read_back.text(),
                                              checked_by=self.checked_by.text(), via=self.via.text())
            except Exception as exc:  # noqa: BLE001 - a mismatch or bad entry is shown in words
                problems.append(("fingerprint", error_text(exc, "The card was not trusted.")))
            else:
                self.trusted.emit(partner)
                self.accept()
                return partner
        entries = []
        for row in self.rows.values():
            row.set_error(None)
        for key, text in problems:
            self.rows[key].set_error(text)
            entries.append((self.rows[key].field, text))
        self.summary.show_problems(entries)
        self.summary.setFocus()
        return None


# How the core's sentence names each field (app.exchange.desks.log_call), most specific first.
CALL_FIELD_WORDS = (("callee", "who was called"), ("caller", "who called"), ("via", "the number"),
                    ("identity", "identity"), ("what", "what was given"), ("request", "request"))


CALL_COLUMNS = ("When", "Call", "Who", "Number used", "Identity check", "Request", "What")
CALL_KINDS = {"check": "Fingerprint check", "given": "We gave information", "received": "We received information"}


def call_row(call: dict) -> list[str]:
    return [uk_time(call["at"]), CALL_KINDS.get(call["direction"], call["direction"]),
            f"{call['caller']} ({call['caller_agency']}) called {call['callee']} ({call['callee_agency']})",
            call["via_number"], call["identity_check"], call.get("request_reference") or "", call["what"]]


class CallDialog(GuardedDialog, QtWidgets.QDialog):
    """Log a telephone call with a partner (9.5): who called whom, through which number, how the
    other person's identity was checked, what was given or received, under which request. Each
    call is also a row of the disclosure register (app.exchange.desks.log_call)."""

    logged = Signal(dict)

    def __init__(self, session, agency: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.agency = agency
        self.setWindowTitle(f"Log a telephone call with {agency_name(agency)}")
        self.setModal(True)
        self.setMinimumWidth(560)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(heading(f"A call with {agency_name(agency)}", 2))
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        layout.addWidget(plain_label(
            "Before giving information by telephone, place the call through the partner's switchboard or a number "
            "you already know, and check who you are speaking to (clause 9.5)."))
        self.direction = QtWidgets.QComboBox()
        self.direction.addItem("We gave information", "given")
        self.direction.addItem("We received information", "received")
        self.caller = LineBox()
        self.caller.setText(getattr(session.vault.user, "name", "") or "")
        self.callee = LineBox()
        self.via = LineBox()
        self.identity = LineBox()
        self.what = TextBox(3)
        self.request = LineBox()
        self.rows = {
            "direction": FieldRow("&Information", self.direction),
            "caller": FieldRow("&Who called", self.caller),
            "callee": FieldRow("Who was c&alled", self.callee),
            "via": FieldRow("&Number the call went through", self.via, "Their switchboard or a number you know"),
            "identity": FieldRow("&How identity was checked", self.identity),
            "what": FieldRow("What was given or recei&ved", self.what),
            "request": FieldRow("Under &request (optional)", self.request, "For example, MSR-2026-0001"),
        }
        for row in self.rows.values():
            layout.addWidget(row)
        buttons = QtWidgets.QDialogButtonBox()
        self.ok_button = buttons.addButton("&Log the call", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def submit(self) -> dict | None:
        try:
            call = desks.log_call(self.session.vault, direction=self.direction.currentData(),
                                  caller=self.caller.text(), callee=self.callee.text(), other_agency=self.agency,
                                  via=self.via.text(), identity_check=self.identity.text(), what=self.what.value(),
                                  request=self.request.text().strip() or None)
        except Exception as exc:  # noqa: BLE001 - the core's one clear sentence, nothing written
            text = error_text(exc, "The call was not logged.")
            key = next((k for k, words in CALL_FIELD_WORDS if words in text.lower()), None)
            for row in self.rows.values():
                row.set_error(None)
            if key is not None:
                self.rows[key].set_error(text)
            self.summary.show_problems([(self.rows[key].field if key else None, text)])
            self.summary.setFocus()
            return None
        self.logged.emit(call)
        self.accept()
        return call


class PartnerDeskSection(QtWidgets.QWidget):
    """One partner's desk card on its Partners page: trusted or not, how it was checked."""

    changed = Signal()

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.code = ""
        self._dialog = None
        self.can_trust = session.can("partners.trust")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("Desk card", 2))
        self.state = plain_label("", selectable=True)
        self.state.setAccessibleName("Desk card")
        layout.addWidget(self.state)
        row = QtWidgets.QHBoxLayout()
        self.trust_button = QtWidgets.QPushButton("Trust a &card…")
        self.trust_button.setToolTip("Open a card this partner e-mailed, and check its fingerprint by telephone")
        self.trust_button.clicked.connect(lambda: self.trust_card())
        self.revoke_button = QtWidgets.QPushButton("&Revoke card…")
        self.revoke_button.clicked.connect(lambda: self.revoke())
        for button in (self.trust_button, self.revoke_button):
            button.setVisible(self.can_trust)
            row.addWidget(button)
        self.call_button = QtWidgets.QPushButton("Log a te&lephone call…")
        self.call_button.setToolTip("Record information given or received by telephone (9.5); it goes in the "
                                    "disclosure register")
        self.call_button.clicked.connect(lambda: self.log_call())
        self.call_button.setVisible(session.can("disclosures.write"))
        row.addWidget(self.call_button)
        row.addStretch(1)
        layout.addLayout(row)
        if not self.can_trust:
            layout.addWidget(hint_label("A SPOC or administrator trusts partners' cards."))
        self.can_read_calls = session.can("disclosures.read")
        self.calls_heading = heading("Telephone log", 3)
        self.calls_caption = hint_label("")
        self.calls_table = table(CALL_COLUMNS, "Telephone log with this partner")
        for widget in (self.calls_heading, self.calls_caption, self.calls_table):
            widget.setVisible(self.can_read_calls)
            layout.addWidget(widget)

    def show_partner(self, code: str) -> None:
        self.code = code
        held = [p for p in desks.partner_desks(self.session.vault) if p["agency"] == code]
        current = next((p for p in held if p["state"] == "trusted"), None)
        if current is not None:
            self.state.setText(
                f"Trusted. Fingerprint {current['fingerprint']}\n"
                f"Checked by {current['checked_by']} on {current['via_number']}, "
                f"{uk_time(current['checked_at'])} ({current['trusted_how']})")
        elif held and held[0]["state"] == "revoked":
            self.state.setText(f"Revoked {uk_time(held[0]['revoked_at'])}: packages signed with that card are "
                               "refused. Trust a new card after a telephone check.")
        else:
            self.state.setText("No card trusted yet: packages cannot be sent to or received from this partner's "
                               "desk until you trust its card after a telephone check.")
        self.revoke_button.setEnabled(current is not None)
        self.show_calls()

    def show_calls(self) -> None:
        """This partner's calls, newest first: fingerprint checks and information given or received."""
        if not self.can_read_calls or not self.code:
            return
        rows = desks.calls(self.session.vault, self.code)
        self.calls_caption.setText(
            f"{plural(len(rows), 'call')} with {agency_name(self.code)}, newest first. Calls that gave or received "
            "information are also in the disclosure register." if rows else
            f"No calls with {agency_name(self.code)} logged yet.")
        fill(self.calls_table, [call_row(c) for c in rows], [c["id"] for c in rows], max_height=220)
        header = self.calls_table.horizontalHeader()
        for column in range(len(CALL_COLUMNS) - 1):   # long text wraps; "What" takes the rest
            header.resizeSection(column, min(header.sectionSize(column), 150))
        header.setSectionResizeMode(len(CALL_COLUMNS) - 1, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.calls_table.resizeRowsToContents()
        self.calls_table.setVisible(bool(rows))

    def log_call(self) -> CallDialog:
        self._dialog = CallDialog(self.session, self.code, self)
        self._dialog.logged.connect(lambda call: (self.state.setText(
            self.state.text().split("\nLast call")[0] + f"\nLast call logged {uk_time(call['at'])}, in the disclosure "
            "register."), self.show_calls()))
        self._dialog.open()
        return self._dialog

    def trust_card(self, path: str | None = None):
        if path is None:
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open a partner's desk card", str(documents_folder()),
                                                            CARD_FILTER)
        if not path:
            return None
        try:
            card = desks.read_card(Path(path))
        except Exception as exc:  # noqa: BLE001 - a malformed card is refused in words
            self._dialog = info_box(self, "Not a desk card", error_text(exc, "That file is not a SPOC Desk desk card."),
                                    warning=True)
            self._dialog.open()   # told without blocking; nothing runs after it
            return None
        self._dialog = TrustCardDialog(self.session, card, self)
        self._dialog.trusted.connect(lambda _p: (self.show_partner(self.code), self.changed.emit()))
        self._dialog.open()
        return self._dialog

    def revoke(self):
        box = question_box(self, "Revoke this card?",
                           f"Packages signed with {agency_name(self.code)}'s current card will be refused from now on, "
                           "and nothing more can be sealed to it. Do this when their key may be known to someone else "
                           "or their desk has been replaced.", "Revoke card")
        box.accept_button.clicked.connect(self._revoke_confirmed)
        box.open()
        self._dialog = box
        return box

    def _revoke_confirmed(self) -> None:
        try:
            desks.revoke_partner(self.session.vault, self.code, "revoked-by-spoc")
        except Exception as exc:  # noqa: BLE001 - shown in words
            self.state.setText(error_text(exc, "The card was not revoked."))
            return
        self.show_partner(self.code)
        self.changed.emit()
