"""The partners directory (Appendix 4a): the agreement's partners and sub-services, with this
desk's own contacts for each and their secure channel (Appendix 4).

Contacts are kept per desk (the published agreement leaves names blank). An e-mail address that
no approved channel accepts by its suffix is saved, but with a clear warning (`email_warning`),
because a few partners use channels with no listed suffix (Government Connect).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.records import Problem, check_text, new_id, raise_if
from app.roles import require
from app.suspensions import current as current_suspension
from app.timeutil import utc_now_iso

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELDS = ("partner", "sub_service", "team", "name", "role", "email", "telephone", "channel")


@dataclass(frozen=True)
class Contact:
    id: str
    partner: str
    sub_service: str
    team: str
    name: str
    role: str
    email: str
    telephone: str
    channel: str
    active: bool
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str

    @classmethod
    def from_row(cls, row) -> "Contact":
        values = {k: row[k] for k in cls.__dataclass_fields__}
        values["active"] = bool(values["active"])
        return cls(**values)

    @property
    def warning(self) -> str | None:
        return email_warning(self.email, self.channel)


@dataclass(frozen=True)
class DirectoryEntry:
    code: str
    name: str
    lead: bool
    sub_services: tuple[tuple[str, str, bool], ...]  # (code, name, is the SPOC team)
    channels: tuple[str, ...]
    contacts: tuple[Contact, ...]
    suspended: bool
    suspension_reason: str | None


def email_warning(email: str, channel: str = "") -> str | None:
    """A warning when `email` is not carried by an approved secure channel (Appendix 4)."""
    if not email:
        return None
    agreement = load_agreement()
    accepting = agreement.channels_for_email(email)
    if channel:
        chosen = agreement.secure_channel(channel)
        if not chosen.suffixes:
            return None  # the agreement lists no suffixes for this channel: nothing to check
        if chosen not in accepting:
            return (f"{email} does not end with an address {chosen.name} accepts "
                    f"({', '.join(chosen.suffixes)}); check it before sending anything to it.")
        return None
    if not accepting:
        suffixes = sorted({s for c in agreement.secure_channels for s in c.suffixes})
        return (f"{email} does not end with the suffix of an approved secure e-mail channel "
                f"({', '.join(suffixes)}); personal data must not be sent to it (Appendix 4).")
    return None


def validate_contact(data: dict) -> tuple[list[Problem], dict]:
    agreement = load_agreement()
    problems: list[Problem] = []
    clean: dict = {}
    partner = data.get("partner") or ""
    if partner not in agreement.partner_codes():
        problems.append(Problem("partner", "Choose the partner agency"))
    clean["partner"] = partner
    sub = data.get("sub_service") or ""
    if sub and partner in agreement.partner_codes() and sub not in {
            s.code for s in agreement.partner(partner).sub_services}:
        problems.append(Problem("sub_service", f"Choose a team of {partner}, not {sub!r}"))
    clean["sub_service"] = sub
    clean["name"] = check_text(problems, "name", data.get("name"), required=True,
                               missing="Enter the contact's name", limit=10_000)
    for key in ("team", "role", "telephone"):
        clean[key] = check_text(problems, key, data.get(key), limit=10_000)
    clean["email"] = check_text(problems, "email", data.get("email"), limit=320).strip()
    if clean["email"] and not EMAIL.match(clean["email"]):
        problems.append(Problem("email", "Enter an e-mail address in the correct format, like name@example.pnn.police.uk"))
    channel = data.get("channel") or ""
    if channel and channel not in {c.id for c in agreement.secure_channels}:
        problems.append(Problem("channel", "Choose an approved secure channel"))
    clean["channel"] = channel
    return problems, clean


def add_contact(vault, data: dict) -> Contact:
    """Save a contact; read `.warning` on the result for an e-mail suffix warning."""
    require(vault.role, "contacts.manage", "manage the partners directory")
    problems, clean = validate_contact(data)
    raise_if(problems, "The contact was not saved")
    cid = new_id()
    now = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO contacts (id, partner, sub_service, team, name, role, email, telephone, channel, active,"
            " created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            (cid, clean["partner"], clean["sub_service"], clean["team"], clean["name"], clean["role"],
             clean["email"], clean["telephone"], clean["channel"], now, vault.actor, now, vault.actor))
        vault.audit("contact.added", record_type="contact", record_id=cid, reason=clean["partner"])
    return _get(vault, cid)


def update_contact(vault, contact_id: str, data: dict) -> Contact:
    require(vault.role, "contacts.manage", "manage the partners directory")
    before = _get(vault, contact_id)
    merged = {k: getattr(before, k) for k in FIELDS}
    merged.update({k: v for k, v in data.items() if k in FIELDS})
    problems, clean = validate_contact(merged)
    raise_if(problems, "The contact was not saved")
    with vault.db.transaction():
        vault.db.execute(
            "UPDATE contacts SET partner = ?, sub_service = ?, team = ?, name = ?, role = ?, email = ?,"
            " telephone = ?, channel = ?, updated_at = ?, updated_by = ? WHERE id = ?",
            (clean["partner"], clean["sub_service"], clean["team"], clean["name"], clean["role"], clean["email"],
             clean["telephone"], clean["channel"], utc_now_iso(), vault.actor, contact_id))
        vault.audit("contact.updated", record_type="contact", record_id=contact_id)
    return _get(vault, contact_id)


def deactivate_contact(vault, contact_id: str) -> Contact:
    require(vault.role, "contacts.manage", "manage the partners directory")
    _get(vault, contact_id)
    with vault.db.transaction():
        vault.db.execute("UPDATE contacts SET active = 0, updated_at = ?, updated_by = ? WHERE id = ?",
                         (utc_now_iso(), vault.actor, contact_id))
        vault.audit("contact.deactivated", record_type="contact", record_id=contact_id)
    return _get(vault, contact_id)


def _get(vault, contact_id: str) -> Contact:
    row = vault.db.one("SELECT * FROM contacts WHERE id = ?", (contact_id,))
    if row is None:
        raise InvalidInput(f"There is no contact {contact_id} in this vault.")
    return Contact.from_row(row)


def list_contacts(vault, partner: str | None = None, *, include_inactive: bool = False) -> list[Contact]:
    require(vault.role, "contacts.read", "see the partners directory")
    sql = "SELECT * FROM contacts WHERE (? IS NULL OR partner = ?) AND (? OR active = 1)" \
          " ORDER BY partner, sub_service, name"
    return [Contact.from_row(r) for r in vault.db.query(sql, (partner, partner, int(include_inactive)))]


def directory(vault) -> list[DirectoryEntry]:
    """Every partner of the agreement with its teams, channels, this desk's contacts and 13.2 state."""
    contacts = list_contacts(vault)
    vault.audit("contacts.listed", record_type="contact", reason=f"{len(contacts)} shown")
    out = []
    for partner in load_agreement().partners:
        suspension = current_suspension(vault, partner.code)
        out.append(DirectoryEntry(
            partner.code, partner.name, partner.lead,
            tuple((s.code, s.name, s.spoc) for s in partner.sub_services), partner.secure_channels,
            tuple(c for c in contacts if c.partner == partner.code), suspension is not None,
            suspension.reason if suspension else None))
    return out
