"""Roles and what each may do (need to know: clauses 6.4 and 9.4).

Permissions are checked in the core, so the CLI and the desktop app refuse the same things.
"""

from __future__ import annotations

from app.errors import AuthError

ROLES: dict[str, str] = {
    "admin": "Administrator: users, policy, backups",
    "spoc": "Single Point of Contact: requests, responses, disclosures",
    "dpm": "Data Protection Manager: breaches, corrections, retention, compliance",
    "chair": "Meeting chair or lead officer: tactical meetings and meeting packs",
    "auditor": "Auditor: reads the audit trail and checks the vault",
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "users.manage": frozenset({"admin"}),
    "policy.manage": frozenset({"admin"}),
    "vault.backup": frozenset({"admin", "dpm"}),
    "vault.verify": frozenset({"admin", "dpm", "auditor"}),
    "vault.status": frozenset(ROLES),
    "audit.read": frozenset({"admin", "dpm", "auditor"}),
    # Issue 16: an administrator creating a casework account or resetting a casework user's
    # passphrase is shown to the Data Protection Manager until acknowledged.
    "accounts.acknowledge": frozenset({"dpm"}),
    # Issue 4, need to know (6.4, 9.4): the SPOC does request and response work; the chair
    # reads requests for meetings; the DPM reads requests and the disclosure register; the
    # auditor sees no personal data; the admin keeps the partners directory and moves whole
    # vaults, but does not read requests.
    "requests.read": frozenset({"spoc", "chair", "dpm"}),
    "requests.write": frozenset({"spoc"}),
    "responses.write": frozenset({"spoc"}),
    "disclosures.read": frozenset({"spoc", "dpm"}),
    "disclosures.write": frozenset({"spoc"}),
    "contacts.read": frozenset({"admin", "spoc", "dpm", "chair"}),
    "contacts.manage": frozenset({"admin"}),
    "partners.suspend": frozenset({"admin", "dpm"}),
    # Issue 22, clause 10.2: recording a partner's equipment malfunction, the signatories told and
    # the alternative exchange used until the repair.
    "exchange.fallback": frozenset({"spoc", "chair", "dpm"}),
    "search": frozenset({"spoc", "chair", "dpm"}),
    "export.request": frozenset({"spoc"}),
    "export.all": frozenset({"admin"}),
    "import": frozenset({"admin", "spoc"}),
    # Issue 6 (clause 10): anyone logs a breach from any screen; the Data Protection Manager
    # reads the breach log and records the work on each breach (the facts may hold personal data,
    # so the administrator and auditor see counts in `status`, not the breaches).
    "breaches.report": frozenset(ROLES),
    "breaches.read": frozenset({"dpm"}),
    "breaches.manage": frozenset({"dpm"}),
    # Issue 5 (2.7, Appendix 1, Appendix 2a): the police SPOC convenes tactical meetings and the
    # chair runs them; both record attendance, decisions, 4P actions and the chair's permissions
    # for further disclosure. The DPM reads them (disclosures, compliance); the administrator and
    # the auditor see no meeting (need to know).
    "meetings.read": frozenset({"chair", "spoc", "dpm"}),
    "meetings.manage": frozenset({"chair", "spoc"}),
    # Issue 15 (9.5): the SPOC (or the administrator setting up a desk) trusts partners' desk
    # cards after the telephone check and rotates this desk's keys; everyone may see which
    # partner desks are trusted (cards are public). Sending and receiving packages are request
    # work (export.request / import); a whole-vault package stays with the administrator.
    "partners.read": frozenset(ROLES),
    "partners.trust": frozenset({"spoc", "admin"}),
    "desk.keys": frozenset({"spoc", "admin"}),
    # Issue 19 (8.1, 9.3, 12): retention review and disposal, and subject access and FOI requests,
    # are the Data Protection Manager's work alone; nothing is disposed of without their approval.
    "retention.review": frozenset({"dpm"}),
    "retention.decide": frozenset({"dpm"}),
    "retention.dispose": frozenset({"dpm"}),
    "info_requests.read": frozenset({"dpm"}),
    "info_requests.manage": frozenset({"dpm"}),
    # Issue 21 (Appendix 2a, 4.3(4)): the SPOC runs cases through the tactical response process and
    # records referrals and links between subjects; the chair reads cases for the meetings and the
    # DPM for compliance. Subjects and their links follow the request permissions.
    "cases.read": frozenset({"spoc", "chair", "dpm"}),
    "cases.manage": frozenset({"spoc"}),
    # Issue 18 (7.2): anyone who reads the records flags an item as inaccurate; the SPOC and the
    # DPM see the corrections register and, on the item's data controller, record corrections and
    # make the packages that carry notices and corrections between desks.
    "corrections.flag": frozenset({"spoc", "chair", "dpm"}),
    "corrections.read": frozenset({"spoc", "dpm"}),
    "corrections.record": frozenset({"spoc", "dpm"}),
    # Issue 20 (13.1-13.4): the agreement register, signatories and disputes hold no personal data;
    # the administrator keeps the register and the DPM the disputes; the compliance report and the
    # returns that reconcile two desks' disclosure registers are the DPM's (and the auditor reads).
    "governance.read": frozenset({"admin", "dpm", "auditor"}),
    "governance.manage": frozenset({"admin"}),
    "disputes.manage": frozenset({"admin", "dpm"}),
    "compliance.read": frozenset({"admin", "dpm", "auditor"}),
    "compliance.returns": frozenset({"dpm"}),
}


def can(role: str, permission: str) -> bool:
    return role in PERMISSIONS.get(permission, frozenset())


def require(role: str, permission: str, what: str) -> None:
    if not can(role, permission):
        allowed = ", ".join(sorted(PERMISSIONS.get(permission, ())))
        raise AuthError(f"Your role ({role}) may not {what}; that needs one of: {allowed}.")


def check_role(role: str) -> str:
    from app.errors import InvalidInput

    if role not in ROLES:
        raise InvalidInput(f"Unknown role {role!r}; choose one of: {', '.join(ROLES)}.")
    return role
