"""One request, read-only, with its collation (5.3): every agency asked, its status, sent and
due dates (overdue said in words), and its response side by side (held and disclosed, lawful
basis with today's citation, the 5.4 answers, nil return, partnership working).

Actions by role and state: Edit (a draft of this desk), Send to agencies… (says exactly who
will receive it and through which channel first), Mark acknowledged, Change due date…, Export
for sending… (recorded in the disclosure register), Copy reference, and Respond… when a dispatch
is addressed to this desk's own agency (a request received from another desk).

Longer than 600 lines on purpose: one screen whose body (the request and its collation) and whose
actions share the request and collation on show, and whose small dialogs are opened only from here;
what each action may do is app.requests' answer (`allowed`, `send_plan`), not this file's.
"""

from __future__ import annotations

import datetime as _dt

from app import textcheck
from app.agreement import load_agreement
from app.errors import SpocError
from app.records import Invalid
from app.requests import (CLOSE_REASONS, LABELS, acknowledge_dispatch, allowed, allowed_dispatch, close_request,
                          default_due_date, our_dispatch, problems_for_sending, send_plan, send_to_agencies, set_due_date)
from app.exchange.packages import dispatch_state
from app.responses import LABELS as RESPONSE_LABELS
from app.responses import collation, explain_lawful_basis
from app.subjects import ROLES as SUBJECT_ROLES
from app.timeutil import utc_now_iso
from ui.kit.guard import GuardedDialog
from ui.kit.passphrase_dialog import FittedDialog
from ui.qt import QtGui, QtWidgets, Qt, Signal
from ui.kit.dialogs import error_text
from ui.kit.fields import DateField
from ui.kit.formatting import (agency_name, plural, uk_date,
                               uk_time)
from ui.requests.send import SendPackagesDialog
from ui.requests.subjects import KIND_TITLES, subject_name_display
from ui.kit.widgets import (announce, bold_label, ErrorSummary, FieldRow, FlowLayout, frameless_scroll, heading, hint_label,
                        no_mnemonic, plain_label, SUCCESS_STYLE)
from ui.kit import theme

STATUS_TITLES = {"draft": "Draft (not sent)", "sent": "Sent, awaiting acknowledgement",
                 "acknowledged": "Acknowledged, awaiting answer", "responded": "Responded",
                 "nil-return": "Nil return (nothing held)", "declined": "Declined"}
def dispatch_words(dispatch) -> str:
    """A dispatch's honest state (app.exchange.packages.dispatch_state): a package made is not
    "sent" until its receipt says it was delivered."""
    if dispatch.status in ("sent", "acknowledged"):
        return dispatch_state(dispatch).words
    return STATUS_TITLES.get(dispatch.status, dispatch.status)


REQUEST_STATUS_TITLES = {"draft": "Draft", "open": "Open", "closed": "Closed"}
ANSWER_TITLES = {"disclosure": "Information disclosed", "nil-return": "Nil return: nothing held",
                 "declined": "Declined"}
COLLATION_COLUMNS = ("Agency", "Status", "Answer and lawful basis", "Held and disclosed",
                     "5.4 tests; partnership")
CELL_LIMIT = 300


def _short(text: str, limit: int = CELL_LIMIT) -> str:
    text = text or ""
    return text if len(text) <= limit else text[:limit] + "… (see below)"


def due_text(dispatch, today: _dt.date | None = None) -> str:
    if not dispatch.due_date:
        return "—"
    text = uk_date(dispatch.due_date)
    if dispatch.is_overdue(today):
        text += f" — OVERDUE by {plural(dispatch.days_overdue(today), 'day')}"
    return text


def response_parts(response) -> dict[str, str]:
    """The response's answers as plain text, one entry per collation column."""
    if response is None:
        return {"answer": "No answer yet", "held": "", "basis": "", "tests": "", "partnership": ""}
    answer = ANSWER_TITLES.get(response.kind, response.kind)
    answer += f"\n{response.responder_name}, {uk_date(response.response_date)}"
    answer += f"\nProvided by {agency_name(response.origin_agency)} ({response.origin_agency})"
    if response.status == "draft":
        answer += "\n(this desk's draft, not sent)"
    if response.kind == "declined" and response.decline_reason:
        answer += f"\nReason: {response.decline_reason}"
    held = ""
    if response.held_text:
        held += f"Held: {response.held_text}"
    if response.disclosed_text:
        held += ("\n" if held else "") + f"Disclosed: {response.disclosed_text}"
    bases = []
    for basis_id in response.lawful_bases:
        try:
            view = explain_lawful_basis(basis_id)
            bases.append(f"{view.title} (today: {view.cite_today})")
        except SpocError:
            bases.append(basis_id)
    tests = ""
    if response.kind == "disclosure":
        tests = (f"Necessary: {response.necessary}\nProportionate: {response.proportionate}\n"
                 f"Accurate: {response.accurate}")
    return {"answer": answer, "held": held, "basis": "\n".join(bases), "tests": tests,
            "partnership": response.partnership_answer}


class SendDialog(FittedDialog):
    """Says what sending does and to whom, with the channel for each; the user ticks who. It opens
    as wide as its agency lines (Qt would cap a new window at two thirds of the screen, clipping
    them at 150 %) and as tall as its wrapped intro needs at that width (FittedDialog)."""

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        if screen is not None:
            wanted = min(self.sizeHint().width(), screen.availableGeometry().width() - 40)
            if self.width() < wanted:
                self.resize(wanted, self.height())
        super().showEvent(event)

    def __init__(self, request, vault, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.request = request
        self.setWindowTitle(f"Send {request.reference}")
        self.setModal(True)
        self.setMinimumWidth(560)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(heading(f"Send {request.reference} to these agencies?"))
        subjects = len(request.subjects)
        self.plans = send_plan(vault, request)
        due = self.plans[0].due_date if self.plans else default_due_date(vault)
        layout.addWidget(plain_label(
            f"Next, a sealed package of the request and the personal data of its {plural(subjects, 'subject')} is "
            "made for each agency ticked below (only that agency's part), recorded in the disclosure register "
            f"with today's date and the secure channel shown. Each answer will be due by {uk_date(due)}. The "
            "request cannot be changed for an agency once its package is made; you then attach each package to "
            "a secure e-mail."))
        self.checks: dict[str, QtWidgets.QCheckBox] = {}
        self.alternatives: dict[str, QtWidgets.QLabel] = {}
        for plan in self.plans:   # app.requests.send_plan: who, by which channel, and whether it may go
            channel, _, alternative = plan.channel_name.partition(", the alternative while ")
            box = QtWidgets.QCheckBox(no_mnemonic(f"{plan.agency_name} — by {channel}"))
            if not plan.may_send:
                box.setChecked(False)
                box.setEnabled(False)
                box.setText(no_mnemonic(f"{plan.agency_name} — {plan.why_not}"))
                box.setToolTip(plan.detail or plan.why_not)
            else:
                box.setChecked(True)
            box.toggled.connect(self._update)
            layout.addWidget(box)
            self.checks[plan.target] = box
            if alternative:   # 10.2: the partner's equipment is down; say so in words under its line
                note = hint_label(f"The alternative while {alternative}: until the repair is recorded on the "
                                  "Partners page, this is how the request goes.")
                note.setContentsMargins(24, 0, 0, 0)
                layout.addWidget(note)
                self.alternatives[plan.target] = note
        buttons = QtWidgets.QDialogButtonBox()
        self.send_button = buttons.addButton("Send", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._update()

    def targets(self) -> list[str]:
        return [t for t, box in self.checks.items() if box.isChecked() and box.isEnabled()]

    def _update(self) -> None:
        count = len(self.targets())
        self.send_button.setText(f"Send to {plural(count, 'agency', 'agencies')}")
        self.send_button.setEnabled(count > 0)


class DueDateDialog(GuardedDialog, QtWidgets.QDialog):
    changed = Signal(object)

    def __init__(self, vault, dispatch, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.vault, self.dispatch = vault, dispatch
        self.setWindowTitle("Change the due date")
        self.setModal(True)
        self.setMinimumWidth(440)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(heading(f"When is {dispatch.agency_name}'s answer due?"))
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.date = DateField()
        self.date.set_date(dispatch.due_date)
        self.row = FieldRow("Due date", self.date, "For example, 27/03/2026.")
        layout.addWidget(self.row)
        buttons = QtWidgets.QDialogButtonBox()
        self.ok_button = buttons.addButton("Change due date", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def submit(self) -> None:
        try:
            dispatch = set_due_date(self.vault, self.dispatch.id, self.date.text().strip())
        except Invalid as exc:
            text = exc.problems[0].message if exc.problems else str(exc)
            self.row.set_error(text)
            self.summary.show_problems([(self.date, text)])
            self.adjustSize()  # room for the error summary
            return
        except SpocError as exc:
            self.summary.show_problems([(self.date, error_text(exc, "The due date was not changed."))])
            self.adjustSize()
            return
        self.changed.emit(dispatch)
        self.accept()


class CloseRequestDialog(GuardedDialog, QtWidgets.QDialog):
    """Close a request: says what closing means, and asks why from a fixed list."""

    closed = Signal(object)

    def __init__(self, vault, request, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.vault, self.request = vault, request
        self.setWindowTitle(f"Close {request.reference}")
        self.setModal(True)
        self.setMinimumWidth(480)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(heading(f"Close {request.reference}?"))
        layout.addWidget(plain_label(
            "A closed request can no longer be changed or sent to more agencies. Its answers, "
            "disclosures and audit trail are kept. Answers still awaited are no longer chased."))
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        layout.addWidget(bold_label("Why is it closed?"))
        self.reasons = QtWidgets.QButtonGroup(self)
        self.reason_buttons: dict[str, QtWidgets.QRadioButton] = {}
        for code, text in CLOSE_REASONS.items():
            button = QtWidgets.QRadioButton(no_mnemonic(text))
            button.setAccessibleName(text)
            self.reasons.addButton(button)
            self.reason_buttons[code] = button
            layout.addWidget(button)
        buttons = QtWidgets.QDialogButtonBox()
        self.close_button = buttons.addButton("Close request", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def submit(self) -> None:
        chosen = next((code for code, b in self.reason_buttons.items() if b.isChecked()), None)
        if chosen is None:
            self.summary.show_problems([(next(iter(self.reason_buttons.values())), "Choose why the request is closed")])
            self.adjustSize()  # room for the error summary
            return
        try:
            request = close_request(self.vault, self.request.id, chosen)
        except SpocError as exc:
            self.summary.show_problems([(self.close_button, error_text(exc, "The request was not closed."))])
            self.adjustSize()
            return
        self.closed.emit(request)
        self.accept()


class RequestView(QtWidgets.QWidget):
    """The request read-only and its collation. Signals ask the area to change page."""

    back_requested = Signal()
    edit_requested = Signal(object)           # Request
    respond_requested = Signal(object, object)  # Request, Dispatch
    receive_requested = Signal(object, object)  # Request, Dispatch: key in an answer sent by another route
    changed = Signal()
    open_subject = Signal(str)  # a node of the request's relationship map: the shell opens its page

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.request = None
        self.collation = None
        self.dialog: QtWidgets.QDialog | None = None
        self.correction_strips: dict = {}
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = frameless_scroll()
        outer.addWidget(self.scroll)
        content = QtWidgets.QWidget()
        self.scroll.setWidget(content)
        layout = QtWidgets.QVBoxLayout(content)
        layout.setContentsMargins(24, 16, 24, 24)
        layout.setSpacing(6)

        self.back_button = QtWidgets.QPushButton("← Back to requests")
        self.back_button.setFlat(True)
        theme.style(self.back_button, "text-align: left; color: {link}; text-decoration: underline;")
        self.back_button.clicked.connect(self.back_requested)
        layout.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.title = heading("")
        layout.addWidget(self.title)
        self.status_line = plain_label("")
        layout.addWidget(self.status_line)
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)
        self.notice = plain_label("")
        theme.style(self.notice, SUCCESS_STYLE)
        self.notice.hide()
        layout.addWidget(self.notice)
        # On a partner desk: this desk's answer, when it is due, and Respond at once (issue 17).
        self.answer_banner = QtWidgets.QFrame()
        self.answer_banner.setObjectName("answerBanner")
        theme.style(self.answer_banner, "QFrame#answerBanner { border: 0px none; border-left: 6px solid {accent}; background: {info-tint}; }")
        banner = QtWidgets.QHBoxLayout(self.answer_banner)
        banner.setContentsMargins(12, 8, 12, 8)
        self.answer_due = plain_label("")
        theme.style(self.answer_due, "font-weight: bold;")
        self.answer_due.setAccessibleName("Your answer")
        banner.addWidget(self.answer_due, 1)
        self.banner_respond = QtWidgets.QPushButton("Respond")
        theme.style(self.banner_respond, theme.PRIMARY_LOOK)
        self.banner_respond.clicked.connect(self.respond_ours)
        banner.addWidget(self.banner_respond)
        self.answer_banner.hide()
        layout.addWidget(self.answer_banner)

        actions = FlowLayout()   # wraps at 150 % instead of hiding Close, Map and Print off the edge
        self.edit_button = QtWidgets.QPushButton("&Edit request")
        self.edit_button.clicked.connect(lambda: self.request and self.edit_requested.emit(self.request))
        self.send_button = QtWidgets.QPushButton("&Send to agencies…")
        self.send_button.clicked.connect(self.confirm_send)
        self.export_button = QtWidgets.QPushButton("Make packages a&gain…")
        self.export_button.setToolTip("Seal a new package for each agency already sent to, e.g. when a file was lost")
        self.export_button.clicked.connect(self.confirm_export)
        self.copy_button = QtWidgets.QPushButton("&Copy reference")
        self.copy_button.clicked.connect(self.copy_reference)
        self.onward_button = QtWidgets.QPushButton("Record onward disclos&ure…")
        self.onward_button.setToolTip("Record information from this request passed on to a partner (5.3); "
                                      "section 6 consent applies.")
        self.onward_button.clicked.connect(self.start_onward)
        self.close_button = QtWidgets.QPushButton("Clos&e request…")
        self.close_button.clicked.connect(self.confirm_close)
        self.map_button = QtWidgets.QPushButton("Relationship &map…")
        self.map_button.setToolTip("The people, locations and businesses on this request and the links between "
                                   "them (4.3(4)), in a window of their own")
        self.map_button.clicked.connect(self.open_map)
        self.print_button = QtWidgets.QPushButton("&Print…")
        self.print_button.setAccessibleName("Print or save this request, its collation or a response")
        self.print_menu = QtWidgets.QMenu(self.print_button)
        self.print_request_action = self.print_menu.addAction("The request form (Appendix 2)",
                                                              lambda: self.print_document("request"))
        self.print_collation_action = self.print_menu.addAction("The collation of all responses (5.3)",
                                                                lambda: self.print_document("collation"))
        self.print_response_action = self.print_menu.addAction("The chosen agency's response",
                                                               lambda: self.print_document("response"))
        self.print_for_action = self.print_menu.addAction("For another partner… (section 6.3)", self.print_for_partner)
        self.print_menu.aboutToShow.connect(self._update_print_menu)
        self.print_button.setMenu(self.print_menu)
        for button in (self.edit_button, self.send_button, self.export_button, self.copy_button, self.onward_button,
                       self.close_button, self.map_button, self.print_button):
            actions.addWidget(button)
        layout.addLayout(actions)
        self.action_hint = hint_label("")
        layout.addWidget(self.action_hint)
        self.onward_holder = QtWidgets.QVBoxLayout()
        layout.addLayout(self.onward_holder)
        self.onward_panel = None

        layout.addSpacing(10)
        layout.addWidget(heading("Agencies and their answers", 2))
        layout.addWidget(hint_label("Each agency asked, side by side (section 5.3). Choose a row to see the whole "
                                    "answer below or to act on it."))
        self.table = QtWidgets.QTableWidget(0, len(COLLATION_COLUMNS))
        self.table.setHorizontalHeaderLabels(COLLATION_COLUMNS)
        self.table.setAccessibleName("Agencies asked and their answers")
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        for column, width in enumerate((170, 190, 220)):
            header.setSectionResizeMode(column, QtWidgets.QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(column, width)
        for column in (3, 4):
            header.setSectionResizeMode(column, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header.sectionResized.connect(self._fit_table)
        self.table.setMinimumHeight(200)
        self.table.itemSelectionChanged.connect(self._row_chosen)
        layout.addWidget(self.table)
        row_actions = QtWidgets.QHBoxLayout()
        self.ack_button = QtWidgets.QPushButton("Mark &acknowledged")
        self.ack_button.clicked.connect(self.acknowledge_selected)
        self.due_button = QtWidgets.QPushButton("Change &due date…")
        self.due_button.clicked.connect(self.change_due_selected)
        self.respond_button = QtWidgets.QPushButton("&Respond…")
        self.respond_button.clicked.connect(self.respond_selected)
        self.receive_button = QtWidgets.QPushButton("Record an answer recei&ved…")
        self.receive_button.setToolTip("The agency answered by another route (for example secure e-mail): "
                                       "record what they sent.")
        self.receive_button.clicked.connect(self.receive_selected)
        self.pass_on_button = QtWidgets.QPushButton("Pass this answer &on…")
        self.pass_on_button.setToolTip("Section 6.3: a partner's answer goes to another partner only with its "
                                       "written consent; checked before any package is made.")
        self.pass_on_button.clicked.connect(self.pass_on_selected)
        self.pass_on_button.hide()
        self.chase_button = QtWidgets.QPushButton("C&hase…")
        self.chase_button.setToolTip("Record how you chased this agency for its answer and the new date promised "
                                     "(2.6); the package can be made again.")
        self.chase_button.clicked.connect(self.chase_selected)
        self._row_tips = {self.receive_button: self.receive_button.toolTip(),
                          self.chase_button: self.chase_button.toolTip()}
        for button in (self.ack_button, self.due_button, self.chase_button, self.respond_button, self.receive_button,
                       self.pass_on_button):
            row_actions.addWidget(button)
        row_actions.addStretch(1)
        layout.addLayout(row_actions)
        self.detail_box = QtWidgets.QFrame()
        self.detail_box.setObjectName("responseDetail")
        theme.style(self.detail_box, "QFrame#responseDetail { border: 0px none; border-left: 4px solid {accent}; }")
        self.detail = QtWidgets.QVBoxLayout(self.detail_box)
        self.detail.setContentsMargins(16, 4, 8, 4)
        self.detail_box.hide()
        layout.addWidget(self.detail_box)

        layout.addSpacing(10)
        self.body = QtWidgets.QVBoxLayout()
        layout.addLayout(self.body)
        layout.addStretch(1)

    # ---- loading ---------------------------------------------------------------------------

    def load(self, request_id: str) -> None:
        """Read the request and its collation (audited as a view) and show them."""
        self.collation = collation(self.session.vault, request_id)
        self.request = self.collation.request
        self._show()

    def reload(self) -> None:
        if self.request is not None:
            selected = self.selected_row()
            self.load(self.request.id)
            if selected is not None:
                self.select_dispatch(selected.dispatch.id)

    def open_map(self):
        """The request's relationship map in its own window (the one map of ui.kit.relmap)."""
        from ui.kit.relmap import MapWindow

        if self.request is None:
            return None
        self.map_window = MapWindow(self.session, "request", self.request.id, self.request.reference, self)
        self.map_window.subject_activated.connect(self.open_subject.emit)
        self.map_window.show()
        return self.map_window

    def _update_print_menu(self) -> None:
        row = self.selected_row()
        self.print_response_action.setEnabled(row is not None)
        self.print_response_action.setText(f"The response of {row.dispatch.agency_name}" if row is not None
                                           else "A response (choose an agency in the table first)")

    def print_for_partner(self):
        """Print one of this request's documents to give to another partner: refused without the
        written consent of each partner whose answers it carries (app.consent, as in the core)."""
        from ui.consent.dialogs import print_for_dialog

        if self.request is None:
            return None
        row = self.selected_row()
        dialog = print_for_dialog(self, self.session, self.request, row.dispatch.target if row is not None else None)
        dialog.accepted.connect(lambda: self._print_for(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _print_for(self, dialog):
        from ui.kit.preview import show_report

        return show_report(self, self.session, dialog.kind, dialog.reference, for_agency=dialog.to_code,
                           purpose=dialog.purpose_id)

    def print_document(self, kind: str):
        """Open the preview of one of this request's documents (built off the GUI thread)."""
        from ui.kit.preview import show_report

        if self.request is None:
            return None
        reference = self.request.reference
        if kind == "response":
            row = self.selected_row()
            if row is None:
                return None
            reference = f"{reference}/{row.dispatch.target}"
        return show_report(self, self.session, kind, reference)

    def breach_context(self) -> dict | None:
        """What a breach reported from this screen links to: this request and its subjects."""
        if self.request is None:
            return None
        return {"request_ids": [self.request.id], "subject_ids": [s.id for s in self.request.subjects]}

    def confirm_close(self) -> CloseRequestDialog | None:
        if self.request is None:
            return None
        dialog = CloseRequestDialog(self.session.vault, self.request, self)
        dialog.closed.connect(lambda request: (self.reload(), self.say(f"{request.reference} is closed."),
                                               self.changed.emit()))
        dialog.open()
        return dialog

    def clear_messages(self) -> None:
        self.summary.show_problems([])
        self.say("")

    def say(self, text: str) -> None:
        announce(self.notice, text)   # after a save or a send, focus goes to what happened

    def _show(self) -> None:
        request, vault = self.request, self.session.vault
        self.title.setText(f"Request {request.reference}")
        sent = [d for d in request.dispatches if d.status != "draft"]
        status = REQUEST_STATUS_TITLES.get(request.status, request.status)
        line = f"{status}. From {self._agency(request.origin_agency)}."
        if sent:
            line += f" Sent to {plural(len(sent), 'agency', 'agencies')}, {self.collation.answered} answered."
        overdue = sum(1 for r in self.collation.rows if r.overdue)
        if overdue:
            line += f" {overdue} overdue."
        from app import chasing

        self.chases = chasing.chases_by_dispatch(vault, request.id) if vault.agency == request.origin_agency else {}
        self.flags = {f.dispatch_id: f for f in chasing.flagged(vault, request_id=request.id)}
        if self.flags:
            line += (f" {plural(len(self.flags), 'answer')} overdue again after a chase: for the lead officer.")
        self.status_line.setText(line)
        may = allowed(vault, request)   # the core says what this user may do now, and why not
        for button, answer in ((self.edit_button, may.edit), (self.send_button, may.send),
                               (self.close_button, may.close)):
            button.setVisible(answer.offered)
            button.setEnabled(answer.ok)
            button.setToolTip(answer.reason)
        self.export_button.setVisible(may.export.offered)
        self.onward_button.setVisible(may.record_onward.offered)
        self.onward_button.setEnabled(may.record_onward.ok and self.onward_panel is None)
        if self.onward_panel is not None and self.onward_panel.request.id != request.id:
            self.close_onward()
        self.action_hint.setText(" ".join(may.notes))
        self.action_hint.setVisible(bool(may.notes))
        self._fill_table()
        self._fill_body()
        self._row_chosen()
        self._show_answer_banner()

    def _show_answer_banner(self) -> None:
        """"Your answer is due 11/12/2026 — Respond" on a request another desk sent this desk."""
        vault, request = self.session.vault, self.request
        ours = our_dispatch(vault, request)
        may = allowed_dispatch(vault, request, ours).respond if ours is not None else None
        if ours is None or not may.offered:
            self.answer_banner.hide()
            return
        if ours.status in ("sent", "acknowledged"):
            due = uk_date(ours.due_date) if ours.due_date else ""
            late = ours.is_overdue()
            text = (f"Your answer was due {due} and is overdue" if late else
                    f"Your answer is due {due}" if due else "Your answer has not been sent yet")
        else:
            text = f"Answered: {STATUS_TITLES.get(ours.status, ours.status)}"
        self.answer_due.setText(text)
        theme.style(self.answer_due, "font-weight: bold;" + (" color: {danger};" if "overdue" in text else ""))
        self.banner_respond.setVisible(may.ok)
        self.banner_respond.setAccessibleName(f"Respond to {request.reference}")
        self.answer_banner.show()

    def respond_ours(self) -> None:
        """Respond without first choosing this desk's row in the table."""
        ours = our_dispatch(self.session.vault, self.request) if self.request is not None else None
        if ours is not None and allowed_dispatch(self.session.vault, self.request, ours).respond.ok:
            self.respond_requested.emit(self.request, ours)

    @staticmethod
    def _agency(code: str) -> str:
        try:
            return load_agreement().partner(code).name
        except KeyError:
            return code

    def _fill_table(self) -> None:
        self.table.setSortingEnabled(False)
        self.table.clearContents()
        rows = self.collation.rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            dispatch = row.dispatch
            parts = response_parts(row.response)
            sent = "" if getattr(dispatch, "package_made_at", None) else f"\nSent: {uk_time(dispatch.sent_at)}"
            status = (f"{dispatch_words(dispatch)}{sent}"
                      f"\nDue: {due_text(dispatch)}")
            chased = len(getattr(self, "chases", {}).get(dispatch.id, []))
            if chased:
                status += f"\nChased {plural(chased, 'time')}"
            if dispatch.id in getattr(self, "flags", {}):
                status += "\nOVERDUE AGAIN after a chase: for the lead officer"
            answer = parts["answer"] + (f"\nLawful basis: {parts['basis']}" if parts["basis"] else "")
            tests = parts["tests"]
            if parts["partnership"]:
                tests += ("\n" if tests else "") + f"Partnership working: {parts['partnership']}"
            cells = (dispatch.agency_name, status, answer, _short(parts["held"]), _short(tests))
            for c, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, dispatch.id)
                if c == 1 and row.overdue:
                    theme.mark_item(item, "danger")
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self._fit_table()

    def _fit_table(self, *_args) -> None:
        self.table.resizeRowsToContents()
        height = self.table.horizontalHeader().height() + sum(
            self.table.rowHeight(r) for r in range(self.table.rowCount())) + 8
        self.table.setMinimumHeight(min(max(height, 100), 560))

    def _kv(self, grid: QtWidgets.QGridLayout, key: str, value: str) -> None:
        row = grid.rowCount()
        label = plain_label(key)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(label, row, 0)
        text = plain_label(value if value else "—", selectable=True)
        text.setAccessibleName(key)
        grid.addWidget(text, row, 1)

    def _grid(self) -> QtWidgets.QGridLayout:
        grid = QtWidgets.QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(8)
        grid.setColumnMinimumWidth(0, 200)
        grid.setColumnStretch(1, 1)
        return grid

    def _clear_layout(self, layout: QtWidgets.QLayout) -> None:
        while layout.count():
            item = layout.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()   # gone at once, not only when the deferred delete runs
                item.widget().deleteLater()
            elif item.layout() is not None:
                self._clear_layout(item.layout())

    def _fill_body(self) -> None:
        self._clear_layout(self.body)
        request, agreement = self.request, load_agreement()
        body = self.body

        def names(items, codes):
            by_id = {i.id: getattr(i, "text", None) or getattr(i, "name", "") for i in items}
            return "\n".join(f"• {by_id.get(c, c)}" for c in codes)

        body.addWidget(heading("The request", 2))
        grid = self._grid()
        self._kv(grid, "Reference", request.reference)
        self._kv(grid, LABELS["request_date"], uk_date(request.request_date))
        self._kv(grid, "Person making the request", "\n".join(v for v in (
            request.requester_name, request.requester_rank,
            f"Collar or staff number: {request.requester_number}" if request.requester_number else "",
            request.requester_team) if v))
        self._kv(grid, LABELS["requester_contact"], request.requester_contact)
        self._kv(grid, LABELS["reasons"], names(agreement.request_reasons, request.reasons))
        self._kv(grid, LABELS["information_date"], uk_date(request.information_date))
        self._kv(grid, LABELS["information"], request.information)
        self._kv(grid, "Request", request.check_request)
        self._kv(grid, LABELS["partnership_question"], request.partnership_question)
        self._kv(grid, LABELS["exploitation_types"], names(agreement.exploitation_types, request.exploitation_types))
        purposes = []
        for purpose in agreement.purposes:
            purposes.append(purpose)
            purposes.extend(purpose.items)
        self._kv(grid, LABELS["purposes"], names(purposes, request.purposes))
        self._kv(grid, LABELS["info_types"], names(agreement.information_types, request.info_types))
        body.addLayout(grid)
        self.correction_strips = {}
        self._add_corrections(body, "request", request.id)

        body.addSpacing(10)
        body.addWidget(heading(f"Subjects ({len(request.subjects)})", 2))
        if not request.subjects:
            body.addWidget(hint_label("No subjects yet."))
        for subject in request.subjects:
            grid = self._grid()
            role = SUBJECT_ROLES.get(subject.role or "unknown", subject.role or "")
            self._kv(grid, f"{KIND_TITLES.get(subject.kind, subject.kind)}: {role}", subject_name_display(subject.name))
            flagged = [v for v in (subject.name, *subject.aliases) if textcheck.has_hidden(v)]
            if subject.aliases:
                self._kv(grid, "Aliases", "\n".join(textcheck.visible(a) for a in subject.aliases))
            if subject.date_of_birth:
                self._kv(grid, "Date of birth", uk_date(subject.date_of_birth))
            if subject.addresses:
                self._kv(grid, "Addresses", "\n".join(subject.addresses))
            if subject.identifiers:
                self._kv(grid, "Identifiers", "\n".join(
                    f"{i.get('type')}: {i.get('value')}" if i.get("type") else i.get("value", "")
                    for i in subject.identifiers))
            if subject.description:
                self._kv(grid, "Description", subject.description)
            body.addLayout(grid)
            self._add_corrections(body, "subject", subject.id)
            for value in flagged:
                warning = plain_label(f"⚠ {textcheck.warning(value)} Shown marked: {textcheck.visible(value)}")
                theme.style(warning, "color: {danger}; font-weight: bold;")
                body.addWidget(warning)
            line = QtWidgets.QFrame()
            line.setFrameShape(QtWidgets.QFrame.Shape.HLine)
            theme.style(line, "color: {border};")
            body.addWidget(line)

        if self.session.can("disclosures.read"):
            from app.disclosures import list_disclosures
            from ui.requests.onward import onward_lines

            onward = [d for d in list_disclosures(self.session.vault, request_id=request.id, limit=500).items
                      if d.kind == "onward"]
            body.addSpacing(10)
            body.addWidget(heading(f"Onward disclosures ({len(onward)})", 2))
            if not onward:
                body.addWidget(hint_label("None recorded. Information from this request passed on to a partner "
                                          "is recorded with “Record onward disclosure…”."))
            for disclosure in onward:
                label = plain_label(onward_lines(disclosure), selectable=True)
                label.setAccessibleName(f"Onward disclosure to {disclosure.to_agency}")
                body.addWidget(label)
            self.onward_count = len(onward)

        body.addSpacing(10)
        body.addWidget(heading("Declaration", 2))
        ticked = set(request.declaration)
        for confirmation in agreement.declaration.confirmations:
            mark = "✔ Confirmed" if confirmation.id in ticked else "✘ Not confirmed"
            body.addWidget(plain_label(f"{mark}: {confirmation.text}"))
        if request.declared_at:
            body.addWidget(hint_label(f"Confirmed by {request.declared_by} on {uk_time(request.declared_at)}."))
        else:
            body.addWidget(hint_label("The declaration has not been confirmed in full."))

    # ---- selected dispatch -----------------------------------------------------------------

    def selected_row(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or self.collation is None:
            return None
        item = self.table.item(rows[0].row(), 0)
        dispatch_id = item.data(Qt.ItemDataRole.UserRole) if item else None
        return next((r for r in self.collation.rows if r.dispatch.id == dispatch_id), None)

    def select_dispatch(self, dispatch_id: str) -> None:
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == dispatch_id:
                self.table.selectRow(r)
                return

    def _row_chosen(self) -> None:
        row = self.selected_row()
        if self.request is not None:
            may = allowed_dispatch(self.session.vault, self.request, row.dispatch if row else None)
            for button, answer in ((self.ack_button, may.acknowledge), (self.due_button, may.change_due),
                                   (self.receive_button, may.record_received), (self.respond_button, may.respond)):
                button.setVisible(answer.offered)
                button.setEnabled(answer.ok)
                button.setToolTip(answer.reason or self._row_tips.get(button, ""))
            self.pass_on_button.setVisible(self._can_pass_on(row))
            chase = self._may_chase(row)
            self.chase_button.setVisible(chase is not None)
            self.chase_button.setEnabled(bool(chase))
        self._fill_detail(row)

    def _can_pass_on(self, row) -> bool:
        """A partner's answer (sent, not a draft) to this desk's own request."""
        return bool(row is not None and row.response is not None and self.request is not None
                    and self.request.origin_agency == self.session.vault.agency
                    and row.response.origin_agency != self.session.vault.agency and row.response.status != "draft")

    def pass_on_selected(self):
        """'Pass this answer on…': check written consent, then make the package (SendPackagesDialog)."""
        from ui.consent.dialogs import pass_on_dialog

        row = self.selected_row()
        if not self._can_pass_on(row):
            return None
        agency = row.response.origin_agency
        dialog = pass_on_dialog(self, self.session, self.request, agency)
        dialog.accepted.connect(lambda: self._pass_on(agency, dialog.to_code, dialog.purpose_id))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _pass_on(self, agency: str, to: str, purpose: str):
        dialog = SendPackagesDialog(self.session, f"{self.request.reference}/{agency}", [to], self, purpose=purpose)
        dialog.made.connect(self._packages_made)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _may_chase(self, row):
        """None when chasing is not for this user or request; else True, or False with no row
        chosen or an answer already in."""
        request = self.request
        if not self.session.can("requests.write") or request.origin_agency != self.session.vault.agency:
            return None
        return row is not None and row.dispatch.status in ("sent", "acknowledged")

    def _fill_detail(self, row) -> None:
        self._clear_layout(self.detail)
        if row is None:
            self.detail_box.hide()
            return
        dispatch, response = row.dispatch, row.response
        self.detail.addWidget(heading(dispatch.agency_name, 2))
        grid = self._grid()
        self._kv(grid, "Status", dispatch_words(dispatch))
        self._kv(grid, "Sent", uk_time(dispatch.sent_at))
        self._kv(grid, "Due", due_text(dispatch))
        if dispatch.acknowledged_at:
            self._kv(grid, "Acknowledged", uk_time(dispatch.acknowledged_at))
        if dispatch.outage_id:
            from app.outages import dispatch_words as outage_words

            self._kv(grid, "Sent by", outage_words(self.session.vault, dispatch.id))
        chases = getattr(self, "chases", {}).get(dispatch.id, [])
        if chases:
            from ui.requests.chase import chase_lines

            self._kv(grid, f"Chased ({len(chases)})", chase_lines(chases))
        flag = getattr(self, "flags", {}).get(dispatch.id)
        if flag is not None:
            self._kv(grid, "For the lead officer", f"Overdue again after a chase: {flag.text()}.")
        if response is None:
            self._kv(grid, "Answer", "No answer yet")
        else:
            self._kv(grid, RESPONSE_LABELS["kind"], ANSWER_TITLES.get(response.kind, response.kind))
            self._kv(grid, "Provided by (originator)",
                     f"{agency_name(response.origin_agency)} ({response.origin_agency}): section 6 — it goes to a "
                     "third party only with their written consent" if response.origin_agency != self.session.vault.agency
                     else f"{agency_name(response.origin_agency)} (this desk)")
            self._kv(grid, RESPONSE_LABELS["responder_name"], "\n".join(
                v for v in (response.responder_name, response.responder_role, response.responder_contact) if v))
            self._kv(grid, RESPONSE_LABELS["response_date"], uk_date(response.response_date))
            if response.kind == "declined":
                self._kv(grid, RESPONSE_LABELS["decline_reason"], response.decline_reason)
            if response.kind == "disclosure":
                self._kv(grid, RESPONSE_LABELS["held_text"], response.held_text)
                self._kv(grid, RESPONSE_LABELS["disclosed_text"], response.disclosed_text)
                info = {i.id: i.text for i in load_agreement().information_types}
                self._kv(grid, RESPONSE_LABELS["info_types"], "\n".join(
                    f"• {info.get(c, c)}" for c in response.info_types))
                self._kv(grid, RESPONSE_LABELS["lawful_bases"], response_parts(response)["basis"])
                for key in ("necessary", "proportionate", "accurate"):
                    self._kv(grid, RESPONSE_LABELS[key], getattr(response, key))
            self._kv(grid, RESPONSE_LABELS["partnership_answer"], response.partnership_answer)
            if response.conditions_of_use:
                self._kv(grid, "Conditions of use", "Section 6 conditions travel with this answer ("
                         + ", ".join(c.get("clause", "") for c in response.conditions_of_use) + ").")
        self.detail.addLayout(grid)
        if response is not None and response.kind == "disclosure":
            self._add_corrections(self.detail, "response", response.id)
        self.detail_box.show()

    def _add_corrections(self, layout, item_type: str, item_id: str) -> None:
        """The record's correction notes and its flag or correct button (clause 7.2)."""
        from ui.kit.correction_flag import CorrectionStrip

        strip = CorrectionStrip(self.session, item_type, item_id)
        strip.changed.connect(lambda words: (self.reload(), self.say(words)))
        self.correction_strips[(item_type, item_id)] = strip
        layout.addWidget(strip)

    # ---- onward disclosure (5.3, section 6) ------------------------------------------------

    def start_onward(self):
        """Open the inline panel for recording an onward disclosure of this request's information."""
        from ui.requests.onward import OnwardDisclosurePanel

        if self.request is None or self.collation is None:
            return None
        self.clear_messages()
        self.close_onward()
        panel = OnwardDisclosurePanel(self.session, self.collation)
        panel.recorded.connect(self._onward_recorded)
        panel.cancelled.connect(self.close_onward)
        self.onward_holder.addWidget(panel)
        panel.show()
        self.onward_panel = panel
        self.onward_button.setEnabled(False)
        panel.setFocus()
        return panel

    def close_onward(self) -> None:
        if self.onward_panel is not None:
            self.onward_panel.setParent(None)
            self.onward_panel.deleteLater()
            self.onward_panel = None
        self.onward_button.setEnabled(True)

    def _onward_recorded(self, disclosure) -> None:
        self.close_onward()
        self.reload()
        self.say(f"Onward disclosure to {self._agency(disclosure.to_agency)} recorded in the disclosure register.")
        self.changed.emit()

    # ---- actions ---------------------------------------------------------------------------

    def copy_reference(self) -> None:
        if self.request is not None:
            self.session.copy_text(self.request.reference)
            self.say(f"{self.request.reference} copied. The clipboard is cleared when the desk locks.")

    def confirm_send(self) -> SendDialog | None:
        """Check the request can go, then say who will receive it and how (a dialog)."""
        self.clear_messages()
        request = self.request
        if request is None:
            return None
        problems = problems_for_sending(request)
        if problems:
            self.summary.show_problems([(self.edit_button, f"{LABELS.get(p.field, p.field)}: {p.message}")
                                        for p in problems])
            self.say("")
            self.action_hint.setText("Edit the request to put these right, then send it.")
            self.action_hint.show()
            return None
        may = allowed(self.session.vault, request).send
        if not may.ok:
            self.summary.show_problems([(self.edit_button, may.reason)])
            return None
        dialog = SendDialog(request, self.session.vault, self)
        dialog.accepted.connect(lambda: self._send_chosen(dialog))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.dialog = dialog
        dialog.open()
        return dialog

    def _send_chosen(self, dialog: SendDialog) -> None:
        """Packages for the agencies chosen; an agency whose alternative exchange is the telephone
        while its equipment is down (10.2) is marked sent by telephone instead (no package)."""
        by_phone = {p.target for p in dialog.plans if p.channel == "telephone"}
        targets = dialog.targets()
        phone = [t for t in targets if t in by_phone]
        rest = [t for t in targets if t not in by_phone]
        if phone and self.send(phone):
            self.say(self.notice.text() + " Give the information by telephone now and log the call (Partners ▸ "
                     "Log a telephone call): their equipment is down (10.2).")
        if rest:
            self.make_packages(rest)

    def make_packages(self, targets) -> SendPackagesDialog | None:
        """One sealed package per agency in `targets` (app.exchange.packages.send), into a folder
        the user chooses; the dialog says what will go to whom before anything is made."""
        self.clear_messages()
        agencies = list(dict.fromkeys(t.split("/")[0] for t in targets))
        try:
            dialog = SendPackagesDialog(self.session, self.request.reference, agencies, self)
        except SpocError as exc:
            self.summary.show_problems([(self.send_button, error_text(exc, "No package was made."))])
            return None
        dialog.made.connect(self._packages_made)
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.dialog = dialog
        dialog.open()
        return dialog

    def _packages_made(self, made: list) -> None:
        self.reload()
        self.say(f"{plural(len(made), 'package')} made {uk_time(utc_now_iso())} — attach each to a secure e-mail "
                 "to the address shown. Recorded in the disclosure register; a partner's receipt marks it delivered.")
        self.changed.emit()

    def send(self, targets) -> bool:
        """Record `targets` as sent without a package (the core's send_to_agencies; used where the
        information went by another route). The screen's Send makes packages instead."""
        self.clear_messages()
        try:
            dispatches = send_to_agencies(self.session.vault, self.request.id, list(targets))
        except Invalid as exc:
            self.summary.show_problems([(self.send_button, f"{LABELS.get(p.field, p.field)}: {p.message}")
                                        for p in exc.problems])
            return False
        except SpocError as exc:
            self.summary.show_problems([(self.send_button, error_text(exc, "Nothing was sent."))])
            return False
        names = [d.agency_name for d in dispatches if d.target in set(targets)]
        self.reload()
        self.say(f"Recorded as sent to {', '.join(names)}, in the disclosure register, without a package.")
        self.changed.emit()
        return True

    def confirm_export(self) -> SendPackagesDialog | None:
        """Make the packages again for the agencies already sent to (a lost or expired file)."""
        self.clear_messages()
        request = self.request
        if request is None:
            return None
        may = allowed(self.session.vault, request)
        if not may.export.ok:
            self.summary.show_problems([(self.send_button, may.export.reason)])
            return None
        return self.make_packages(list(may.export_to))

    def acknowledge_selected(self) -> bool:
        row = self.selected_row()
        if row is None:
            return False
        self.clear_messages()
        try:
            acknowledge_dispatch(self.session.vault, row.dispatch.id)
        except SpocError as exc:
            self.summary.show_problems([(self.ack_button, error_text(exc, "Not recorded."))])
            return False
        self.reload()
        self.say(f"{row.dispatch.agency_name} has acknowledged the request.")
        self.changed.emit()
        return True

    def change_due_selected(self) -> DueDateDialog | None:
        row = self.selected_row()
        if row is None:
            return None
        self.clear_messages()
        dialog = DueDateDialog(self.session.vault, row.dispatch, self)
        dialog.changed.connect(lambda d: (self.reload(), self.say(
            f"{d.agency_name}'s answer is now due by {uk_date(d.due_date)}."), self.changed.emit()))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.dialog = dialog
        dialog.open()
        return dialog

    def chase_selected(self):
        """Record a chase of the chosen agency's overdue answer (ui.requests.chase)."""
        from ui.requests.chase import ChaseDialog

        row = self.selected_row()
        if row is None or not self._may_chase(row):
            return None
        self.clear_messages()
        dialog = ChaseDialog(self.session, self.request, row.dispatch, self)
        dialog.chased.connect(lambda chase, made: self._chased(row.dispatch, chase, made))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.dialog = dialog
        dialog.open()
        return dialog

    def _chased(self, dispatch, chase, made) -> None:
        self.reload()
        self.select_dispatch(dispatch.id)
        text = f"Chase of {dispatch.agency_name} recorded; the answer is now due by {uk_date(chase.promised_date)}."
        if made:
            text += f" Package made again: {made[0].path} — attach it to a secure e-mail" + (
                f" to {made[0].email}." if made[0].email else ".")
        if chase.call_id:
            text += " The call is in the telephone log."
        self.say(text)
        self.changed.emit()

    def receive_selected(self) -> None:
        row = self.selected_row()
        if row is not None and allowed_dispatch(self.session.vault, self.request, row.dispatch).record_received.ok:
            self.receive_requested.emit(self.request, row.dispatch)

    def respond_selected(self) -> None:
        row = self.selected_row()
        if row is not None and allowed_dispatch(self.session.vault, self.request, row.dispatch).respond.ok:
            self.respond_requested.emit(self.request, row.dispatch)
