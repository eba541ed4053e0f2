"""Settings (administrators only): the vault's policy, stored in the vault and audited, and a
read-only view of what this workstation offers (its credential store)."""

from __future__ import annotations

from dataclasses import asdict

from app.drafts import discard_draft
from app.errors import SpocError
from app.policy import Policy, get_policy, set_policy
from app.vault import keyring_slot
from ui.kit.keys import primary_button
from ui.kit.dialogs import error_text
from ui.qt import QtWidgets, Signal
from ui.kit.widgets import announce, Area, ErrorSummary, FieldRow, frameless_scroll, heading, plain_label, SUCCESS_STYLE
from ui.kit import theme

KEYRING_RISK = (
    "When allowed, a user may choose to unlock this vault on this workstation without typing "
    "their passphrase: the key is kept in the operating system's credential store under their "
    "Windows account. Anyone who can sign in to that account, or who finds it unlocked, can then "
    "open the vault. Allow it only on workstations that are locked whenever they are left."
)


def _spin(low: int, high: int, suffix: str) -> QtWidgets.QSpinBox:
    box = QtWidgets.QSpinBox()
    box.setRange(low, high)
    box.setSuffix(suffix)
    box.setMaximumWidth(180)
    return box


class SettingsArea(Area):
    key = "settings"
    title = "Settings"
    permission = "policy.manage"

    policy_changed = Signal(object)  # the new app.policy.Policy

    def __init__(self, session, parent: QtWidgets.QWidget | None = None):
        super().__init__(session, parent)
        self._loaded: Policy | None = None
        self._draft: dict | None = None
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = frameless_scroll()
        outer.addWidget(scroll)
        content = QtWidgets.QWidget()
        content.setMaximumWidth(760)
        scroll.setWidget(content)
        layout = QtWidgets.QVBoxLayout(content)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.setSpacing(8)

        layout.addWidget(heading("Settings"))
        layout.addWidget(plain_label(
            "The vault policy applies to every user of this desk on every workstation. Each "
            "change is recorded in the audit trail."))
        self.summary = ErrorSummary()
        layout.addWidget(self.summary)

        layout.addSpacing(8)
        layout.addWidget(heading("Locking", 2))
        self.idle = _spin(1, 240, " minutes")
        self.idle_row = FieldRow("&Lock after this many idle minutes", self.idle,
                                 "With no keyboard or mouse use for this long, SPOC Desk locks. "
                                 "From 1 to 240 minutes; 5 is usual.")
        layout.addWidget(self.idle_row)
        self.keyring = QtWidgets.QCheckBox("Allow remembering the &key on a workstation")
        self.keyring.setAccessibleName("Allow remembering the key on a workstation")
        self.keyring.setAccessibleDescription(KEYRING_RISK)
        layout.addWidget(self.keyring)
        risk = plain_label(KEYRING_RISK)
        theme.style(risk, "color: {muted}; margin-left: 24px;")
        layout.addWidget(risk)

        layout.addSpacing(8)
        layout.addWidget(heading("Deadlines and retention", 2))
        self.due = _spin(1, 90, " days")
        self.due_row = FieldRow("&Response due after", self.due,
                                "How long a partner agency has to respond to a request, from when "
                                "it is sent. From 1 to 90 days.")
        self.due.setToolTip("The agreement's default comes from its deadlines (section 5).")
        layout.addWidget(self.due_row)
        self.retention = _spin(1, 120, " months")
        self.retention_row = FieldRow("Re&view retained information after", self.retention,
                                      "When personal data held under the agreement is due for a "
                                      "retention review. From 1 to 120 months.")
        self.retention.setToolTip("Clause 8: information is kept no longer than necessary.")
        layout.addWidget(self.retention_row)

        layout.addSpacing(8)
        layout.addWidget(heading("Casework users (clauses 3.1 and 6.4)", 2))
        self.needs_approval = QtWidgets.QCheckBox("Casework roles need an &approval and in-date training")
        self.needs_approval.setAccessibleName("Casework roles need an approval and in-date training")
        layout.addWidget(self.needs_approval)
        approval_hint = plain_label(
            "When ticked, a SPOC, Data Protection Manager or chair cannot unlock the vault until the Users "
            "screen records their approval by the agency's nominated representative and training that has "
            "not lapsed. Administrators and auditors are not affected.")
        theme.style(approval_hint, "color: {muted}; margin-left: 24px;")
        layout.addWidget(approval_hint)
        self.approval_effect = plain_label("")
        self.approval_effect.setAccessibleName("Casework users who would be refused")
        theme.style(self.approval_effect, "margin-left: 24px;")
        layout.addWidget(self.approval_effect)

        buttons = QtWidgets.QHBoxLayout()
        self.save_button = QtWidgets.QPushButton("&Save settings")
        primary_button(self.save_button)   # Ctrl+S presses it; styled by resources/style.qss
        self.save_button.clicked.connect(self.save)
        self.undo_button = QtWidgets.QPushButton("&Undo changes")
        self.undo_button.clicked.connect(self.undo)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.saved = plain_label("")
        theme.style(self.saved, SUCCESS_STYLE)
        self.saved.setAccessibleName("Save result")
        self.saved.hide()
        layout.addWidget(self.saved)

        layout.addSpacing(16)
        layout.addWidget(heading("The agreement this vault works under", 2))
        self.agreement = plain_label("", selectable=True)
        self.agreement.setAccessibleName("The agreement this vault works under")
        layout.addWidget(self.agreement)

        layout.addSpacing(16)
        layout.addWidget(heading("This workstation", 2))
        layout.addWidget(plain_label("What this computer offers. These are not vault settings."))
        self.keyring_status = plain_label("", selectable=True)
        self.keyring_status.setAccessibleName("Credential store on this workstation")
        layout.addWidget(self.keyring_status)
        layout.addStretch(1)

        for box in (self.idle, self.due, self.retention):
            box.valueChanged.connect(self._edited)
        self.keyring.toggled.connect(self._edited)
        self.needs_approval.toggled.connect(self._edited)

    # ---- the form --------------------------------------------------------------------------

    def form_policy(self) -> Policy:
        return Policy(idle_lock_minutes=self.idle.value(), keyring_allowed=self.keyring.isChecked(),
                      response_due_days=self.due.value(), retention_review_months=self.retention.value(),
                      casework_needs_approval=self.needs_approval.isChecked())

    def _show(self, policy: Policy) -> None:
        for widget in (self.idle, self.due, self.retention, self.keyring, self.needs_approval):
            widget.blockSignals(True)
        self.needs_approval.setChecked(policy.casework_needs_approval)
        self.idle.setValue(policy.idle_lock_minutes)
        self.keyring.setChecked(policy.keyring_allowed)
        self.due.setValue(policy.response_due_days)
        self.retention.setValue(policy.retention_review_months)
        for widget in (self.idle, self.due, self.retention, self.keyring, self.needs_approval):
            widget.blockSignals(False)

    def _edited(self, *_args) -> None:
        self.saved.hide()
        self.summary.show_problems([])

    def refresh(self) -> None:
        self._loaded = get_policy(self.session.vault)
        self._show(self._loaded)
        if self._draft:
            self._apply(self._draft)
            self._draft = None
        self._edited()
        status = keyring_slot.status()
        if status.usable:
            text = f"Credential store: available ({status.backend}).\nUsers may remember their key here if the policy allows it."
        else:
            text = (f"Credential store: not available. Reason: {status.reason}.\n"
                    "Users must type their passphrase on this workstation, whatever the policy says.")
        self.keyring_status.setText(text)
        self.agreement.setText(_agreement_text(self.session.vault))
        from app.governance import lapsed_training

        lapsed = lapsed_training(self.session.vault)
        self.approval_effect.setText(
            ("Casework users who cannot unlock while this is ticked: " + ", ".join(u.user_name for u in lapsed)
             + ". Record their approval and training under Users first.") if lapsed
            else "Every casework user has an approval and in-date training recorded.")

    def changes(self) -> dict[str, object]:
        """The settings whose value in the form differs from the vault's."""
        loaded = asdict(self._loaded or get_policy(self.session.vault))
        return {k: v for k, v in asdict(self.form_policy()).items() if loaded.get(k) != v}

    def save(self) -> bool:
        changes = self.changes()
        if not changes:
            self._say("Nothing to save: the settings are unchanged.")
            return True
        vault = self.session.vault
        policy = None
        try:
            for key, value in changes.items():
                text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
                policy = set_policy(vault, key, text)
        except SpocError as exc:
            message = error_text(exc, "The settings were not saved.")
            self.summary.show_problems([(self.save_button, message)])
            self._loaded = get_policy(vault)
            return False
        self._loaded = policy
        self._show(policy)
        self._discard_draft()
        self._say("Saved. The new settings apply to everyone from their next action.")
        self.policy_changed.emit(policy)
        self.changed.emit()
        return True

    def _say(self, text: str) -> None:
        announce(self.saved, text)

    # ---- drafts ----------------------------------------------------------------------------

    def draft_state(self) -> dict | None:
        if self._loaded is None:
            return None
        changes = self.changes()
        return changes or None

    def restore_draft_state(self, payload: dict) -> None:
        """Applied now if the form is loaded, else after the next refresh()."""
        if self._loaded is None:
            self._draft = dict(payload)
        else:
            self._apply(payload)

    def discard_changes(self) -> None:
        self.undo()

    def undo(self) -> None:
        self._draft = None
        self._discard_draft()
        self.refresh()

    def _discard_draft(self) -> None:
        try:
            if self.session.vault.user is not None:
                discard_draft(self.session.vault, self.key)
        except SpocError:
            pass

    def _apply(self, payload: dict) -> None:
        current = asdict(self.form_policy())
        for key, value in payload.items():
            if key in current and type(value) is type(current[key]):
                current[key] = value
        self._show(Policy(**current))


def _agreement_text(vault) -> str:
    """The agreement register's current entry, for Settings (issue 20)."""
    from app.governance import current_record
    from ui.kit.formatting import uk_time

    record = current_record(vault)
    if record is None:
        return "Not recorded."
    return (f"{record.title}\nVersion: {record.version_text}\nSHA-256 of its file: {record.sha256}\n"
            f"Recorded {uk_time(record.adopted_at)} by {record.adopted_by}. A new version of this agreement is "
            "adopted under Governance; the vault never switches to another agreement.")
