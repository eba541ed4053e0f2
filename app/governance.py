"""Governance of the agreement itself (issue 20; clauses 3.1, 6.4, 13.2-13.4).

- The agreement register: the agreement file this vault works under is kept whole in the vault
  (title, version, SHA-256 of its bytes). Opening the vault makes that agreement the one every
  service reads (`app.agreement.activate`), so a vault never silently follows another file; an
  administrator may adopt a new version of the *same* agreement, and that is audited.
- Signatories (13.4): who signed for each partner, their position and when; the review is due
  `review_months` after signature.
- Disputes (13.3): raised by or with a partner, what about, a clock of `dispute_days` (calendar days
  unless the agreement data says working days), the steps taken, and resolved or escalated.
- Users (3.1, 6.4): each user's approval by the agency's nominated representative and their
  training; with the policy setting `casework_needs_approval`, a casework role cannot be used
  by a user whose approval is missing or whose training has lapsed.

Pure Python and SQL: no Qt.
"""

from __future__ import annotations

import calendar
import datetime as _dt
from dataclasses import dataclass

from app.agreement import (
    Agreement, activate, active_agreement, agreement_from_text, load_agreement, read_agreement_file, text_digest,
)
from app.errors import AgreementError, AuthError, InvalidInput, VaultDamaged
from app.records import Problem, check_date, check_text, new_id, next_yearly_reference, raise_if, \
    today_london
from app.roles import require
from app.timeutil import utc_now_iso

CASEWORK_ROLES = ("spoc", "dpm", "chair")  # the roles that see partners' personal data (6.4)
DISPUTE_RAISED_BY = {"us": "This desk raised it with the partner", "partner": "The partner raised it with us"}
DISPUTE_OUTCOMES = {"resolved": "Resolved", "escalated": "Escalated"}
DISPUTE_PREFIX = "DSP"
SHORT_TEXT = 300


# ---- the agreement register -------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRecord:
    id: str
    title: str
    short_name: str
    version: str | None
    sha256: str
    file_name: str
    adopted_at: str
    adopted_by: str
    reason: str

    @property
    def version_text(self) -> str:
        return self.version or "no version number"

    def as_json(self) -> dict:
        return {"title": self.title, "short_name": self.short_name, "version": self.version,
                "sha256": self.sha256, "file": self.file_name, "adopted_at": self.adopted_at,
                "adopted_by": self.adopted_by}


_RECORD_COLUMNS = "id, title, short_name, version, sha256, file_name, adopted_at, adopted_by, reason"


def _insert_agreement(db, text: str, agreement: Agreement, file_name: str, actor: str, reason: str) -> str:
    record_id = new_id()
    db.execute("INSERT INTO agreement_register (id, title, short_name, version, sha256, file_name, file_text,"
               " adopted_at, adopted_by, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (record_id, agreement.info.title, agreement.info.short_name, agreement.info.version,
                text_digest(text), file_name, text, utc_now_iso(), actor, reason))
    return record_id


def record_initial_agreement(db, text: str, agreement: Agreement, file_name: str, actor: str) -> None:
    """At `init`: the agreement the new vault works under (inside the creating transaction)."""
    if db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'agreement_register'"):
        _insert_agreement(db, text, agreement, file_name, actor, "recorded when the vault was created")


def backfill_agreement(db) -> None:
    """Migration 15: a vault made before the register worked under the shipped agreement."""
    if not db.scalar("SELECT count(*) FROM meta WHERE key = 'vault_id'"):
        return  # a vault being created: `init` records the agreement it was given
    if db.scalar("SELECT count(*) FROM agreement_register"):
        return
    text, agreement = read_agreement_file(None)
    _insert_agreement(db, text, agreement, "derby-derbyshire.json", "migration",
                      "recorded when the register was added (the vault was made under the shipped agreement)")


def current_record(vault_or_db) -> AgreementRecord | None:
    db = getattr(vault_or_db, "db", vault_or_db)
    if not db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'agreement_register'"):
        return None
    row = db.one(f"SELECT {_RECORD_COLUMNS} FROM agreement_register ORDER BY seq DESC LIMIT 1")
    return AgreementRecord(**dict(row)) if row else None


def agreement_history(vault) -> list[AgreementRecord]:
    return [AgreementRecord(**dict(r)) for r in
            vault.db.query(f"SELECT {_RECORD_COLUMNS} FROM agreement_register ORDER BY seq")]


def load_vault_agreement(db) -> Agreement | None:
    """The agreement kept in the vault, checked against its recorded hash; None for a vault without one."""
    if not db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'agreement_register'"):
        return None
    row = db.one("SELECT sha256, file_name, file_text FROM agreement_register ORDER BY seq DESC LIMIT 1")
    if row is None:
        return None
    if text_digest(row["file_text"]) != row["sha256"]:
        raise VaultDamaged("The agreement kept in this vault does not match its recorded SHA-256; it was altered.")
    try:
        return agreement_from_text(row["file_text"], row["file_name"])
    except AgreementError as exc:
        raise VaultDamaged(f"The agreement kept in this vault cannot be read by this version: {exc}") from None


def activate_for(db) -> Agreement | None:
    """Make the vault's own agreement the one the app follows (None: the shipped one)."""
    agreement = load_vault_agreement(db)
    activate(agreement)
    return agreement


def deactivate_if(agreement: Agreement | None) -> None:
    """On close: back to the shipped agreement, unless another vault has since activated its own."""
    if agreement is not None and active_agreement() is agreement:
        activate(None)


def read_new_agreement(path) -> tuple[str, Agreement]:
    """An agreement file named at `init` or for adoption, with the error naming the file and field."""
    try:
        return read_agreement_file(path)
    except AgreementError as exc:
        raise InvalidInput(f"The agreement file was refused: {exc}") from None


def adopt_agreement(vault, path, reason: str) -> AgreementRecord:
    """An administrator adopts a new version of the agreement this vault works under (audited)."""
    require(vault.role, "governance.manage", "adopt a new version of the agreement")
    text, agreement = read_new_agreement(path)
    current = current_record(vault)
    if current is None:
        raise InvalidInput("This vault has no agreement register yet; open it once to bring it up to date.")
    if not reason.strip():
        raise InvalidInput("Say why the new version is adopted (for example, the review of 13.4 agreed it).")
    if agreement.info.short_name != current.short_name:
        raise InvalidInput(f"{path}: this is the agreement {agreement.info.short_name!r}, not a new version of "
                           f"{current.short_name!r}; a vault never switches to another agreement.")
    if text_digest(text) == current.sha256:
        raise InvalidInput(f"{path}: this is the version the vault already works under; nothing was changed.")
    if vault.agency not in agreement.partner_codes():
        raise InvalidInput(f"{path}: this version has no partner {vault.agency!r} (this desk's agency); "
                           "nothing was changed.")
    with vault.db.transaction():
        record_id = _insert_agreement(vault.db, text, agreement, getattr(path, "name", str(path)), vault.actor,
                                      reason.strip()[:SHORT_TEXT])
        vault.audit("agreement.adopted", record_type="agreement", record_id=record_id,
                    reason=f"version {agreement.info.version or '(none)'}, sha256 {text_digest(text)[:16]}")
    activate(agreement)
    vault.agreement = agreement
    return current_record(vault)


# ---- signatories and the review (13.4) ------------------------------------------------------------


def add_months(day: _dt.date, months: int) -> _dt.date:
    """The same day `months` later (the last day of the month where that day does not exist)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return _dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Signatory:
    partner: str
    partner_name: str
    name: str
    position: str
    signed_on: str | None
    review_due: str | None
    recorded_by: str

    def overdue(self, today: _dt.date) -> bool:
        return self.review_due is not None and self.review_due < today.isoformat()

    @property
    def signed(self) -> bool:
        return self.signed_on is not None


def signatories(vault) -> list[Signatory]:
    """Every partner of the agreement, in its order, with its signatory (blank where none recorded)."""
    require(vault.role, "governance.read", "see the agreement register")
    return _signatories(vault)


def _signatories(vault) -> list[Signatory]:
    agreement = load_agreement()
    months = agreement.deadlines.review_months
    rows = {r["partner"]: r for r in vault.db.query("SELECT * FROM signatories")}
    out = []
    for partner in agreement.partners:
        row = rows.get(partner.code)
        if row is None:
            out.append(Signatory(partner.code, partner.name, "", "", None, None, ""))
            continue
        due = add_months(_dt.date.fromisoformat(row["signed_on"]), months).isoformat()
        out.append(Signatory(partner.code, partner.name, row["name"], row["position"], row["signed_on"], due,
                             row["recorded_by"]))
    return out


def overdue_reviews(vault, today: _dt.date | None = None) -> list[Signatory]:
    today = today or today_london()
    return [s for s in _signatories(vault) if s.overdue(today)]


def set_signatory(vault, partner: str, data: dict) -> Signatory:
    require(vault.role, "governance.manage", "record the agreement's signatories")
    agreement = load_agreement()
    problems: list[Problem] = []
    if partner not in agreement.partner_codes():
        problems.append(Problem("partner", f"{partner!r} is not a partner of {agreement.info.short_name}"))
    name = check_text(problems, "name", data.get("name"), required=True,
                      missing="Enter the name of the person who signed", limit=SHORT_TEXT).strip()
    position = check_text(problems, "position", data.get("position"), required=True,
                          missing="Enter the position of the person who signed", limit=SHORT_TEXT).strip()
    signed = check_date(problems, "signed_on", data.get("signed_on"), required=True,
                        missing="Enter the date the agreement was signed", what="The date signed")
    for field, value in (("name", name), ("position", position)):
        if "\x00" in value:
            problems.append(Problem(field, "must not contain a NUL character"))
    raise_if(problems, "The signatory was not saved")
    with vault.db.transaction():
        vault.db.execute("INSERT INTO signatories (partner, name, position, signed_on, recorded_at, recorded_by)"
                         " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(partner) DO UPDATE SET name = excluded.name,"
                         " position = excluded.position, signed_on = excluded.signed_on,"
                         " recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by",
                         (partner, name, position, signed, utc_now_iso(), vault.actor))
        vault.audit("agreement.signatory_recorded", record_type="partner", record_id=partner,
                    reason=f"signed {signed}")
    return next(s for s in _signatories(vault) if s.partner == partner)


# ---- disputes (13.3) --------------------------------------------------------------------------------


def dispute_due(raised_on: _dt.date, agreement: Agreement | None = None) -> _dt.date:
    agreement = agreement or load_agreement()
    days = agreement.deadlines.dispute_days
    if agreement.deadlines.dispute_working_days:
        from app.subject_access import add_working_days

        return add_working_days(raised_on, days)
    return raised_on + _dt.timedelta(days=days)


def dispute_clock_words(agreement: Agreement | None = None) -> str:
    deadlines = (agreement or load_agreement()).deadlines
    kind = "working days" if deadlines.dispute_working_days else "days"
    clause = deadlines.rule("dispute_days").clause
    return f"{deadlines.dispute_days} {kind}" + (f" (clause {clause})" if clause else "")


@dataclass(frozen=True)
class DisputeStep:
    on_date: str
    text: str
    recorded_by: str
    recorded_at: str


@dataclass(frozen=True)
class Dispute:
    id: str
    reference: str
    partner: str
    raised_by: str
    about: str
    raised_on: str
    due_on: str
    status: str
    outcome: str
    closed_on: str | None
    created_by: str
    steps: tuple[DisputeStep, ...] = ()

    @property
    def partner_name(self) -> str:
        return load_agreement().partner_name(self.partner)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def overdue(self, today: _dt.date) -> bool:
        return self.is_open and self.due_on < today.isoformat()

    def met_clock(self) -> bool | None:
        """Resolved or escalated within the clock (None while open)."""
        return None if self.closed_on is None else self.closed_on <= self.due_on

    def clock_text(self, today: _dt.date) -> str:
        from app.cases import uk_date as _uk

        if not self.is_open:
            when = "within" if self.met_clock() else "after"
            return f"{DISPUTE_OUTCOMES[self.status]} {_uk(self.closed_on)}, {when} the clock (due {_uk(self.due_on)})"
        days = (_dt.date.fromisoformat(self.due_on) - today).days
        if days < 0:
            return f"OVERDUE: due {_uk(self.due_on)}, {-days} day{'s' if days != -1 else ''} ago"
        return f"Due {_uk(self.due_on)} ({days} day{'s' if days != 1 else ''} left)"


_DISPUTE_COLUMNS = ("id, reference, partner, raised_by, about, raised_on, due_on, status, outcome, closed_on,"
                    " created_by")


def _dispute(vault, row, *, steps: bool = True) -> Dispute:
    found = ()
    if steps:
        found = tuple(DisputeStep(s["on_date"], s["text"], s["recorded_by"], s["recorded_at"]) for s in
                      vault.db.query("SELECT * FROM dispute_steps WHERE dispute_id = ? ORDER BY seq", (row["id"],)))
    return Dispute(**dict(row), steps=found)


def list_disputes(vault, *, status: str | None = None, partner: str | None = None) -> list[Dispute]:
    require(vault.role, "governance.read", "see disputes")
    sql, params = f"SELECT {_DISPUTE_COLUMNS} FROM disputes WHERE 1 = 1", []
    if status:
        sql, params = sql + " AND status = ?", params + [status]
    if partner:
        sql, params = sql + " AND partner = ?", params + [partner]
    return [_dispute(vault, r) for r in vault.db.query(sql + " ORDER BY raised_on DESC, seq DESC", params)]


def get_dispute(vault, reference: str) -> Dispute:
    require(vault.role, "governance.read", "see disputes")
    row = vault.db.one(f"SELECT {_DISPUTE_COLUMNS} FROM disputes WHERE reference = ? OR id = ?",
                       ((reference or "").strip().upper(), reference))
    if row is None:
        raise InvalidInput(f"No dispute {reference!r} on this desk.")
    return _dispute(vault, row)


def overdue_disputes(vault, today: _dt.date | None = None) -> list[Dispute]:
    today = today or today_london()
    rows = vault.db.query(f"SELECT {_DISPUTE_COLUMNS} FROM disputes WHERE status = 'open' AND due_on < ?"
                          " ORDER BY due_on", (today.isoformat(),))
    return [_dispute(vault, r, steps=False) for r in rows]


def _clean(problems, field, value, missing, limit=10_000) -> str:
    text = check_text(problems, field, value, required=True, missing=missing, limit=limit).strip()
    if "\x00" in text:
        problems.append(Problem(field, "must not contain a NUL character"))
    return text


def raise_dispute(vault, data: dict) -> Dispute:
    require(vault.role, "disputes.manage", "record disputes")
    agreement = load_agreement()
    problems: list[Problem] = []
    partner = data.get("partner") or ""
    if partner not in agreement.partner_codes() or partner == vault.agency:
        problems.append(Problem("partner", "Choose the partner the dispute is with"))
    raised_by = data.get("raised_by") or ""
    if raised_by not in DISPUTE_RAISED_BY:
        problems.append(Problem("raised_by", "Choose who raised the dispute"))
    about = _clean(problems, "about", data.get("about"), "Say what the dispute is about")
    raised = check_date(problems, "raised_on", data.get("raised_on"), required=True,
                        missing="Enter the date the dispute was raised", what="The date raised")
    raise_if(problems, "The dispute was not saved")
    raised_day = _dt.date.fromisoformat(raised)
    due = dispute_due(raised_day, agreement).isoformat()
    now = utc_now_iso()
    with vault.db.transaction():
        reference = next_yearly_reference(vault, "disputes", DISPUTE_PREFIX, raised_day.year)
        dispute_id = new_id()
        vault.db.execute("INSERT INTO disputes (id, origin_agency, reference, partner, raised_by, about, raised_on,"
                         " due_on, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (dispute_id, vault.agency, reference, partner, raised_by, about, raised, due, now,
                          vault.actor))
        vault.audit("dispute.raised", record_type="dispute", record_id=reference, reason=f"with {partner}")
    return get_dispute(vault, reference)


def add_dispute_step(vault, reference: str, data: dict) -> Dispute:
    require(vault.role, "disputes.manage", "record disputes")
    dispute = get_dispute(vault, reference)
    problems: list[Problem] = []
    text = _clean(problems, "text", data.get("text"), "Say what was done")
    on = check_date(problems, "on_date", data.get("on_date") or today_london(), required=True,
                    missing="Enter the date of the step", what="The date of the step")
    if on and on < dispute.raised_on:
        problems.append(Problem("on_date", "The step cannot be before the dispute was raised"))
    raise_if(problems, "The step was not saved")
    with vault.db.transaction():
        vault.db.execute("INSERT INTO dispute_steps (dispute_id, on_date, text, recorded_at, recorded_by)"
                         " VALUES (?, ?, ?, ?, ?)", (dispute.id, on, text, utc_now_iso(), vault.actor))
        vault.audit("dispute.step", record_type="dispute", record_id=dispute.reference)
    return get_dispute(vault, dispute.reference)


def close_dispute(vault, reference: str, outcome: str, data: dict) -> Dispute:
    require(vault.role, "disputes.manage", "record disputes")
    dispute = get_dispute(vault, reference)
    problems: list[Problem] = []
    if not dispute.is_open:
        problems.append(Problem("outcome", f"{dispute.reference} is already {dispute.status}"))
    if outcome not in DISPUTE_OUTCOMES:
        problems.append(Problem("outcome", "Choose resolved or escalated"))
    note = _clean(problems, "note", data.get("note"), "Say how it was resolved or to whom it was escalated")
    on = check_date(problems, "closed_on", data.get("closed_on") or today_london(), required=True,
                    missing="Enter the date", what="The date")
    if on and on < dispute.raised_on:
        problems.append(Problem("closed_on", "The date cannot be before the dispute was raised"))
    raise_if(problems, "The dispute was not closed")
    with vault.db.transaction():
        vault.db.execute("UPDATE disputes SET status = ?, outcome = ?, closed_on = ? WHERE id = ?",
                         (outcome, note, on, dispute.id))
        vault.db.execute("INSERT INTO dispute_steps (dispute_id, on_date, text, recorded_at, recorded_by)"
                         " VALUES (?, ?, ?, ?, ?)", (dispute.id, on, f"{DISPUTE_OUTCOMES[outcome]}: {note}",
                                                     utc_now_iso(), vault.actor))
        vault.audit(f"dispute.{outcome}", record_type="dispute", record_id=dispute.reference)
    return get_dispute(vault, dispute.reference)


# ---- users: approval and training (3.1, 6.4) ----------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    user_id: str
    user_name: str
    role: str
    active: bool
    approved_by: str
    approved_on: str | None
    course: str
    trained_on: str | None
    renewal_due: str | None

    @property
    def approved(self) -> bool:
        return bool(self.approved_by and self.approved_on)

    def training_lapsed(self, today: _dt.date) -> bool:
        if not self.trained_on:
            return True
        return self.renewal_due is not None and self.renewal_due < today.isoformat()

    def problems(self, today: _dt.date) -> list[str]:
        """Why this user may not do casework under the policy (empty when they may)."""
        found = []
        if not self.approved:
            found.append("no approval by the agency's nominated representative is recorded (clause 3.1)")
        if not self.trained_on:
            found.append("no training is recorded (clause 6.4)")
        elif self.training_lapsed(today):
            found.append(f"training lapsed on {self.renewal_due} (clause 6.4)")
        return found


def standings(vault) -> list[Standing]:
    rows = vault.db.query(
        "SELECT u.id AS user_id, u.name AS user_name, u.role, u.active, coalesce(a.approved_by, '') AS approved_by,"
        " a.approved_on, coalesce(a.course, '') AS course, a.trained_on, a.renewal_due"
        " FROM users u LEFT JOIN user_approvals a ON a.user_id = u.id ORDER BY u.name COLLATE NOCASE")
    return [Standing(**{**dict(r), "active": bool(r["active"])}) for r in rows]


def standing(vault, user_name: str) -> Standing:
    for item in standings(vault):
        if item.user_name.lower() == (user_name or "").lower():
            return item
    raise InvalidInput(f"No user {user_name!r} on this desk.")


def lapsed_training(vault, today: _dt.date | None = None) -> list[Standing]:
    """Active casework users without approval or with training missing or lapsed."""
    today = today or today_london()
    return [s for s in standings(vault) if s.active and s.role in CASEWORK_ROLES and s.problems(today)]


def set_standing(vault, user_name: str, data: dict) -> Standing:
    """Record a user's approval (who approved, when) and training (course, date, renewal due)."""
    require(vault.role, "users.manage", "record users' approval and training")
    current = standing(vault, user_name)
    problems: list[Problem] = []
    approved_by = check_text(problems, "approved_by", data.get("approved_by"), limit=SHORT_TEXT).strip()
    approved_on = check_date(problems, "approved_on", data.get("approved_on"), required=bool(approved_by),
                             missing="Enter the date of the approval", what="The date of the approval")
    if approved_on and not approved_by:
        problems.append(Problem("approved_by", "Enter who approved the user (the agency's nominated representative)"))
    course = check_text(problems, "course", data.get("course"), limit=SHORT_TEXT).strip()
    trained_on = check_date(problems, "trained_on", data.get("trained_on"), required=bool(course),
                            missing="Enter the date the training was completed", what="The training date")
    if trained_on and not course:
        problems.append(Problem("course", "Enter the name of the training course"))
    renewal = check_date(problems, "renewal_due", data.get("renewal_due"), required=False, missing="",
                         what="The renewal date", not_future=False)
    if renewal and trained_on and renewal <= trained_on:
        problems.append(Problem("renewal_due", "The renewal date must be after the training date"))
    for field, value in (("approved_by", approved_by), ("course", course)):
        if "\x00" in value:
            problems.append(Problem(field, "must not contain a NUL character"))
    raise_if(problems, f"The approval and training of {current.user_name} were not saved")
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO user_approvals (user_id, approved_by, approved_on, course, trained_on, renewal_due,"
            " updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(user_id) DO UPDATE SET"
            " approved_by = excluded.approved_by, approved_on = excluded.approved_on, course = excluded.course,"
            " trained_on = excluded.trained_on, renewal_due = excluded.renewal_due,"
            " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            (current.user_id, approved_by, approved_on, course, trained_on, renewal, utc_now_iso(), vault.actor))
        vault.audit("user.standing_recorded", record_type="user", record_id=current.user_id,
                    reason=f"approved {approved_on or 'not recorded'}; trained {trained_on or 'not recorded'}"
                           f"; renewal {renewal or 'none'}")
    return standing(vault, current.user_name)


def check_may_work(vault, today: _dt.date | None = None) -> None:
    """At unlock: refuse a casework role to a user without approval or with lapsed training, where
    the policy says so (AuthError naming why; the refusal is audited)."""
    from app.policy import get_policy

    user = vault.user
    if user is None or user.role not in CASEWORK_ROLES:
        return
    if not vault.db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'user_approvals'"):
        return
    if not getattr(get_policy(vault), "casework_needs_approval", False):
        return
    problems = standing(vault, user.name).problems(today or today_london())
    if not problems:
        return
    with vault.db.transaction():
        vault.audit("login.refused", record_type="user", record_id=user.id, reason="; ".join(problems))
    raise AuthError(f"{user.name} may not work as {user.role} on this desk yet: {'; '.join(problems)}. "
                    "Ask your administrator to record it.")


# ---- a desk move (whole-vault export and import) --------------------------------------------------

SIGNATORY_KEYS = ("partner", "name", "position", "signed_on", "recorded_at", "recorded_by")
DISPUTE_KEYS = ("id", "origin_agency", "reference", "partner", "raised_by", "about", "raised_on", "due_on",
                "status", "outcome", "closed_on", "created_at", "created_by")
STEP_KEYS = ("on_date", "text", "recorded_at", "recorded_by")


def export_governance(vault) -> dict:
    """Signatories and disputes (with their steps) for a whole-vault file. Users' approval and
    training stay behind: a moved desk has its own users, recorded afresh."""
    db = vault.db
    steps: dict[str, list] = {}
    for r in db.query("SELECT * FROM dispute_steps ORDER BY seq"):
        steps.setdefault(r["dispute_id"], []).append({k: r[k] for k in STEP_KEYS})
    return {"signatories": [{k: r[k] for k in SIGNATORY_KEYS} for r in db.query("SELECT * FROM signatories")],
            "disputes": [{**{k: r[k] for k in DISPUTE_KEYS}, "steps": steps.get(r["id"], [])}
                         for r in db.query("SELECT * FROM disputes ORDER BY seq")]}


def import_governance(vault, records: dict | None) -> int:
    """Into the new, empty vault of a desk move (inside the import's transaction; the schema has
    checked the shapes). A partner code not in this vault's agreement refuses the whole import."""
    if not records:
        return 0
    codes = set(load_agreement().partner_codes())
    for where, items in (("signatories", records.get("signatories", [])), ("disputes", records.get("disputes", []))):
        for n, item in enumerate(items):
            if item["partner"] not in codes:
                raise InvalidInput(f"Import refused, nothing was changed: governance.{where}[{n}].partner: unknown "
                                   f"partner {item['partner']!r}.")
    db = vault.db
    db.executemany(f"INSERT OR IGNORE INTO signatories ({', '.join(SIGNATORY_KEYS)}) VALUES "
                   f"({', '.join('?' for _ in SIGNATORY_KEYS)})",
                   [tuple(s[k] for k in SIGNATORY_KEYS) for s in records.get("signatories", [])])
    for d in records.get("disputes", []):
        if db.scalar("SELECT count(*) FROM disputes WHERE id = ?", (d["id"],)):
            continue
        db.execute(f"INSERT INTO disputes ({', '.join(DISPUTE_KEYS)}) VALUES ({', '.join('?' for _ in DISPUTE_KEYS)})",
                   tuple(d[k] for k in DISPUTE_KEYS))
        db.executemany("INSERT INTO dispute_steps (dispute_id, on_date, text, recorded_at, recorded_by)"
                       " VALUES (?, ?, ?, ?, ?)", [(d["id"], *(s[k] for k in STEP_KEYS)) for s in d["steps"]])
    count = len(records.get("signatories", [])) + len(records.get("disputes", []))
    vault.audit("governance.imported", record_type="vault", reason=f"{count} signatories and disputes")
    return count
