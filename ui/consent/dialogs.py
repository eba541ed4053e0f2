"""The consent dialogs: ask the originating desk (from a refused disclosure), answer a request
received (grant some or all items, until a date, with conditions; or refuse with a reason), and
withdraw a grant. Each makes its sealed package through app.consent; the screen says what will
go to whom before it does, and where the package file is afterwards."""

from __future__ import annotations

from pathlib import Path

from app import consent
from app.agreement import load_agreement
from ui.kit.dialogs import FormDialog
from ui.kit.fields import CheckList, DateField, LineBox, TextBox, readonly_text
from ui.kit.formatting import agency_name, documents_folder, uk_date
from ui.kit.widgets import plain_label
from ui.qt import QtCore, QtWidgets
from ui.kit import theme


def _shown(text: str, lines: int, name: str):
    """Read-only text at least `lines` high, wrapped (never a sideways scroll bar)."""
    from ui.qt import Qt

    box = readonly_text(text, lines, name)
    box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    box.setFixedHeight(box.fontMetrics().lineSpacing() * lines + 14)
    return box


def _fitting(box: QtWidgets.QComboBox) -> QtWidgets.QComboBox:
    """A choice whose longest item (a purpose's full words) does not set the dialog's minimum
    width: wider than the window at 150 %, it squeezed every field to a sliver after a refusal.
    The box follows the dialog's width; its list still shows each item in full."""
    from ui.qt import Qt

    box.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(24)
    box.view().setTextElideMode(Qt.TextElideMode.ElideNone)
    for index in range(box.count()):
        box.setItemData(index, box.itemText(index), Qt.ItemDataRole.ToolTipRole)
    return box


def _partner_box(excluded) -> QtWidgets.QComboBox:
    box = QtWidgets.QComboBox()
    box.addItem("Choose a partner", "")
    for partner in load_agreement().partners:
        if partner.code not in excluded:
            box.addItem(f"{partner.name} ({partner.code})", partner.code)
    return _fitting(box)


def _add_ask_button(dialog: FormDialog, session, request_id: str | None) -> None:
    """'Ask for consent…' under a checking dialog's fields, for what its last decision found missing."""

    def ask() -> None:
        decision = dialog.decision
        if decision is not None and not decision.allowed and decision.needs:
            dialog.ask = ask_dialog(dialog, session, list(decision.needs[0].items), decision.recipient,
                                    decision.purpose, request_id)
            dialog.ask.open()

    dialog.setMinimumWidth(720)  # the refusal in full wraps to a few lines, never squeezes the fields
    dialog.accept_button.clicked.connect(lambda: QtCore.QTimer.singleShot(0, lambda: _grow(dialog)))
    dialog.decision = dialog.ask = None
    dialog.notice = plain_label("")
    theme.style(dialog.notice, "border: 0px none; border-left: 5px solid {danger}; padding-left: 10px; font-weight: bold;")
    dialog.notice.hide()
    dialog._fields.addWidget(dialog.notice)
    dialog.ask_button = QtWidgets.QPushButton("&Ask for consent…")
    dialog.ask_button.clicked.connect(ask)
    dialog.ask_button.hide()
    dialog._fields.addWidget(dialog.ask_button)


def _grow(dialog: FormDialog) -> None:
    """Make room for what a refused check added (the summary, the refusal): a window whose text
    wraps is not grown by Qt on its own."""
    layout = dialog.layout()
    layout.activate()
    wanted = max(layout.totalHeightForWidth(dialog.width()) if layout.hasHeightForWidth() else 0,
                 layout.totalMinimumSize().height(), layout.totalSizeHint().height())
    if wanted > dialog.height():
        dialog.setMinimumHeight(wanted)
        dialog.resize(dialog.width(), wanted)


def _checked(dialog: FormDialog, decision):
    """Say what is needed, in full, under the fields and offer Ask for consent… when one partner's
    consent is missing; refuse (the dialog stays open, the recipient field marked) if any is."""
    from app.records import Invalid, Problem

    dialog.decision = decision
    dialog.ask_button.setVisible(not decision.allowed and len(decision.needs) == 1)
    dialog.notice.setText("" if decision.allowed else decision.message)
    dialog.notice.setVisible(not decision.allowed)
    if not decision.allowed:
        who = ", ".join(n.originator for n in decision.needs)
        raise Invalid([Problem("to", f"{who} has not given written consent for this (section 6.3): see below")])
    return decision


def _folder_field() -> LineBox:
    box = LineBox()
    box.set_value(str(documents_folder()))
    return box


def _purpose_box(chosen: str) -> QtWidgets.QComboBox:
    box = QtWidgets.QComboBox()
    for purpose in purpose_ids():
        box.addItem(consent.purpose_words(purpose), purpose)
    index = box.findData(chosen)
    box.setCurrentIndex(max(index, 0))
    return _fitting(box)


def purpose_ids() -> list[str]:
    out = []

    def walk(items):
        for item in items:
            out.append(item.id)
            walk(item.items)

    walk(load_agreement().purposes)
    return out


def ask_dialog(parent, session, items, recipient: str, purpose: str, request_id: str | None = None) -> FormDialog:
    """'Ask for consent…': what would go to whom and why, then the package for the originator."""
    vault = session.vault
    origin = consent.originator_of(vault, items[0]) if items else ""
    described = "\n".join(f"• {consent.describe_item(vault, i)}" for i in items)

    def submit(dialog: FormDialog) -> None:
        asked, path = consent.ask_consent(vault, items, recipient, dialog.purpose.currentData(),
                                          reason=dialog.reason.value(), needed_by=dialog.needed_by.text(),
                                          out_dir=Path(dialog.folder.value().strip()), request_id=request_id)
        dialog.asked, dialog.path = asked, path

    dialog = FormDialog(parent, "Ask for written consent",
                        f"{agency_name(origin)} provided this information. Section 6.3: it goes to "
                        f"{agency_name(recipient)} only with {agency_name(origin)}'s written consent. This records "
                        f"the request and makes a sealed package for {origin}'s desk: attach it to a secure e-mail.",
                        "&Make consent request", submit)
    dialog.setMinimumWidth(640)
    dialog.asked = dialog.path = None
    dialog.add("items", "What would go", _shown(described, 4, "What would go"))
    dialog.add("recipient", "To whom", plain_label(f"{agency_name(recipient)} ({recipient})"))
    dialog.purpose = dialog.add("purpose", "&For which purpose", _purpose_box(purpose),
                                "Section 4.3. A grant covers this purpose only.")
    dialog.reason = dialog.add("reason", "&Why it is needed", TextBox(3),
                               f"{origin} sees this with the items when deciding.")
    dialog.needed_by = dialog.add("needed_by", "&Needed by (optional)", DateField())
    dialog.folder = dialog.add("folder", "&Folder for the package", _folder_field(),
                               "Keep package files out of synced folders.")
    return dialog


def answer_dialog(parent, session, asked) -> FormDialog:
    """On the originating desk: exactly what would go to whom and why; grant some or all, or refuse."""
    vault = session.vault
    choices = [(item, consent.describe_item(vault, item, short=True), "", 0) for item in asked.items]
    described = "\n".join(f"• {consent.describe_item(vault, i)}" for i in asked.items)

    def submit(dialog: FormDialog) -> None:
        decision = "granted" if dialog.grant.isChecked() else "refused"
        answer, path = consent.answer_consent(
            vault, asked.id, decision, items=dialog.items.values() if decision == "granted" else None,
            until=dialog.until.text() or None, conditions=dialog.conditions.value(), reason=dialog.reason.value(),
            out_dir=Path(dialog.folder.value().strip()))
        dialog.answer, dialog.path = answer, path

    needed = f" It is needed by {uk_date(asked.needed_by)}." if asked.needed_by else ""
    dialog = FormDialog(parent, f"Answer consent request {asked.reference}",
                        f"{agency_name(asked.asking_agency)} asks to disclose the information below to "
                        f"{agency_name(asked.recipient)} ({asked.recipient}) for "
                        f"{consent.purpose_words(asked.purpose)}.{needed} Your answer is signed by this desk: "
                        "that signature is what makes it written consent.",
                        "&Sign and make the answer", submit)
    dialog.answer = dialog.path = None
    dialog.setMinimumWidth(680)
    dialog.add("what", "What would go (this desk's own copy)", _shown(described, 4, "What would go"))
    dialog.add("why", "Why they need it", _shown(asked.reason, 3, "Why they need it"))
    dialog.items = dialog.add("items", "&Items you consent to", CheckList(choices),
                              "Untick any item that must not go. A grant covers only the items ticked.")
    dialog.items.set_values(asked.items)
    choice = QtWidgets.QWidget()
    row = QtWidgets.QHBoxLayout(choice)
    row.setContentsMargins(0, 0, 0, 0)
    dialog.grant = QtWidgets.QRadioButton("&Grant consent")
    dialog.refuse = QtWidgets.QRadioButton("&Refuse consent")
    dialog.grant.setChecked(True)
    row.addWidget(dialog.grant)
    row.addWidget(dialog.refuse)
    row.addStretch(1)
    dialog.add("decision", "Your decision", choice)
    dialog.until = dialog.add("until", "Consent lasts &until (optional)", DateField(),
                              "After this date the grant covers nothing.")
    dialog.conditions = dialog.add("conditions", "&Conditions (optional)", TextBox(2),
                                   "For example: for the NCA's investigation only; no further disclosure.")
    dialog.reason = dialog.add("reason", "R&eason", TextBox(2), "Needed when you refuse.")
    dialog.folder = dialog.add("folder", "&Folder for the answer package", _folder_field())
    return dialog


def withdraw_dialog(parent, session, grant) -> FormDialog:
    vault = session.vault

    def submit(dialog: FormDialog) -> None:
        answer, path = consent.withdraw_grant(vault, grant.id, reason=dialog.reason.value(),
                                              out_dir=Path(dialog.folder.value().strip()))
        dialog.answer, dialog.path = answer, path

    dialog = FormDialog(parent, "Withdraw consent",
                        f"From now on the grant covers no further disclosure to {agency_name(grant.recipient)}. "
                        "What has gone already is not recalled. A signed withdrawal package is made for the desk "
                        "that asked.", "&Sign and make the withdrawal", submit)
    dialog.answer = dialog.path = None
    dialog.reason = dialog.add("reason", "&Why consent is withdrawn", TextBox(2))
    dialog.folder = dialog.add("folder", "&Folder for the package", _folder_field())
    return dialog


def pass_on_dialog(parent, session, request, agency: str) -> FormDialog:
    """'Pass this answer on…': a partner's answer to this desk's request, to a third party as a
    sealed package. Says first whether written consent covers it (the same check `send` makes);
    without it, offers 'Ask for consent…'. Accepting leaves `dialog.to` and `dialog.purpose_id`."""
    vault = session.vault
    items = consent.items_of_request(vault, request.id, responses_of=agency)

    def decide(dialog: FormDialog):
        to = dialog.to.currentData() or ""
        if not to:
            from app.errors import InvalidInput

            raise InvalidInput("Choose the partner to pass the answer to.")
        return consent.check_disclosure(vault, items, to, dialog.purpose.currentData())

    def submit(dialog: FormDialog) -> None:
        decision = _checked(dialog, decide(dialog))
        dialog.to_code, dialog.purpose_id = decision.recipient, decision.purpose

    dialog = FormDialog(parent, f"Pass {agency}'s answer on",
                        f"{agency_name(agency)} provided this answer to {request.reference}. Section 6.3: it goes to "
                        "another partner only with their written consent, checked before any package is made.",
                        "&Check and continue…", submit)
    dialog.to_code = dialog.purpose_id = None
    dialog.to = dialog.add("to", "&To which partner", _partner_box((vault.agency, agency)))
    dialog.purpose = dialog.add("purpose", "&For which purpose", _purpose_box(consent.default_purpose(vault,
                                                                                                      request.id)),
                                "Section 4.3. Written consent covers one purpose only.")
    _add_ask_button(dialog, session, request.id)
    return dialog


def print_for_dialog(parent, session, request, target: str | None) -> FormDialog:
    """'Print for another partner…': which document, for whom, for what purpose; checked first
    (the same check build_report makes). Accepting leaves kind, reference, to_code, purpose_id."""
    vault = session.vault

    def submit(dialog: FormDialog) -> None:
        from app.errors import InvalidInput

        kind = dialog.document.currentData()
        to = dialog.to.currentData() or ""
        if not to:
            raise InvalidInput("Choose the partner the document is for.")
        reference = request.reference + (f"/{target}" if kind == "response" else "")
        _, items = consent.items_of_report(vault, kind, reference)
        decision = _checked(dialog, consent.check_disclosure(vault, items, to, dialog.purpose.currentData()))
        dialog.kind, dialog.reference = kind, reference
        dialog.to_code, dialog.purpose_id = to, decision.purpose

    dialog = FormDialog(parent, "Print for another partner",
                        "A printed document given to another partner is a disclosure: other partners' answers in it "
                        "go only with their written consent (section 6.3).", "&Check and preview…", submit)
    dialog.kind = dialog.reference = dialog.to_code = dialog.purpose_id = None
    document = QtWidgets.QComboBox()
    document.addItem("The request form (Appendix 2)", "request")
    document.addItem("The collation of all responses (5.3)", "collation")
    if target:
        document.addItem(f"The response of {agency_name(target.split('/')[0])}", "response")
    dialog.document = dialog.add("document", "&Document", _fitting(document))
    dialog.to = dialog.add("to", "&For which partner", _partner_box((vault.agency,)))
    dialog.purpose = dialog.add("purpose", "For which &purpose",
                                _purpose_box(consent.default_purpose(vault, request.id)))
    _add_ask_button(dialog, session, request.id)
    return dialog
