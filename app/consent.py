"""Consent to onward and secondary use (sections 6.2, 6.3 and 7.3; DESIGN.md "Sections 6 and 7").

Information another partner provided goes to a third party only with that partner's written
consent. Here that is a rule with one gate, `check_disclosure(vault, items, recipient, purpose)`,
which every path that discloses asks (sealed packages, the onward-disclosure form, the chair's
further-disclosure permission, `spocdesk send`, the request export, the whole-vault move, a
report printed for another partner). Its answer is a `Decision`: allowed, and on which grants, or
refused with what is needed in words ("HMRC provided this. Ask HMRC for written consent to
disclose it to the NCA for ...").

An item is `KIND:ID` - `response:<id>`, `subject:<id>` or `request:<id>` - and its originator is
the record's `origin_agency`: data, never a choice.

Written consent is a signed package. `ask_consent` records a consent request (items, recipient,
purpose, why, needed by) and seals a `consent-request` package for the originating desk. That
desk receives it (`receive_package`), its SPOC sees its own copy of each item, and
`answer_consent` grants (all or some items, until a date, with conditions) or refuses with a
reason, sealing a `consent-answer` package back. The answer is signed by the originating desk's
key; the asking desk stores it only after that signature checked out against the trusted card,
and a grant covers a disclosure only while the card that signed it is trusted and not revoked,
for its own items, recipient and purpose, until its date, and until `withdraw_grant` sends a
withdrawal (another `consent-answer`). Nothing here writes a file other than the package itself
(0600, O_EXCL), and each step is one transaction.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.files import write_private
from app.records import dumps, loads, new_id, parse_date, today_london
from app.roles import require
from app.timeutil import utc_now_iso

CONSENT_FORMAT = "spocdesk-consent/1"
PACKAGE_KINDS = ("consent-request", "consent-answer")
ITEM_TABLES = {"response": "responses", "subject": "subjects", "request": "requests"}
ITEM = re.compile(r"^(response|subject|request):([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
DECISIONS = ("granted", "refused", "withdrawn")
MAX_ITEMS = 200
MAX_TEXT = 2000
REQUEST_FIELDS = {"format", "type", "id", "reference", "asking_agency", "originator", "recipient", "purpose",
                  "items", "reason", "needed_by", "asked_by", "asked_at"}
ANSWER_FIELDS = {"format", "type", "id", "consent_request_id", "decision", "originator", "items", "recipient",
                 "purpose", "until", "conditions", "reason", "withdraws", "decided_by", "decided_at"}


class ConsentNeeded(InvalidInput):
    """A disclosure refused under 6.2/6.3 (exit 4: nothing was written)."""

    def __init__(self, decision: "Decision"):
        self.decision = decision
        super().__init__(decision.message)


# ---- items and their originators ------------------------------------------------------------


def parse_item(item: str) -> tuple[str, str]:
    found = ITEM.match(str(item or ""))
    if not found:
        raise InvalidInput(f"{str(item)[:60]!r} is not an item (response:ID, subject:ID or request:ID).")
    return found.group(1), found.group(2)


def originator_of(vault, item: str) -> str:
    """The agency whose desk the item came from (its origin_agency)."""
    kind, rid = parse_item(item)
    row = vault.db.one(f"SELECT origin_agency FROM {ITEM_TABLES[kind]} WHERE id = ?", (rid,))  # our table names
    if row is None:
        raise InvalidInput(f"There is no {kind} {rid} in this vault.")
    return row["origin_agency"]


def describe_item(vault, item: str, *, short: bool = False) -> str:
    """The item in words from this vault's own copy (shown to the user; never audited); `short`:
    without the disclosed text or the subject's name (a label for a list)."""
    from app.timeutil import london_display

    kind, rid = parse_item(item)
    names = load_agreement()
    if kind == "response":
        row = vault.db.one("SELECT r.origin_agency, r.kind, r.response_date, r.disclosed_text, r.held_text,"
                           " q.reference FROM responses r JOIN dispatches d ON d.id = r.dispatch_id"
                           " JOIN requests q ON q.id = d.request_id WHERE r.id = ?", (rid,))
        if row is None:
            return f"A response this desk does not hold ({rid[:8]})"
        when = row["response_date"] or ""
        date = f"{when[8:10]}/{when[5:7]}/{when[:4]}" if len(when) >= 10 else "no date"
        text = (row["disclosed_text"] or row["held_text"] or "").strip()
        return (f"{names.partner(row['origin_agency']).name}'s {row['kind']} answer of {date} to {row['reference']}"
                + (f": {text}" if text and not short else ""))
    if kind == "subject":
        row = vault.db.one("SELECT kind, name, origin_agency FROM subjects WHERE id = ?", (rid,))
        if row is None:
            return f"A subject this desk does not hold ({rid[:8]})"
        return f"Subject details ({row['kind']}) provided by {row['origin_agency']}" + ("" if short else
                                                                                        f": {row['name']}")
    row = vault.db.one("SELECT reference, origin_agency, created_at FROM requests WHERE id = ?", (rid,))
    if row is None:
        return f"A request this desk does not hold ({rid[:8]})"
    return f"Request {row['reference']} of {row['origin_agency']}, made {london_display(row['created_at'])}"


def purpose_words(purpose: str) -> str:
    """'4.3(2) identify potential victims of Modern Slavery' for a purpose id of the agreement."""
    try:
        found = load_agreement().purpose(purpose)
    except Exception:  # noqa: BLE001 - an id the agreement does not have is shown as given
        return str(purpose)
    return f"{found.clause} {found.text.rstrip(' ;:.,')}"


def check_purpose(purpose: str) -> str:
    try:
        load_agreement().purpose(purpose)
    except Exception:  # noqa: BLE001
        raise InvalidInput(f"Unknown purpose {str(purpose)[:40]!r}: choose one of the purposes of section 4.3.") \
            from None
    return purpose


def _recipient_words(code: str) -> str:
    return f"the {code}"


# ---- the one check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """Items of one originator that no grant covers."""

    originator: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    recipient: str
    purpose: str
    items: tuple[str, ...]
    needs: tuple[Need, ...] = ()
    grants: tuple[str, ...] = ()  # ids of the consent answers relied on
    originators: tuple[str, ...] = ()  # every partner originator of the items (not this desk)

    @property
    def message(self) -> str:
        if self.allowed:
            if self.grants:
                return (f"Allowed: written consent covers it ({len(self.grants)} grant"
                        f"{'s' if len(self.grants) != 1 else ''}).")
            return "Allowed: no other partner's information is in it."
        parts = []
        for need in self.needs:
            parts.append(f"{need.originator} provided this. Ask {need.originator} for written consent to disclose "
                         f"it to {_recipient_words(self.recipient)} for {purpose_words(self.purpose)}")
        count = sum(len(n.items) for n in self.needs)
        return ("; ".join(parts) + f" (sections 6.2 and 6.3; {count} item{'s' if count != 1 else ''} not covered); "
                "nothing was disclosed.")

    @property
    def originator(self) -> str | None:
        """The one partner whose information this is, if there is exactly one."""
        return self.originators[0] if len(self.originators) == 1 else None


def _valid_grants(vault, originator: str, recipient: str, purpose: str, on) -> list:
    """Grants received from `originator`'s desk, signed by a card of that agency this desk trusts
    and has not revoked, for this recipient and purpose, in date and not withdrawn."""
    rows = vault.db.query(
        "SELECT a.* FROM consent_answers a JOIN partner_desks p ON p.fingerprint = a.signer_fingerprint"
        " WHERE a.direction = 'received' AND a.decision = 'granted' AND a.originator = ? AND p.agency = ?"
        " AND p.revoked_at IS NULL AND a.recipient = ? AND a.purpose = ?"
        " AND NOT EXISTS (SELECT 1 FROM consent_answers w WHERE w.decision = 'withdrawn' AND w.withdraws = a.id)"
        " ORDER BY a.seq", (originator, originator, recipient, purpose))
    return [r for r in rows if not r["until"] or r["until"] >= on.isoformat()]


def check_disclosure(vault, items, recipient: str, purpose: str, *, on=None) -> Decision:
    """May `items` go to `recipient` for `purpose`? Items of this desk, or of the recipient itself,
    need nothing; a whole-desk move to this agency's own new vault is no third party. Every other
    item needs a grant from its originator covering it, the recipient and the purpose."""
    items = tuple(dict.fromkeys(str(i) for i in items))
    on = on or today_london()
    if recipient == vault.agency:
        return Decision(True, recipient, purpose, items)
    by_origin: dict[str, list[str]] = {}
    for item in items:
        origin = originator_of(vault, item)
        if origin not in (vault.agency, recipient):
            by_origin.setdefault(origin, []).append(item)
    if not by_origin:
        return Decision(True, recipient, purpose, items, originators=tuple(by_origin))
    needs, used = [], []
    for origin, wanted in by_origin.items():
        grants = _valid_grants(vault, origin, recipient, purpose, on)
        missing = []
        for item in wanted:
            cover = next((g for g in grants if item in loads(g["items"])), None)
            if cover is None:
                missing.append(item)
            elif cover["id"] not in used:
                used.append(cover["id"])
        if missing:
            needs.append(Need(origin, tuple(missing)))
    if needs:
        return Decision(False, recipient, purpose, items, tuple(needs), originators=tuple(by_origin))
    return Decision(True, recipient, purpose, items, grants=tuple(used), originators=tuple(by_origin))


def require_consent(vault, items, recipient: str, purpose: str) -> Decision:
    """`check_disclosure`, raising ConsentNeeded (exit 4) when it is refused; audits the refusal."""
    decision = check_disclosure(vault, items, recipient, purpose)
    if not decision.allowed:
        vault.audit("consent.refused_disclosure", record_type="consent", record_id=recipient,
                    reason=f"{purpose} needs " + ",".join(n.originator for n in decision.needs))
        raise ConsentNeeded(decision)
    return decision


def items_of_request(vault, request_id: str, *, responses_of: str | None = None) -> list[str]:
    """What a package of a request carries: the request, its subjects, and the responses of
    `responses_of` (not drafts)."""
    items = [f"request:{request_id}"]
    items += [f"subject:{r['subject_id']}" for r in vault.db.query(
        "SELECT subject_id FROM request_subjects WHERE request_id = ? ORDER BY position", (request_id,))]
    if responses_of:
        items += [f"response:{r['id']}" for r in vault.db.query(
            "SELECT r.id FROM responses r JOIN dispatches d ON d.id = r.dispatch_id WHERE d.request_id = ?"
            " AND r.origin_agency = ? AND r.status != 'draft' ORDER BY r.seq", (request_id, responses_of))]
    return items


REPORTS_FOR_PARTNERS = ("request", "response", "collation")


def items_of_report(vault, kind: str, ref: str) -> tuple[str | None, list[str]]:
    """(request id, items) a printed document carries, for printing it for another partner."""
    from app.requests import _resolve

    if kind not in REPORTS_FOR_PARTNERS:
        raise InvalidInput(f"Only {', '.join(REPORTS_FOR_PARTNERS)} documents are printed for another partner; "
                           f"{kind} is for this desk's own use.")
    reference, _, agency = str(ref or "").partition("/")
    request_id = _resolve(vault, reference)
    if kind == "request":
        return request_id, items_of_request(vault, request_id)
    items = items_of_request(vault, request_id)
    rows = vault.db.query("SELECT r.id, r.origin_agency, d.agency FROM responses r JOIN dispatches d"
                          " ON d.id = r.dispatch_id WHERE d.request_id = ? AND r.status != 'draft' ORDER BY r.seq",
                          (request_id,))
    target = agency.split("/")[0].upper()
    items += [f"response:{r['id']}" for r in rows if kind == "collation" or r["agency"] == target]
    return request_id, items


def default_purpose(vault, request_id: str | None) -> str:
    """The request's first purpose (4.3), used where a path names none."""
    if request_id:
        row = vault.db.one("SELECT purposes FROM requests WHERE id = ?", (request_id,))
        if row is not None and loads(row["purposes"]):
            return loads(row["purposes"])[0]
    return load_agreement().purposes[0].id


# ---- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentAnswer:
    id: str
    consent_request_id: str
    direction: str
    decision: str
    originator: str
    signer_fingerprint: str
    items: tuple[str, ...]
    recipient: str
    purpose: str
    until: str | None
    conditions: str
    reason: str
    withdraws: str | None
    package_id: str
    file_name: str
    decided_by: str
    decided_at: str
    withdrawn_at: str | None = None

    @property
    def state(self) -> str:
        if self.decision != "granted":
            return self.decision
        if self.withdrawn_at:
            return "withdrawn"
        if self.until and self.until < today_london().isoformat():
            return "expired"
        return "in force"


@dataclass(frozen=True)
class ConsentRequest:
    id: str
    reference: str
    direction: str
    asking_agency: str
    originator: str
    recipient: str
    purpose: str
    items: tuple[str, ...]
    reason: str
    needed_by: str | None
    request_id: str | None
    package_id: str
    file_name: str
    asked_by: str
    asked_at: str
    answers: tuple[ConsentAnswer, ...] = ()

    @property
    def state(self) -> str:
        decided = [a for a in self.answers if a.decision in ("granted", "refused")]
        if not decided:
            return "awaiting answer"
        last = decided[-1]
        if last.decision == "refused":
            return "refused"
        if last.state != "in force":
            return last.state
        return "granted" if set(last.items) == set(self.items) else "partly granted"


def _answer(row, withdrawn_at=None) -> ConsentAnswer:
    values = {k: row[k] for k in ConsentAnswer.__dataclass_fields__ if k != "withdrawn_at"}
    values["items"] = tuple(loads(values["items"]))
    return ConsentAnswer(**values, withdrawn_at=withdrawn_at)


def _request(vault, row) -> ConsentRequest:
    rows = vault.db.query("SELECT * FROM consent_answers WHERE consent_request_id = ? ORDER BY seq", (row["id"],))
    withdrawn = {r["withdraws"]: r["decided_at"] for r in rows if r["decision"] == "withdrawn"}
    answers = tuple(_answer(r, withdrawn.get(r["id"])) for r in rows)
    values = {k: row[k] for k in ConsentRequest.__dataclass_fields__ if k != "answers"}
    values["items"] = tuple(loads(values["items"]))
    return ConsentRequest(**values, answers=answers)


def get_request(vault, ref_or_id: str) -> ConsentRequest:
    require(vault.role, "disclosures.read", "see consent requests")
    row = vault.db.one("SELECT * FROM consent_requests WHERE id = ? OR reference = ? ORDER BY seq DESC LIMIT 1",
                       (ref_or_id, ref_or_id))
    if row is None:
        raise InvalidInput(f"There is no consent request {str(ref_or_id)[:40]} in this vault.")
    return _request(vault, row)


def list_requests(vault) -> list[ConsentRequest]:
    """The consents register: every request made or received, newest first, with its answers."""
    require(vault.role, "disclosures.read", "see the consents register")
    rows = vault.db.query("SELECT * FROM consent_requests ORDER BY seq DESC")
    vault.audit("consents.listed", record_type="consent", reason=f"{len(rows)} shown")
    return [_request(vault, r) for r in rows]


def get_answer(vault, answer_id: str) -> ConsentAnswer:
    row = vault.db.one("SELECT * FROM consent_answers WHERE id = ?", (answer_id,))
    if row is None:
        raise InvalidInput(f"There is no consent answer {str(answer_id)[:40]} in this vault.")
    w = vault.db.one("SELECT decided_at FROM consent_answers WHERE decision = 'withdrawn' AND withdraws = ?",
                     (answer_id,))
    return _answer(row, w["decided_at"] if w else None)


def _next_reference(vault) -> str:
    year = today_london().year
    prefix = f"CON-{year}-"
    last = vault.db.scalar("SELECT max(CAST(substr(reference, ?) AS INTEGER)) FROM consent_requests"
                           " WHERE asking_agency = ? AND reference LIKE ?",
                           (len(prefix) + 1, vault.agency, prefix + "%")) or 0
    return f"{prefix}{last + 1:04d}"


def _text(value, what: str, *, required: bool = False) -> str:
    value = "" if value is None else value
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text.")
    if required and not value.strip():
        raise InvalidInput(f"Enter {what}.")
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"{what[0].upper() + what[1:]} is too long ({len(value)} characters; the limit is "
                           f"{MAX_TEXT}).")
    if "\x00" in value:
        raise InvalidInput(f"{what[0].upper() + what[1:]} holds a NUL character; remove it.")
    return value


def _date(value, what: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        found = parse_date(value)
    except (ValueError, TypeError):
        found = None
    if found is None:
        raise InvalidInput(f"{what[0].upper() + what[1:]} must be a real date, like 31/12/2026.")
    return found.isoformat()


def _package_name(reference: str, kind: str, sender: str, agency: str, package_id: str) -> str:
    return f"{reference}_{kind}_{sender}_to_{agency}_{package_id[:8]}.spocpkg"


def _seal_to(vault, agency: str, kind: str, doc: dict, reference: str, out_dir, package_id: str) -> Path:
    """Seal `doc` to `agency`'s trusted card as a `kind` package, written into `out_dir`
    (inside the caller's transaction: the file is removed again if anything after fails)."""
    from app.exchange import packages

    card = packages._trusted_card(vault, agency)
    head = vault.chain_head()
    document = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    data = packages.seal(vault, kind=kind, document=document, recipient_card=card, reference=reference,
                         package_id=package_id, head=head)
    path = Path(out_dir) / _package_name(reference, kind, vault.agency, agency, package_id)
    write_private(path, data)
    return path


def _out_dir(out_dir) -> Path:
    out = Path(out_dir)
    if not out.is_dir():
        raise InvalidInput(f"The folder {out} does not exist; nothing was made.")
    return out


# ---- asking -----------------------------------------------------------------------------------


def ask_consent(vault, items, recipient: str, purpose: str, *, reason: str, needed_by=None,
                out_dir, request_id: str | None = None) -> tuple[ConsentRequest, Path]:
    """Record a consent request to the originating desk and make its sealed package. All items
    must come from one partner (ask each partner separately)."""
    require(vault.role, "disclosures.write", "ask partners for consent")
    out = _out_dir(out_dir)
    names = load_agreement()
    if recipient not in names.partner_codes():
        raise InvalidInput(f"Unknown agency {str(recipient)[:20]!r} to disclose to.")
    check_purpose(purpose)
    items = list(dict.fromkeys(str(i) for i in items or ()))
    if not items:
        raise InvalidInput("Choose the items to ask consent for.")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"Ask for at most {MAX_ITEMS} items at once.")
    origins = {originator_of(vault, i) for i in items}
    if len(origins) != 1:
        raise InvalidInput("The items come from more than one partner (" + ", ".join(sorted(origins)) + "): ask "
                           "each partner for consent separately.")
    originator = origins.pop()
    if originator == vault.agency:
        raise InvalidInput("This desk provided these items itself: no other partner's consent is needed.")
    if originator == recipient:
        raise InvalidInput(f"{recipient} provided these items: giving them back to {recipient} needs no consent.")
    reason = _text(reason, "why the information is needed", required=True)
    needed = _date(needed_by, "the date it is needed by")
    if needed and needed < today_london().isoformat():
        raise InvalidInput("The date it is needed by is in the past.")
    if request_id is not None and vault.db.one("SELECT 1 FROM requests WHERE id = ?", (request_id,)) is None:
        raise InvalidInput(f"There is no request {request_id} in this vault.")
    from app.exchange import packages

    packages._trusted_card(vault, originator)  # refused before anything is written
    cid, package_id, now = new_id(), str(uuid.uuid4()), utc_now_iso()
    reference = _next_reference(vault)
    doc = {"format": CONSENT_FORMAT, "type": "request", "id": cid, "reference": reference,
           "asking_agency": vault.agency, "originator": originator, "recipient": recipient, "purpose": purpose,
           "items": items, "reason": reason, "needed_by": needed, "asked_by": vault.actor, "asked_at": now}
    path = None
    try:
        with vault.db.transaction():
            vault.audit("consent.asked", record_type="consent", record_id=cid,
                        reason=f"{reference} {originator} to {recipient} {len(items)} items")
            path = _seal_to(vault, originator, "consent-request", doc, reference, out, package_id)
            vault.db.execute(
                "INSERT INTO consent_requests (id, reference, direction, asking_agency, originator, recipient, purpose,"
                " items, reason, needed_by, request_id, package_id, file_name, asked_by, asked_at, recorded_at)"
                " VALUES (?, ?, 'made', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (cid, reference, vault.agency, originator, recipient, purpose, dumps(items), reason, needed,
                 request_id, package_id, path.name, vault.actor, now, now))
    except BaseException:
        if path is not None and vault.db.one("SELECT 1 FROM consent_requests WHERE id = ?", (cid,)) is None:
            path.unlink(missing_ok=True)
        raise
    return get_request(vault, cid), path


# ---- answering --------------------------------------------------------------------------------


def answer_consent(vault, consent_request_id: str, decision: str, *, items=None, until=None, conditions: str = "",
                   reason: str = "", out_dir) -> tuple[ConsentAnswer, Path]:
    """On the originating desk: grant (all the items asked, or some; optionally until a date and
    with conditions) or refuse (with a reason). Makes the signed answer package for the asking desk."""
    require(vault.role, "disclosures.write", "answer consent requests")
    out = _out_dir(out_dir)
    asked = get_request(vault, consent_request_id)
    if asked.direction != "received":
        raise InvalidInput(f"{asked.reference} is this desk's own request; the partner it asked answers it.")
    if any(a.decision in ("granted", "refused") for a in asked.answers):
        raise InvalidInput(f"{asked.reference} has been answered already; withdraw a grant to end it.")
    if decision not in ("granted", "refused"):
        raise InvalidInput("Choose whether to grant or refuse consent.")
    conditions = _text(conditions, "the conditions")
    if decision == "granted":
        chosen = list(dict.fromkeys(str(i) for i in (asked.items if items is None else items)))
        if not chosen:
            raise InvalidInput("Choose at least one item to grant consent for, or refuse.")
        extra = [i for i in chosen if i not in asked.items]
        if extra:
            raise InvalidInput("A grant covers only items that were asked about; "
                               f"{len(extra)} chosen item(s) were not.")
        until_day = _date(until, "the date consent lasts until")
        if until_day and until_day < today_london().isoformat():
            raise InvalidInput("The date consent lasts until is in the past.")
        reason = _text(reason, "the reason")
    else:
        chosen, until_day = [], None
        reason = _text(reason, "the reason for refusing", required=True)
    return _send_answer(vault, asked, decision, chosen, until_day, conditions, reason, None, out)


def withdraw_grant(vault, answer_id: str, *, reason: str, out_dir) -> tuple[ConsentAnswer, Path]:
    """On the originating desk: withdraw a grant it made, for future disclosures (a signed
    withdrawal package for the asking desk)."""
    require(vault.role, "disclosures.write", "withdraw consent")
    out = _out_dir(out_dir)
    grant = get_answer(vault, answer_id)
    if grant.direction != "made" or grant.decision != "granted":
        raise InvalidInput("Only a grant this desk made can be withdrawn by this desk.")
    if grant.withdrawn_at:
        raise InvalidInput("That grant has been withdrawn already.")
    reason = _text(reason, "why consent is withdrawn", required=True)
    asked = get_request(vault, grant.consent_request_id)
    return _send_answer(vault, asked, "withdrawn", list(grant.items), None, "", reason, grant.id, out)


def _send_answer(vault, asked: ConsentRequest, decision, items, until, conditions, reason, withdraws, out):
    aid, package_id, now = new_id(), str(uuid.uuid4()), utc_now_iso()
    from app.exchange import desks

    _, fingerprint, _ = desks.own(vault)
    doc = {"format": CONSENT_FORMAT, "type": "answer", "id": aid, "consent_request_id": asked.id,
           "decision": decision, "originator": vault.agency, "items": items, "recipient": asked.recipient,
           "purpose": asked.purpose, "until": until, "conditions": conditions, "reason": reason,
           "withdraws": withdraws, "decided_by": vault.actor, "decided_at": now}
    path = None
    try:
        with vault.db.transaction():
            vault.audit("consent." + decision, record_type="consent", record_id=aid,
                        reason=f"{asked.reference} for {asked.asking_agency} {len(items)} items")
            path = _seal_to(vault, asked.asking_agency, "consent-answer", doc, asked.reference, out, package_id)
            _insert_answer(vault, doc, "made", fingerprint, package_id, path.name)
    except BaseException:
        if path is not None and vault.db.one("SELECT 1 FROM consent_answers WHERE id = ?", (aid,)) is None:
            path.unlink(missing_ok=True)
        raise
    return get_answer(vault, aid), path


def _insert_answer(vault, doc: dict, direction: str, fingerprint: str, package_id: str, file_name: str) -> None:
    vault.db.execute(
        "INSERT INTO consent_answers (id, consent_request_id, direction, decision, originator, signer_fingerprint,"
        " items, recipient, purpose, until, conditions, reason, withdraws, package_id, file_name, decided_by,"
        " decided_at, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (doc["id"], doc["consent_request_id"], direction, doc["decision"], doc["originator"], fingerprint,
         dumps(doc["items"]), doc["recipient"], doc["purpose"], doc["until"], doc["conditions"], doc["reason"],
         doc["withdraws"], package_id, file_name, doc["decided_by"], doc["decided_at"], utc_now_iso()))


# ---- receiving --------------------------------------------------------------------------------


def _parse(document: bytes, name: str, fields: set, kind: str) -> dict:
    def bad(problem: str) -> InvalidInput:
        return InvalidInput(f"{name} is not a valid {kind} package: {problem}; nothing was changed.")

    try:
        doc = json.loads(document.decode("utf-8")) if len(document) <= 512 * 1024 else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != CONSENT_FORMAT:
        raise bad(f"its document is not {CONSENT_FORMAT}")
    if set(doc) != fields:
        raise bad("its document has missing or unknown fields")
    codes = load_agreement().partner_codes()
    for key in ("asking_agency", "originator", "recipient"):
        if key in doc and doc[key] not in codes:
            raise bad(f"{key} names no partner of the agreement")
    for key in ("id", "consent_request_id"):
        if key in doc and not (isinstance(doc[key], str) and re.match(r"^[0-9a-f-]{36}$", doc[key])):
            raise bad(f"{key} is not an id")
    items = doc["items"]
    if not isinstance(items, list) or len(items) > MAX_ITEMS or not all(isinstance(i, str) and ITEM.match(i)
                                                                        for i in items):
        raise bad("its items are not a list of items")
    try:
        check_purpose(doc["purpose"])
        for key in ("reason", "conditions", "reference", "asked_by", "decided_by"):
            if key in doc:
                _text(doc[key], key.replace("_", " "))
        for key in ("needed_by", "until"):
            if key in doc:
                _date(doc[key], key.replace("_", " "))
    except InvalidInput as exc:
        raise bad(str(exc).rstrip(".")) from None
    return doc


def receive_package(vault, manifest: dict, document: bytes, name: str):
    """A consent-request or consent-answer package whose signature packages.open_package has
    checked against the sender's trusted card: recorded all or nothing."""
    from app.exchange.packages import Received
    from app.timeutil import london_display

    require(vault.role, "disclosures.write", "receive consent requests and answers")
    sender = manifest["sender"]["agency"]
    who = load_agreement().partner(sender).name
    package_id = manifest["package_id"]
    for table, at in (("consent_requests", "recorded_at"), ("consent_answers", "recorded_at")):
        held = vault.db.one(f"SELECT {at} FROM {table} WHERE package_id = ?", (package_id,))  # our names
        if held is not None:
            return Received(manifest["kind"], package_id, sender, manifest["reference"],
                            f"Already received on {london_display(held[at])}: {manifest['kind']} "
                            f"{manifest['reference']} from {who}; nothing was changed.",
                            already_received_at=held[at])
    fingerprint = manifest["sender"]["fingerprint"]
    with vault.db.transaction():
        if manifest["kind"] == "consent-request":
            doc = _parse(document, name, REQUEST_FIELDS, "consent request")
            if doc["type"] != "request" or doc["asking_agency"] != sender or doc["reference"] != manifest["reference"]:
                raise InvalidInput(f"{name} is not a consent request of its sender ({sender}); nothing was changed.")
            if doc["originator"] != vault.agency:
                raise InvalidInput(f"{name} asks {doc['originator']} for consent, not this desk; nothing was changed.")
            for item in doc["items"]:
                kind, rid = parse_item(item)
                row = vault.db.one(f"SELECT origin_agency FROM {ITEM_TABLES[kind]} WHERE id = ?", (rid,))  # ours
                if row is None or row["origin_agency"] != vault.agency:
                    raise InvalidInput(f"{name} asks about information this desk did not provide ({kind} "
                                       f"{rid[:8]}); nothing was changed.")
            if vault.db.one("SELECT 1 FROM consent_requests WHERE id = ?", (doc["id"],)) is not None:
                raise InvalidInput(f"{name} repeats a consent request this desk holds; nothing was changed.")
            vault.db.execute(
                "INSERT INTO consent_requests (id, reference, direction, asking_agency, originator, recipient,"
                " purpose, items, reason, needed_by, request_id, package_id, file_name, asked_by, asked_at,"
                " recorded_at) VALUES (?, ?, 'received', ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)",
                (doc["id"], doc["reference"], sender, vault.agency, doc["recipient"], doc["purpose"],
                 dumps(doc["items"]), doc["reason"], doc["needed_by"], package_id, name, doc["asked_by"],
                 doc["asked_at"], utc_now_iso()))
            vault.audit("consent.request_received", record_type="consent", record_id=doc["id"],
                        reason=f"{doc['reference']} from {sender} {len(doc['items'])} items")
            line = (f"Consent request {doc['reference']} from {who}: {len(doc['items'])} item"
                    f"{'s' if len(doc['items']) != 1 else ''} to {doc['recipient']} for "
                    f"{purpose_words(doc['purpose'])}")
        else:
            doc = _parse(document, name, ANSWER_FIELDS, "consent answer")
            if doc["type"] != "answer" or doc["originator"] != sender or doc["decision"] not in DECISIONS:
                raise InvalidInput(f"{name} is not a consent answer signed by its originator; nothing was changed.")
            asked = vault.db.one("SELECT * FROM consent_requests WHERE id = ? AND direction = 'made'",
                                 (doc["consent_request_id"],))
            if asked is None or asked["originator"] != sender:
                raise InvalidInput(f"{name} answers a consent request this desk did not send to {sender}; "
                                   "nothing was changed.")
            if doc["recipient"] != asked["recipient"] or doc["purpose"] != asked["purpose"] \
                    or not set(doc["items"]) <= set(loads(asked["items"])):
                raise InvalidInput(f"{name} answers for other items, another recipient or another purpose than "
                                   f"{asked['reference']} asked; nothing was changed.")
            if doc["decision"] == "withdrawn":
                grant = vault.db.one("SELECT * FROM consent_answers WHERE id = ? AND direction = 'received'"
                                     " AND decision = 'granted' AND originator = ?", (doc["withdraws"], sender))
                if grant is None:
                    raise InvalidInput(f"{name} withdraws a grant this desk does not hold from {sender}; nothing "
                                       "was changed.")
            elif doc["withdraws"] is not None:
                raise InvalidInput(f"{name} is not a valid consent answer; nothing was changed.")
            if vault.db.one("SELECT 1 FROM consent_answers WHERE id = ?", (doc["id"],)) is not None:
                raise InvalidInput(f"{name} repeats a consent answer this desk holds; nothing was changed.")
            _insert_answer(vault, doc, "received", fingerprint, package_id, name)
            vault.audit("consent.answer_received", record_type="consent", record_id=doc["id"],
                        reason=f"{asked['reference']} {doc['decision']} by {sender}")
            words = {"granted": "granted", "refused": "refused", "withdrawn": "withdrawn"}[doc["decision"]]
            line = f"Consent {words} by {who} for {asked['reference']}"
            if doc["decision"] == "granted":
                line += f": {len(doc['items'])} of {len(loads(asked['items']))} items"
                if doc["until"]:
                    line += f", until {doc['until'][8:10]}/{doc['until'][5:7]}/{doc['until'][:4]}"
    return Received(manifest["kind"], package_id, sender, manifest["reference"], line)


# ---- words for registers ----------------------------------------------------------------------


def state_words(answer: ConsentAnswer) -> str:
    return {"in force": "Granted, in force", "expired": "Granted, expired", "withdrawn": "Granted, since withdrawn",
            "refused": "Refused", "withdrawn-notice": "Withdrawal"}.get(answer.state if answer.decision != "withdrawn"
                                                                         else "withdrawn-notice", answer.state)


def answer_details(answer: ConsentAnswer, asked: ConsentRequest, date_words) -> list[str]:
    """What an answer says beyond its state, line by line (for the register screen and paper)."""
    lines = [f"{len(answer.items)} of {len(asked.items)} items"] if answer.decision == "granted" else []
    if answer.until:
        lines.append(f"until {date_words(answer.until)}")
    if answer.conditions:
        lines.append(f"conditions: {answer.conditions}")
    if answer.reason:
        lines.append(f"reason: {answer.reason}")
    return lines


def grant_citation(vault, grant_id: str) -> str:
    """'CON-2026-0001, granted by HMRC on 03/12/2026' for a grant a register row relied on."""
    row = vault.db.one("SELECT a.originator, a.decided_at, q.reference FROM consent_answers a"
                       " JOIN consent_requests q ON q.id = a.consent_request_id WHERE a.id = ?", (grant_id,))
    if row is None:
        return f"grant {grant_id[:8]} (not held)"
    day = row["decided_at"] or ""
    return f"{row['reference']}, granted by {row['originator']} on {day[8:10]}/{day[5:7]}/{day[:4]}"


def counts(vault) -> dict:
    """Consent requests by where they stand (codes and numbers only, for `status` and Home)."""
    rows = vault.db.query(
        "SELECT q.direction, (SELECT count(*) FROM consent_answers a WHERE a.consent_request_id = q.id"
        " AND a.decision IN ('granted', 'refused')) AS answered FROM consent_requests q")
    return {"to_answer": sum(1 for r in rows if r["direction"] == "received" and not r["answered"]),
            "awaiting_answer": sum(1 for r in rows if r["direction"] == "made" and not r["answered"]),
            "answered": sum(1 for r in rows if r["answered"])}


# ---- the joint compliance report (13.1) -------------------------------------------------------

# The one check's notion of "another partner's information", in SQL over the disclosure register,
# so the report counts a whole period in a few statements: an item's originator is its record's
# origin_agency (data), and an item needs consent when that is neither this desk nor the
# recipient. A register row written before items were recorded (its items '[]') falls back on its
# `originator` column. Counts and ids only: nothing here reads a name or a text.
_ORIGIN = ("CASE WHEN substr(i.value, 1, 9) = 'response:' THEN (SELECT origin_agency FROM responses"
           " WHERE id = substr(i.value, 10))"
           " WHEN substr(i.value, 1, 8) = 'subject:' THEN (SELECT origin_agency FROM subjects WHERE id = substr(i.value, 9))"
           " WHEN substr(i.value, 1, 8) = 'request:' THEN (SELECT origin_agency FROM requests INDEXED BY requests_origin"
           " WHERE id = substr(i.value, 9))"
           " END")
_NEEDED = ("CASE WHEN d.items = '[]' THEN d.originator NOT IN (:us, d.from_agency, d.to_agency)"
           f" ELSE EXISTS (SELECT 1 FROM json_each(d.items) i WHERE ({_ORIGIN}) NOT IN (:us, d.to_agency)) END")
_OF_PARTNER = ("CASE WHEN d.items = '[]' THEN d.originator = :partner"
               f" ELSE EXISTS (SELECT 1 FROM json_each(d.items) i WHERE ({_ORIGIN}) = :partner) END")


@dataclass(frozen=True)
class OnwardCounts:
    """One recipient's sent register rows in a period (app.compliance's onward section)."""

    to_agency: str
    sent: int
    onward: int
    onward_no_basis: int
    meeting: int
    needed: int
    with_consent: int
    without_consent: int


def onward_consent(vault, start_utc: str, end_utc: str, partner: str | None = None,
                   *, list_limit: int = 20) -> tuple[list[OnwardCounts], list[dict]]:
    """The further disclosures this desk sent from `start_utc` up to `end_utc` (register kinds
    onward, meeting and export: information passed on beyond the asking and answering desks), per
    recipient: onward disclosures (5.3), those without a lawful basis recorded, further disclosures
    at meetings, and rows carrying another partner's information (the one check's notion, above)
    with the written consent they needed (the row cites a grant) or without it (rows before section
    6 enforcement). The request and response packages between the asking and the answering desk
    (the bulk of the register) are not read: a period of them is too many rows to open one by one,
    and the same check refuses them when they carry a third partner's information.
    With `partner`: rows to that partner or carrying its information. Also the first `list_limit`
    rows without consent (request reference, recipient, time, kind; no personal data). The caller
    checks the permission (the compliance report's)."""
    params = {"us": vault.agency, "start": start_utc, "end": end_utc, "partner": partner}
    flagged = (f"SELECT d.seq, d.kind, d.to_agency, d.at, d.request_id, d.lawful_bases, d.consent_grants,"
               f" {_NEEDED} AS needed, " + (f"{_OF_PARTNER}" if partner else "0") + " AS of_partner"
               " FROM disclosures d WHERE d.kind IN ('onward', 'meeting', 'export') AND d.direction = 'sent'"
               " AND d.at >= :start AND d.at < :end")
    keep = " WHERE (:partner IS NULL OR f.to_agency = :partner OR f.of_partner)"
    rows = vault.db.query(
        "SELECT f.to_agency, count(*) AS sent, sum(f.kind = 'onward') AS onward,"
        " sum(f.kind = 'onward' AND f.lawful_bases = '[]') AS no_basis, sum(f.kind = 'meeting') AS meeting,"
        " sum(f.needed) AS needed, sum(f.needed AND f.consent_grants != '[]') AS granted,"
        " sum(f.needed AND f.consent_grants = '[]') AS without"
        f" FROM ({flagged}) f{keep} GROUP BY f.to_agency", params)
    counts = [OnwardCounts(r["to_agency"], r["sent"], r["onward"] or 0, r["no_basis"] or 0, r["meeting"] or 0,
                           r["needed"] or 0, r["granted"] or 0, r["without"] or 0) for r in rows]
    without = []
    if any(c.without_consent for c in counts):
        without = [dict(r) for r in vault.db.query(
            "SELECT f.kind, f.to_agency, f.at, q.reference FROM (" + flagged + ") f LEFT JOIN requests q"
            " ON q.id = f.request_id" + keep + " AND f.needed AND f.consent_grants = '[]' ORDER BY f.at, f.seq"
            " LIMIT :limit", {**params, "limit": int(list_limit)})]
    return counts, without


_COUNTERPARTY = "CASE WHEN q.direction = 'made' THEN q.originator ELSE q.asking_agency END"


def consent_section(scope):
    """Consents asked and answered in the period, both ways (6.2, 6.3, 7.3): asked of partners by
    this desk, and asked of this desk by partners; grants (and those for part of what was asked),
    refusals and withdrawals by the day they were decided; those asked in the period still
    awaiting an answer, and past the date they were needed by. Partner: the other desk."""
    from app.compliance import Section

    where, params = scope.partner_clause(_COUNTERPARTY)
    db = scope.vault.db
    table: dict[tuple[str, str], dict] = {}

    def entry(direction: str, partner: str) -> dict:
        return table.setdefault((partner, direction), {"asked": 0, "granted": 0, "part": 0, "refused": 0,
                                                      "withdrawn": 0, "awaiting": 0, "late": 0})

    answered = ("EXISTS (SELECT 1 FROM consent_answers a WHERE a.consent_request_id = q.id"
                " AND a.decision IN ('granted', 'refused'))")
    for r in db.query(
            f"SELECT q.direction, {_COUNTERPARTY} AS partner, count(*) AS asked, sum(NOT {answered}) AS awaiting,"
            f" sum(NOT {answered} AND q.needed_by IS NOT NULL AND q.needed_by < ?) AS late"
            " FROM consent_requests q WHERE q.asked_at >= ? AND q.asked_at < ?" + where + " GROUP BY 1, 2",
            (scope.today.isoformat(), scope.start_utc, scope.end_utc) + params):
        e = entry(r["direction"], r["partner"])
        e.update(asked=r["asked"], awaiting=r["awaiting"] or 0, late=r["late"] or 0)
    for r in db.query(
            f"SELECT q.direction, {_COUNTERPARTY} AS partner, sum(a.decision = 'granted') AS granted,"
            " sum(a.decision = 'granted' AND json_array_length(a.items) < json_array_length(q.items)) AS part,"
            " sum(a.decision = 'refused') AS refused, sum(a.decision = 'withdrawn') AS withdrawn"
            " FROM consent_answers a JOIN consent_requests q ON q.id = a.consent_request_id"
            " WHERE a.decided_at >= ? AND a.decided_at < ?" + where + " GROUP BY 1, 2",
            (scope.start_utc, scope.end_utc) + params):
        entry(r["direction"], r["partner"]).update(granted=r["granted"] or 0, part=r["part"] or 0,
                                                   refused=r["refused"] or 0, withdrawn=r["withdrawn"] or 0)
    agreement = load_agreement()
    order = {code: n for n, code in enumerate(agreement.partner_codes())}
    rows = []
    totals = {"made": {}, "received": {}}
    for (partner, direction), e in sorted(table.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1])):
        rows.append((agreement.partner_name(partner), "This desk" if direction == "made" else "The partner",
                     *(str(e[k]) for k in ("asked", "granted", "part", "refused", "withdrawn", "awaiting", "late"))))
        for key, value in e.items():
            totals[direction][key] = totals[direction].get(key, 0) + value
    made, received = totals["made"], totals["received"]

    def total(key: str) -> int:
        return made.get(key, 0) + received.get(key, 0)

    lines = (f"Consent requests in the period: {made.get('asked', 0)} made by this desk to partners, "
             f"{received.get('asked', 0)} received from partners.",
             f"Decided in the period: granted {total('granted')} ({total('part')} for part of what was asked), "
             f"refused {total('refused')}, withdrawn {total('withdrawn')}.",
             f"Of those asked in the period, awaiting an answer now: {made.get('awaiting', 0)} from partners, "
             f"{received.get('awaiting', 0)} to answer here ({total('late')} past the date they were needed by).")
    return Section("consents", "Consents asked and answered", "6.2, 6.3, 7.3", lines,
                   ("Partner", "Asked by", "Asked", "Granted", "In part", "Refused", "Withdrawn", "Awaiting",
                    "Past date needed"), tuple(rows), (2.4, 1.4, 0.9, 1.2, 1.0, 1.2, 1.5, 1.4, 1.4))
