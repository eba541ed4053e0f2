"""Home: who you are on this desk, what your role lets you do, and the vault's state."""

from __future__ import annotations

from app.drafts import list_drafts
from app.roles import PERMISSIONS
from app.timeutil import london_display
from ui.qt import QtWidgets
from ui.widgets import Area, heading, plain_label


class HomeArea(Area):
    key = "home"
    title = "Home"
    permission = None

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        self.welcome = heading("")
        layout.addWidget(self.welcome)
        self.summary = plain_label("")
        layout.addWidget(self.summary)
        layout.addSpacing(12)
        layout.addWidget(heading("What your role lets you do", 2))
        self.permissions = plain_label("")
        layout.addWidget(self.permissions)
        layout.addSpacing(12)
        layout.addWidget(heading("Unsaved work kept from your last session", 2))
        self.drafts = plain_label("")
        layout.addWidget(self.drafts)
        layout.addStretch(1)

    def refresh(self) -> None:
        session = self.session
        vault = session.vault
        self.welcome.setText(f"Welcome, {session.user.name}" if session.user else "Recovery session")
        head = vault.chain_head()
        users = vault.db.scalar("SELECT count(*) FROM users WHERE active = 1")
        self.summary.setText(
            f"Desk: {session.agency_name} ({vault.agency})\n"
            f"Vault: {session.path.name}\n"
            f"Your role: {session.role_title}\n"
            f"Active users: {users}\n"
            f"Audit trail: {head.seq} events, chain head {head.short()}"
        )
        allowed = sorted(p for p in PERMISSIONS if session.can(p))
        self.permissions.setText("\n".join(f"• {_describe(p)}" for p in allowed) or "Nothing yet.")
        drafts = list_drafts(vault) if session.user else []
        self.drafts.setText(
            "\n".join(f"• {d.form.replace('_', ' ')} (kept {london_display(d.saved_at)})" for d in drafts)
            or "None."
        )


_DESCRIPTIONS = {
    "users.manage": "Add, disable and reset users",
    "policy.manage": "Set the vault policy (idle lock, remembered keys, deadlines)",
    "vault.backup": "Back up the vault",
    "vault.verify": "Verify the vault and its audit trail",
    "vault.status": "See the vault's status",
    "audit.read": "Read the audit trail",
}


def _describe(permission: str) -> str:
    return _DESCRIPTIONS.get(permission, permission.replace(".", ": ").replace("_", " ").capitalize())
