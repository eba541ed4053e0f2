"""Record an onward disclosure (5.3, section 6, Appendix 4) from the request view: the police SPOC
has collated the partners' answers and passes some of it on to a partner. An inline panel, not a
modal dialog.

The panel asks: to which partner (suspended ones are marked; the core refuses them with its own
message), what is disclosed and which answers and subjects it draws on, the lawful basis
(Appendix 3), the channel (the partner's Appendix 4 channels first), and the originator whose
written consent governs it (6.2-6.3). Information that came from a partner's answer has that
partner as its originator; the panel says plainly that it goes on only with their written consent,
and the core requires a note of who consented and when. A confirmation says what goes to whom
through which channel before `app.disclosures.record_onward` writes the register row.
"""

from __future__ import annotations

from app import textcheck
from app.agreement import load_agreement
from app.disclosures import record_onward
from app.errors import SpocError
from app.responses import lawful_bases
from app.suspensions import current as current_suspension
from ui.qt import QtWidgets, Signal
from ui.requests.form import CheckGroup, iso_to_uk, subject_name_display
from ui.kit.dialogs import question_box
from ui.kit.fields import LineBox, TextBox
from ui.kit.formatting import agency_name, channel_name
from ui.kit.widgets import ErrorSummary, FieldRow, heading, hint_label, plain_label


# Which field a message of the core is about (the core refuses with one message at a time).
_FIELD_FOR = (("suspended", "to_agency"), ("Unknown agency", "to_agency"), ("lawful basis", "lawful_bases"),
              ("channel", "channel"), ("Describe what", "what"), ("consent", "consent_note"),
              ("originated", "originator"))



def _one_line(text: str, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + "…"


class OnwardDisclosurePanel(QtWidgets.QFrame):
    """Inline form for one onward disclosure of a request's collated information."""

    recorded = Signal(object)  # app.disclosures.Disclosure
    cancelled = Signal()

    def __init__(self, session, collation, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.vault = session.vault
        self.collation = collation
        self.request = collation.request
        self.agreement = load_agreement()
        self.box: QtWidgets.QMessageBox | None = None
        self.rows: dict[str, FieldRow] = {}
        self.setObjectName("onwardPanel")
        self.setStyleSheet("QFrame#onwardPanel { border-left: 4px solid #1d70b8; }")
        self.setMaximumWidth(880)   # one readable column
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 8, 12)
        layout.setSpacing(6)
        self.column = layout
        layout.addWidget(heading(f"Record an onward disclosure from {self.request.reference}", 2))
        layout.addWidget(hint_label("Section 5.3: having collated the answers, this desk may make specific disclosures "
                               "to specified partners so they can consider action. Record each one here; it goes "
                               "in the disclosure register. Nothing is sent by SPOC Desk: send it yourself by "
                               "the channel you choose."))
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)

        # to whom
        self.to_agency = QtWidgets.QComboBox()
        self.to_agency.addItem("Choose a partner", "")
        for partner in self.agreement.partners:
            if partner.code == self.vault.agency:
                continue
            text = f"{partner.name} ({partner.code})"
            if current_suspension(self.vault, partner.code) is not None:
                text += " — suspended under clause 13.2"
            self.to_agency.addItem(text, partner.code)
        self.to_agency.currentIndexChanged.connect(self._partner_changed)
        self._row("to_agency", self.to_agency, "&To which partner",
                  "A partner suspended under clause 13.2 cannot be given anything until the suspension is lifted.")

        # what
        self.what = TextBox(4)
        self._row("what", self.what, "&What is disclosed",
                  "Say what goes, in words: only what the partner needs to consider action (7.1).")
        answers = [(r.response.id, f"{r.dispatch.agency_name}'s answer of {iso_to_uk(r.response.response_date)}",
                    _one_line(r.response.disclosed_text or r.response.held_text, 160), 0)
                   for r in collation.rows
                   if r.response is not None and r.response.status != "draft" and r.response.kind == "disclosure"]
        self._answers = {r.response.id: r.response for r in collation.rows if r.response is not None}
        self.responses = CheckGroup(answers)
        self.responses.changed.connect(self._answers_changed)
        if answers:
            self._row("responses", self.responses, "Partners' answers it draws on",
                      "Tick each answer whose information you pass on. Its agency is the originator.")
        self.subjects = CheckGroup([(s.id, subject_name_display(s.name), "", 0) for s in self.request.subjects])
        if self.request.subjects:
            self._row("subjects", self.subjects, "Subjects it is about",
                      "Tick each person, location or business whose personal data goes.")

        # lawful basis
        self._bases = {view.id: view for view in lawful_bases()}
        self.bases = CheckGroup([(view.id, view.title, f"Cite today: {view.cite_today}", 0)
                                 for view in self._bases.values()])
        self._row("lawful_bases", self.bases, "&Lawful basis",
                  "Section 5.4.1 and Appendix 3. Where the agreement cites the Data Protection Act 1998, the "
                  "Data Protection Act 2018 provision to cite today is shown beside it.")

        # channel
        self.channel = QtWidgets.QComboBox()
        self._row("channel", self.channel, "Secure c&hannel",
                  "Appendix 4. The channels the partner normally uses are listed first.")
        self._fill_channels("")

        # originator and consent
        self.originator = QtWidgets.QComboBox()
        self.originator.addItem(f"This desk: {agency_name(self.vault.agency)} ({self.vault.agency})",
                                self.vault.agency)
        for partner in self.agreement.partners:
            if partner.code != self.vault.agency:
                self.originator.addItem(f"{partner.name} ({partner.code})", partner.code)
        self.originator.currentIndexChanged.connect(self._originator_changed)
        self._row("originator", self.originator, "Whose information it is (the &originator)",
                  "The agency that first provided the information. Section 6 binds this desk to that agency's "
                  "conditions.")
        self.consent_notice = plain_label("")
        self.consent_notice.setStyleSheet("border-left: 5px solid #b10e1e; padding-left: 10px; font-weight: bold;")
        layout.addWidget(self.consent_notice)
        self.consent_note = LineBox()
        self.consent_row = self._row("consent_note", self.consent_note, "Who gave written consent, and whe&n",
                                     "For example: J. Bloggs, HMRC SPOC, by secure e-mail on 05/03/2026.")

        buttons = QtWidgets.QHBoxLayout()
        self.record_button = QtWidgets.QPushButton("Chec&k and record…")
        self.record_button.setToolTip("Says what goes to whom through which channel, then records it.")
        self.record_button.clicked.connect(self.confirm)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancelled.emit)
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.setFocusProxy(self.to_agency)
        self._originator_changed()

    # ---- building ------------------------------------------------------------------------

    def _row(self, key: str, field: QtWidgets.QWidget, label: str, hint: str = "") -> FieldRow:
        row = FieldRow(label, field, hint)
        self.rows[key] = row
        self.column.addWidget(row)
        for name in ("textChanged", "changed", "currentIndexChanged"):
            signal = getattr(field, name, None)
            if signal is not None:
                signal.connect(lambda *_a, r=row: r.set_error(None))
                break
        return row

    def _fill_channels(self, partner: str) -> None:
        chosen = self.channel.currentData()
        self.channel.clear()
        ids = []
        if partner:
            ids = list(self.agreement.partner(partner).secure_channels)
        for extra in self.agreement.secure_channels:
            if extra.id not in ids:
                ids.append(extra.id)
        for channel_id in ids:
            self.channel.addItem(channel_name(channel_id), channel_id)
        index = self.channel.findData(chosen)
        self.channel.setCurrentIndex(index if index >= 0 and not partner else 0)

    # ---- reacting ------------------------------------------------------------------------

    def _partner_changed(self) -> None:
        self._fill_channels(self.to_agency.currentData() or "")

    def _answers_changed(self) -> None:
        origins = self.originators_of_answers()
        if len(origins) == 1:
            index = self.originator.findData(origins[0])
            if index >= 0:
                self.originator.setCurrentIndex(index)

    def originators_of_answers(self) -> list[str]:
        return list(dict.fromkeys(self._answers[rid].origin_agency for rid in self.responses.values()))

    def _originator_changed(self) -> None:
        originator = self.originator.currentData()
        own = originator == self.vault.agency
        name = agency_name(originator)
        self.consent_notice.setText(
            "" if own else f"This information came from {name}. Section 6.3: it must not be passed to anyone else "
                           f"without the written consent of {name}, and 6.2: no other use without their consent. "
                           f"Record it only once {name} has consented in writing.")
        self.consent_notice.setVisible(not own)
        self.consent_row.setVisible(not own)

    # ---- recording -----------------------------------------------------------------------

    def values(self) -> dict:
        originator = self.originator.currentData()
        return {"to_agency": self.to_agency.currentData() or "", "what": self.what.value(),
                "lawful_bases": self.bases.values(), "channel": self.channel.currentData() or "",
                "originator": originator,
                "consent_note": self.consent_note.value() if originator != self.vault.agency else "",
                "subject_ids": self.subjects.values(), "responses": self.responses.values()}

    def show_problems(self, problems) -> None:
        for row in self.rows.values():
            row.set_error(None)
        entries = []
        for key, text in problems:
            row = self.rows.get(key)
            if row is not None:
                row.set_error(text)
            entries.append((row.field if row is not None else None, text))
        self.summary.show_problems(entries)
        if entries:
            self.summary.setFocus()

    def problem_messages(self) -> list[str]:
        return self.summary.messages() if self.summary.isVisible() else []

    def _text_for(self, values: dict) -> str:
        to = agency_name(values["to_agency"])
        bases = "; ".join(self._bases[b].title for b in values["lawful_bases"] if b in self._bases) or "none chosen"
        subjects = [textcheck.visible(s.name) for s in self.request.subjects if s.id in set(values["subject_ids"])]
        text = (f"You are recording that this desk, {agency_name(self.vault.agency)}, discloses to {to} "
                f"({values['to_agency']}) through {channel_name(values['channel']) or 'no channel chosen'}:\n\n"
                f"{_one_line(values['what'], 400)}\n\n")
        if subjects:
            text += "About: " + "; ".join(subjects) + ".\n"
        text += f"From {self.request.reference}, on the lawful basis: {bases}.\n"
        if values["originator"] == self.vault.agency:
            text += "The information is this desk's own.\n"
        else:
            text += (f"The information came from {agency_name(values['originator'])}, whose written consent you "
                     f"record as: {_one_line(values['consent_note'], 200)}.\n")
        text += "\nIt is written to the disclosure register and cannot be changed afterwards."
        return text

    def confirm(self) -> QtWidgets.QMessageBox | None:
        """Check what only the form knows, then say what goes to whom through which channel."""
        self.show_problems([])
        values = self.values()
        problems = []
        if not values["to_agency"]:
            problems.append(("to_agency", "Choose the partner the information goes to"))
        if len(self.originators_of_answers()) > 1:
            problems.append(("responses", "The answers ticked come from more than one partner: record one onward "
                                          "disclosure for each, so each partner's consent is recorded"))
        elif values["responses"] and self.originators_of_answers()[0] != values["originator"]:
            problems.append(("originator", f"The answer ticked came from "
                                           f"{agency_name(self.originators_of_answers()[0])}: choose them as the "
                                           "originator"))
        if problems:
            self.show_problems(problems)
            return None
        box = question_box(self, "Record the onward disclosure", self._text_for(values), "Record disclosure")
        box.finished.connect(lambda _r, b=box: self._confirmed(b))
        self.box = box
        box.open()
        return box

    def _confirmed(self, box: QtWidgets.QMessageBox) -> None:
        if box.clickedButton() is not box.accept_button:
            return
        self.record()

    def record(self):
        values = self.values()
        what = values["what"]
        drawn = [self._answers[rid] for rid in values["responses"]]
        if drawn:
            what += " [from: " + "; ".join(f"{agency_name(r.origin_agency)}'s answer of "
                                          f"{iso_to_uk(r.response_date)}" for r in drawn) + "]"
        try:
            found = record_onward(self.vault, self.request.id, values["to_agency"], what=what if values["what"].strip()
                                  else values["what"], lawful_bases=values["lawful_bases"],
                                  channel=values["channel"], originator=values["originator"],
                                  consent_note=values["consent_note"], subject_ids=values["subject_ids"])
        except SpocError as exc:
            text = str(exc.args[0]) if exc.args else "The disclosure was not recorded."
            key = next((k for needle, k in _FIELD_FOR if needle in text), "")
            self.show_problems([(key, text)])
            return None
        self.recorded.emit(found)
        return found


def onward_lines(disclosure) -> str:
    """One onward disclosure as plain text for the request view."""
    from app.timeutil import london_display

    bases = []
    for basis in disclosure.lawful_bases:
        try:
            bases.append(load_agreement().lawful_basis(basis).title)
        except Exception:  # noqa: BLE001 - a basis the agreement no longer has shows as stored
            bases.append(basis)
    return (f"{london_display(disclosure.at)}: to {agency_name(disclosure.to_agency)} by "
            f"{channel_name(disclosure.channel) or 'no channel recorded'}, recorded by {disclosure.recorded_by}\n"
            f"{disclosure.what}\n"
            f"Lawful basis: {'; '.join(bases)}. Originator: {agency_name(disclosure.originator)}.")
