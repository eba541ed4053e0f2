"""A partner's equipment malfunction on its Partners page (clause 10.2): record its channel as
down with the alternative form of exchange (the agreement's channels or the telephone), record
each partner's signatory informed and how, and record the repair. While it is open, Send uses
the alternative for this partner. The rules are app.outages."""

from __future__ import annotations

from app import outages
from app.agreement import load_agreement
from ui.kit.dialogs import FormDialog
from ui.kit.fields import LineBox, TextBox
from ui.kit.forms import combo
from ui.kit.formatting import plural, uk_time
from ui.kit.widgets import heading, hint_label, plain_label
from ui.qt import QtWidgets, Signal


class OutageSection(QtWidgets.QWidget):
    changed = Signal()

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.code = ""
        self.outage = None
        self._dialog = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading("Equipment malfunction (10.2)", 2))
        self.state = plain_label("", selectable=True)
        self.state.setAccessibleName("Equipment malfunction")
        layout.addWidget(self.state)
        row = QtWidgets.QHBoxLayout()
        self.down_button = QtWidgets.QPushButton("Record a &malfunction…")
        self.down_button.setToolTip("This partner's channel is down: choose the alternative form of exchange "
                                    "Send uses until the repair")
        self.down_button.clicked.connect(lambda: self.record_down())
        self.notice_button = QtWidgets.QPushButton("Record a signatory &informed…")
        self.notice_button.clicked.connect(lambda: self.record_notice())
        self.repair_button = QtWidgets.QPushButton("Record the re&pair…")
        self.repair_button.clicked.connect(lambda: self.record_repair())
        may = session.can("exchange.fallback")
        for button in (self.down_button, self.notice_button, self.repair_button):
            button.setVisible(may)
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        if not may:
            layout.addWidget(hint_label("A SPOC, the lead officer or the Data Protection Manager records these."))

    def show_partner(self, code: str) -> None:
        self.code = code
        self.outage = outages.current(self.session.vault, code)
        outage = self.outage
        self.down_button.setEnabled(outage is None)
        self.notice_button.setEnabled(outage is not None)
        self.repair_button.setEnabled(outage is not None)
        if outage is None:
            self.state.setText("No malfunction recorded: Send uses this partner's usual channel.")
            return
        missing = outages.missing_notices(outage)
        lines = [f"DOWN since {uk_time(outage.down_at)}: {outage.channel_name}. {outage.what}",
                 f"Until the repair is recorded, Send uses: {outage.fallback_name}."
                 + (f" {outage.fallback_note}" if outage.fallback_note else ""),
                 f"Recorded by {outage.recorded_by} at {uk_time(outage.recorded_at)}.", "",
                 f"Signatories informed ({len(outage.notices)} of {len(load_agreement().partners)}):"]
        lines += [f"  • {n.partner_name}: {n.signatory}, by {n.how}, {uk_time(n.at)}" for n in outage.notices]
        if missing:
            lines.append(f"Still to inform: {plural(len(missing), 'partner')} — "
                         + ", ".join(load_agreement().partner_name(c) for c in missing))
        self.state.setText("\n".join(lines))

    def _after(self, _result=None) -> None:
        self.show_partner(self.code)
        self.changed.emit()

    def record_down(self) -> FormDialog:
        code = self.code
        name = load_agreement().partner_name(code)
        ids = outages.channels(code)
        choices = [(c, outages.channel_name(c)) for c in ids]

        def save(dialog):
            outage = outages.record_outage(self.session.vault, {
                "partner": code, "channel": dialog.channel.currentData() or "",
                "fallback": dialog.fallback.currentData() or "", "what": dialog.what.value(),
                "fallback_note": dialog.note.value(), "down_at": dialog.at.value(),
                "breach_ref": dialog.breach.value()})
            self._after(outage)

        dialog = FormDialog(self, f"{name}: equipment malfunction",
                            f"Record that {name}'s channel is down and arrange an alternative form of exchange until "
                            "repair (clause 10.2). Send then uses the alternative for this partner, and each request "
                            "sent that way says so. Then inform the signatories of every partner.",
                            "Record the malfunction", save)
        dialog.channel = dialog.add("channel", "Channel that is down", combo((("", "Choose"), *choices),
                                                                             "Channel that is down"))
        dialog.what = dialog.add("what", "What has failed", TextBox(3), "For example: the CJSM gateway rejects mail")
        dialog.fallback = dialog.add("fallback", "Alternative form of exchange until repair", combo(
            (("", "Choose"), *choices, (outages.TELEPHONE, outages.TELEPHONE_NAME)),
            "Alternative form of exchange until repair"))
        dialog.note = dialog.add("fallback_note", "How the alternative works (optional)", TextBox(2))
        dialog.at = dialog.add("down_at", "When it failed (optional)", LineBox(),
                               "dd/mm/yyyy HH:MM in UK time; leave blank for now")
        dialog.breach = dialog.add("breach_ref", "Breach logged for it (optional)", LineBox(), "For example BR-2026-0003")
        self._dialog = dialog
        dialog.open()
        return dialog

    def record_notice(self) -> FormDialog | None:
        outage = self.outage
        if outage is None:
            return None
        missing = outages.missing_notices(outage)

        def save(dialog):
            self._after(outages.record_notice(self.session.vault, outage.id, {
                "partner": dialog.partner.currentData() or "", "signatory": dialog.signatory.value(),
                "how": dialog.how.value(), "at": dialog.at.value()}))

        dialog = FormDialog(self, "Signatory informed", "Record that one partner's signatory was told of the "
                            "malfunction and the alternative exchange, and how.", "Record", save)
        dialog.partner = dialog.add("partner", "Partner", combo(
            (("", "Choose"), *((c, load_agreement().partner_name(c)) for c in missing)), "Partner"))
        dialog.signatory = dialog.add("signatory", "Signatory informed", LineBox(), "Name and position")
        dialog.how = dialog.add("how", "How they were informed", LineBox(), "For example: telephone via switchboard")
        dialog.at = dialog.add("at", "When (optional)", LineBox(), "dd/mm/yyyy HH:MM in UK time; leave blank for now")
        self._dialog = dialog
        dialog.open()
        return dialog

    def record_repair(self) -> FormDialog | None:
        outage = self.outage
        if outage is None:
            return None

        def save(dialog):
            self._after(outages.record_repair(self.session.vault, outage.id, {
                "repair_note": dialog.note.value(), "repaired_at": dialog.at.value()}))

        dialog = FormDialog(self, "Repair", f"Record the repair of {outage.channel_name}. Send goes back to the "
                            "partner's usual channel.", "Record the repair", save)
        dialog.note = dialog.add("repair_note", "What was repaired and how it was checked", TextBox(3))
        dialog.at = dialog.add("repaired_at", "When (optional)", LineBox(), "dd/mm/yyyy HH:MM in UK time; blank for now")
        self._dialog = dialog
        dialog.open()
        return dialog
