"""Record an onward disclosure (5.3, section 6, Appendix 4) from the request view: the police SPOC
has collated the partners' answers and passes some of it on to a partner. An inline panel, not a
modal dialog.

The panel asks: to which partner (suspended ones are marked; the core refuses them with its own
message), what is disclosed and which answers and subjects it draws on, the lawful basis
(Appendix 3), the channel (the partner's Appendix 4 channels first) and the purpose (4.3). The
originator is not chosen: it is the agency that provided the answers and subjects ticked. The
panel asks app.consent the same question the core asks on recording: with that partner's signed
grant covering these items, this partner and this purpose it says which grant; without one it
says what is needed and offers "Ask for consent…", which makes the consent request package. A confirmation says what goes to whom
through which channel before `app.disclosures.record_onward` writes the register row.
"""

from __future__ import annotations

from app import consent, textcheck
from app.agreement import load_agreement
from app.disclosures import record_onward
from app.errors import SpocError
from app.responses import lawful_bases
from app.suspensions import current as current_suspension
from ui.qt import QtWidgets, Signal
from ui.kit.dialogs import error_text, question_box
from ui.kit.fields import CheckList, TextBox
from ui.kit.formatting import agency_name, channel_name, one_line, uk_date, uk_time
from ui.requests.subjects import subject_name_display
from ui.kit.widgets import ErrorSummary, FieldRow, heading, hint_label, plain_label
from ui.consent.dialogs import purpose_ids
from ui.kit import theme


# Which field a message of the core is about (the core refuses with one message at a time).
_FIELD_FOR = (("suspended", "to_agency"), ("Unknown agency", "to_agency"), ("lawful basis", "lawful_bases"),
              ("channel", "channel"), ("Describe what", "what"), ("consent", "originator"),
              ("purpose", "purpose"))


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
        theme.style(self, "QFrame#onwardPanel { border: 0px none; border-left: 4px solid {accent}; }")
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
        answers = [(r.response.id, f"{r.dispatch.agency_name}'s answer of {uk_date(r.response.response_date)}",
                    one_line(r.response.disclosed_text or r.response.held_text, 160), 0)
                   for r in collation.rows
                   if r.response is not None and r.response.status != "draft" and r.response.kind == "disclosure"]
        self._answers = {r.response.id: r.response for r in collation.rows if r.response is not None}
        self.responses = CheckList(answers)
        self.responses.changed.connect(self._answers_changed)
        if answers:
            self._row("responses", self.responses, "Partners' answers it draws on",
                      "Tick each answer whose information you pass on. Its agency is the originator.")
        self.subjects = CheckList([(s.id, subject_name_display(s.name), "", 0) for s in self.request.subjects])
        if self.request.subjects:
            self._row("subjects", self.subjects, "Subjects it is about",
                      "Tick each person, location or business whose personal data goes.")

        # lawful basis
        self._bases = {view.id: view for view in lawful_bases()}
        self.bases = CheckList([(view.id, view.title, f"Cite today: {view.cite_today}", 0)
                                 for view in self._bases.values()])
        self._row("lawful_bases", self.bases, "&Lawful basis",
                  "Section 5.4.1 and Appendix 3. Where the agreement cites the Data Protection Act 1998, the "
                  "Data Protection Act 2018 provision to cite today is shown beside it.")

        # channel
        self.channel = QtWidgets.QComboBox()
        self._row("channel", self.channel, "Secure c&hannel",
                  "Appendix 4. The channels the partner normally uses are listed first.")
        self._fill_channels("")

        # purpose, and whose information it is (derived from the answers ticked: data, never a choice)
        self.purpose = QtWidgets.QComboBox()
        for purpose in purpose_ids():
            self.purpose.addItem(consent.purpose_words(purpose), purpose)
        self.purpose.setCurrentIndex(max(0, self.purpose.findData(consent.default_purpose(self.vault,
                                                                                          self.request.id))))
        self.purpose.currentIndexChanged.connect(lambda _i: self._check_consent())
        self._row("purpose", self.purpose, "&Purpose it is disclosed for",
                  "Section 4.3. Written consent from another partner covers one purpose only.")
        self.originator_label = plain_label("")
        self._row("originator", self.originator_label, "Whose information it is",
                  "Taken from the answers and subjects ticked: the agency that provided them. Section 6 binds "
                  "this desk to that agency's conditions.")
        self.consent_notice = plain_label("")
        theme.style(self.consent_notice, "border: 0px none; border-left: 5px solid {danger}; padding-left: 10px; font-weight: bold;")
        layout.addWidget(self.consent_notice)
        self.ask_button = QtWidgets.QPushButton("&Ask for consent…")
        self.ask_button.setToolTip("Records a consent request and makes a sealed package for the partner that "
                                   "provided the information.")
        self.ask_button.clicked.connect(self.ask_for_consent)
        layout.addWidget(self.ask_button)
        self.decision = None
        self.ask = None

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
        self.to_agency.currentIndexChanged.connect(lambda _i: self._check_consent())
        self.subjects.changed.connect(self._check_consent)
        self._check_consent()

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
        self._check_consent()

    def originators_of_answers(self) -> list[str]:
        return list(dict.fromkeys(self._answers[rid].origin_agency for rid in self.responses.values()))

    def items(self) -> list[str]:
        return [f"response:{r}" for r in self.responses.values()] + [f"subject:{s}" for s in self.subjects.values()]

    def _check_consent(self) -> None:
        """Who provided what is ticked, and whether written consent covers it for this partner and
        purpose (app.consent.check_disclosure, the same check the core makes on recording)."""
        partners = [o for o in dict.fromkeys(consent.originator_of(self.vault, i) for i in self.items())
                    if o != self.vault.agency]
        self.originator_label.setText(
            f"This desk: {agency_name(self.vault.agency)}" if not partners else
            "; ".join(f"{agency_name(o)} ({o})" for o in partners) + " provided what is ticked")
        to = self.to_agency.currentData() or ""
        self.decision = None
        if not partners or not to:
            text = "" if not partners else (f"This information came from {', '.join(partners)}. Section 6.3: it goes "
                                             "to another partner only with their written consent.")
            self.consent_notice.setText(text)
            self.consent_notice.setVisible(bool(text))
            self.ask_button.hide()
            return
        self.decision = consent.check_disclosure(self.vault, self.items(), to, self.purpose.currentData())
        if self.decision.allowed:
            cited = "; ".join(consent.grant_citation(self.vault, g) for g in self.decision.grants)
            self.consent_notice.setText(f"Written consent covers this: {cited}.")
            theme.style(self.consent_notice, "border: 0px none; border-left: 5px solid {ok}; padding-left: 10px; font-weight: bold;")
            self.ask_button.hide()
        else:
            self.consent_notice.setText(self.decision.message)
            theme.style(self.consent_notice, "border: 0px none; border-left: 5px solid {danger}; padding-left: 10px; font-weight: bold;")
            self.ask_button.setVisible(len(self.decision.needs) == 1)
        self.consent_notice.show()

    def ask_for_consent(self):
        """'Ask for consent…' for what the check found not covered."""
        from ui.consent.dialogs import ask_dialog

        if self.decision is None or self.decision.allowed or not self.decision.needs:
            return None
        need = self.decision.needs[0]
        self.ask = ask_dialog(self, self.session, list(need.items), self.decision.recipient, self.decision.purpose,
                              self.request.id)
        self.ask.open()
        return self.ask

    # ---- recording -----------------------------------------------------------------------

    def values(self) -> dict:
        return {"to_agency": self.to_agency.currentData() or "", "what": self.what.value(),
                "lawful_bases": self.bases.values(), "channel": self.channel.currentData() or "",
                "purpose": self.purpose.currentData(),
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
                f"{one_line(values['what'], 400)}\n\n")
        if subjects:
            text += "About: " + "; ".join(subjects) + ".\n"
        text += f"From {self.request.reference}, on the lawful basis: {bases}.\n"
        text += f"Purpose: {consent.purpose_words(values['purpose'])}.\n"
        if self.decision is None:
            text += "The information is this desk's own.\n"
        else:
            text += self.decision.message.replace("Allowed: w", "W") + "\n"
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
        elif self.decision is not None and not self.decision.allowed:
            problems.append(("originator", self.decision.message))
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
                                          f"{uk_date(r.response_date)}" for r in drawn) + "]"
        try:
            found = record_onward(self.vault, self.request.id, values["to_agency"], what=what if values["what"].strip()
                                  else values["what"], lawful_bases=values["lawful_bases"],
                                  channel=values["channel"], purpose=values["purpose"],
                                  response_ids=values["responses"], subject_ids=values["subject_ids"])
        except SpocError as exc:
            text = error_text(exc, "The disclosure was not recorded.")
            key = next((k for needle, k in _FIELD_FOR if needle in text), "")
            self.show_problems([(key, text)])
            return None
        self.recorded.emit(found)
        return found


def onward_lines(disclosure) -> str:
    """One onward disclosure as plain text for the request view."""
    bases = []
    for basis in disclosure.lawful_bases:
        try:
            bases.append(load_agreement().lawful_basis(basis).title)
        except Exception:  # noqa: BLE001 - a basis the agreement no longer has shows as stored
            bases.append(basis)
    return (f"{uk_time(disclosure.at)}: to {agency_name(disclosure.to_agency)} by "
            f"{channel_name(disclosure.channel) or 'no channel recorded'}, recorded by {disclosure.recorded_by}\n"
            f"{disclosure.what}\n"
            f"Lawful basis: {'; '.join(bases)}. Originator: {agency_name(disclosure.originator)}.")
