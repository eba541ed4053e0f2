"""Home: who you are on this desk, what your role lets you do, and the vault's state."""

from __future__ import annotations

from app.cases import count_cases, outstanding, uk_date
from app.drafts import list_drafts
from app.requests import count_requests, overdue_dispatches
from app.users import list_users
from app.roles import PERMISSIONS
from app.timeutil import london_display
from ui.qt import QtWidgets
from ui.kit.widgets import Area, heading, plain_label


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
        self.cases_heading = heading("Cases: referral outcomes and actions outstanding", 2)
        layout.addWidget(self.cases_heading)
        self.cases = plain_label("")
        self.cases.setAccessibleName("Outstanding on cases")
        layout.addWidget(self.cases)
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
        users = len([u for u in list_users(vault) if u.active])
        lines = [
            f"Desk: {session.agency_name} ({vault.agency})",
            f"Vault: {session.path.name}",
            f"Your role: {session.role_title}",
            f"Active users: {users}",
        ]
        if session.can("requests.read"):
            overdue = overdue_dispatches(vault)
            lines.append(f"Requests: {count_requests(vault, 'open')} open, {count_requests(vault, 'draft')} draft; "
                         f"{len(overdue)} agency answers overdue")
        show_cases = session.can("cases.read")
        self.cases_heading.setVisible(show_cases)
        self.cases.setVisible(show_cases)
        if show_cases:
            waiting = outstanding(vault, limit=50)
            lines.append(f"Cases: {count_cases(vault, 'open')} open; {len(waiting)} referral outcomes or actions "
                         "outstanding")
            self.cases.setText("\n".join(f"• {o.case_reference}: {o.what}" + (f" — due {uk_date(o.due)}" if o.due else "")
                                         + (" — OVERDUE" if o.overdue else "") for o in waiting[:15])
                               + (f"\n… and {len(waiting) - 15} more (see Cases)" if len(waiting) > 15 else "")
                               or "Nothing outstanding.")
        lines.append(f"Audit trail: {head.seq} events, chain head {head.short()}")
        self.summary.setText("\n".join(lines))
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
    "requests.read": "Read personal data requests and their responses",
    "requests.write": "Raise and send personal data requests (Appendix 2)",
    "responses.write": "Answer requests sent to this desk",
    "disclosures.read": "Read the disclosure register",
    "disclosures.write": "Record onward disclosures",
    "contacts.read": "See the partners directory",
    "contacts.manage": "Keep this desk's partner contacts",
    "partners.suspend": "Suspend or resume sharing with a partner (clause 13.2)",
    "search": "Search requests, subjects and responses",
    "export.request": "Export a request or response for sending",
    "export.all": "Export the whole vault",
    "import": "Import exchange files from other desks",
    "breaches.report": "Report a breach or complaint (Breach menu, Ctrl+Shift+B)",
    "breaches.read": "Read the breach log",
    "breaches.manage": "Manage breaches: notifications, risk, the ICO decision, suspensions",
    "meetings.read": "Read tactical meetings: attendance, agenda, decisions and 4P actions",
    "meetings.manage": "Run tactical meetings: attendees and their confidentiality acceptance, agenda, decisions, "
                       "4P actions, the chair's permissions for further disclosure",
    "cases.read": "Read cases, their stages, referrals and relationship maps",
    "cases.manage": "Run cases through the tactical response process (Appendix 2a): stages, requests, referrals",
}


def _describe(permission: str) -> str:
    return _DESCRIPTIONS.get(permission, permission.replace(".", ": ").replace("_", " ").capitalize())
