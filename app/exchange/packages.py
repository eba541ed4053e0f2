"""Sealed and signed packages between desks, and their receipts (DESIGN.md, "Desks and trust").

Standard formats only. A package file is an age v1 message (`age-encryption.org/v1`, one X25519
recipient: the recipient desk's card) whose plaintext is a ZIP archive of three members:

- `manifest.json`: format, kind (request | response | receipt | vault | sar-consult |
  sar-consult-answer), package id, created,
  the sender (agency, vault id, fingerprint and its whole card), every recipient (agency, vault
  id, fingerprint), the reference, the SHA-256 and size of the document, and the sender's audit
  chain head taken after the send's own audit event;
- `manifest.sig`: the raw Ed25519 signature of the exact bytes of manifest.json;
- `document.json`: the spocdesk/1 exchange document (for a receipt, the small receipt record).

So an independent tool opens it: `age -d -i identity.txt PKG > inner.zip`, `unzip inner.zip`,
`openssl pkeyutl -verify -pubin -inkey sender.pem -rawin -in manifest.json -sigfile manifest.sig`
(docs/exchange-format.md). Everything is built in memory; the only file written is the package
(0600, O_EXCL). Receiving checks, in order: size, decryption with this desk's keys, the archive's
shape and limits, the signature against the trusted card of the sender the manifest names, that
this desk is a recipient, the document's hash, then imports all or nothing; any refusal writes
nothing.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import struct
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from app.agreement import load_agreement
from app.errors import AuthError, InvalidInput, PackageDamaged
from app.exchange import desks
from app.exchange import keys as k
from app.exchange.columns import SUBJECT_COLS, Progress, to_json
from app.exchange.validate import MAX_FILE_BYTES, check_size, parse_document
from app.files import write_private
from app.records import new_id
from app.roles import require
from app.timeutil import utc_now_iso

PACKAGE_FORMAT = "spocdesk-package/1"
RECEIPT_FORMAT = "spocdesk-receipt/1"
KINDS = ("request", "response", "receipt", "vault", "correction-notice", "correction", "sar-consult",
         "sar-consult-answer", "consent-request", "consent-answer",
         "compliance-return")  # the last: app.reconcile
# Kinds that ask the recipient for a signed receipt (clause 7.2 corrections among them).
RECEIPTED = ("request", "response", "correction-notice", "correction")
# Subject access consultations (12.2, app.consultations): the DPM's work, without a receipt (the
# answer is the reply).
SAR_KINDS = ("sar-consult", "sar-consult-answer")
SUFFIX = ".spocpkg"
MAX_PACKAGE_BYTES = MAX_FILE_BYTES
MAX_MANIFEST_BYTES = 256 * 1024
MAX_RECIPIENTS = 50
DEFLATE_FROM = 256 * 1024
MEMBERS = ("manifest.json", "manifest.sig", "document.json")
AGE_MAGIC = b"age-encryption.org/v1\n"
SAFE_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")

# The honest states of a dispatch (DESIGN.md): what the screens show, never "sent" for a package
# that has only been made.
DISPATCH_STATES = {
    "draft": "Draft",
    "marked-sent": "Marked sent (no package made)",
    "package-made": "Package made — attach to secure e-mail",
    "delivered": "Delivered (receipt received) — awaiting acknowledgement",
    "acknowledged": "Acknowledged",
    "answered": "Answered",
}


@dataclass(frozen=True)
class MadePackage:
    agency: str
    sub_service: str
    path: Path
    package_id: str
    file_name: str
    kind: str = "request"
    email: str = ""


@dataclass(frozen=True)
class PlanItem:
    """What `send` will do for one recipient desk, for a screen to say before it happens."""

    agency: str
    agency_name: str
    sub_services: tuple[str, ...]
    kind: str
    what: str
    file_name: str
    email: str
    email_warning: str | None
    fingerprint: str | None
    problem: str | None  # why it cannot go (not trusted, revoked, suspended); None when it can


@dataclass
class Received:
    kind: str
    package_id: str
    sender_agency: str
    reference: str
    line: str
    request_id: str | None = None
    already_received_at: str | None = None
    receipt_path: Path | None = None
    summary: object | None = None
    sender_head: tuple[int, str] | None = None
    rotated: bool = False
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DispatchState:
    code: str
    words: str


def dispatch_state(dispatch) -> DispatchState:
    """The honest state of a dispatch (a row or app.requests.Dispatch) in a screen's words."""
    from app.timeutil import london_display

    get = (lambda key: dispatch[key]) if not hasattr(dispatch, "status") else (lambda key: getattr(dispatch, key, None))
    status = get("status")
    if status in ("responded", "nil-return", "declined"):
        return DispatchState("answered", {"responded": "Answered", "nil-return": "Answered: nil return",
                                          "declined": "Answered: declined"}[status])
    if status == "acknowledged":
        return DispatchState("acknowledged", "Acknowledged")
    if status == "draft":
        return DispatchState("draft", "Draft")
    if get("delivered_at"):
        return DispatchState("delivered", f"Delivered {london_display(get('delivered_at'))} — awaiting "
                                          "acknowledgement")
    if get("package_made_at"):
        return DispatchState("package-made", f"Package made {london_display(get('package_made_at'))} — attach to "
                                             "secure e-mail")
    return DispatchState("marked-sent", "Marked sent (no package made)")


# ---- sealing ------------------------------------------------------------------------------


def _recipient_entry(card: dict) -> dict:
    return {"agency": card["agency"], "vault_id": card["vault_id"], "fingerprint": desks.fingerprint(card)}



def seal(vault, *, kind: str, document: bytes, recipient_card: dict, reference: str, package_id: str,
         head) -> bytes:
    """The package bytes: the signed manifest and the document in a ZIP, encrypted with age to
    the recipient card. Pure: it writes nothing."""
    import pyrage

    card, own_fingerprint, signer = desks.own(vault)
    manifest = {
        "format": PACKAGE_FORMAT, "kind": kind, "package_id": package_id, "created": utc_now_iso(),
        "reference": reference,
        "sender": {"agency": card["agency"], "vault_id": card["vault_id"], "fingerprint": own_fingerprint,
                   "card": card},
        "recipients": [_recipient_entry(recipient_card)],
        "document": {"name": "document.json", "sha256": hashlib.sha256(document).hexdigest(), "size": len(document)},
        "sender_audit_head": {"seq": head.seq, "mac": head.mac},
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    signature = signer.sign(manifest_bytes)
    # Small documents (a request, a response, a receipt) are stored: deflating them costs more
    # than it saves; a whole vault is deflated (JSON shrinks several times).
    members = (("manifest.json", manifest_bytes), ("manifest.sig", signature), ("document.json", document))
    if len(document) <= DEFLATE_FROM:
        return pyrage.encrypt(stored_zip(members), [_recipient(recipient_card["age_recipient"])])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED if name == "document.json" else zipfile.ZIP_STORED
            info.external_attr = 0o600 << 16
            archive.writestr(info, data, compresslevel=6 if info.compress_type == zipfile.ZIP_DEFLATED else None)
    return pyrage.encrypt(buffer.getvalue(), [_recipient(recipient_card["age_recipient"])])


ZIP_DATE = (2026, 1, 1, 0, 0, 0)  # every member's fixed time: a package does not say when it was zipped


def stored_zip(members) -> bytes:
    """A ZIP archive of stored (uncompressed) members, byte for byte what `zipfile` writes for
    them on a POSIX system (a test compares the two). Written out because zipfile's per-member
    bookkeeping cost ~40 µs of a ~200 µs seal of one request (bench/packages.py, target ≤ 1.5× the
    raw encryption and signature); the format is plain PKZIP 2.0, opened by any unzip."""
    dosdate = (ZIP_DATE[0] - 1980) << 9 | ZIP_DATE[1] << 5 | ZIP_DATE[2]
    local, central, offset = [], [], 0
    for name, data in members:
        raw = name.encode("ascii")
        crc, size = zlib.crc32(data), len(data)
        header = struct.pack("<4s2B4HL2L2H", b"PK\003\004", 20, 0, 0, 0, 0, dosdate, crc, size, size, len(raw), 0)
        local += (header, raw, data)
        central.append(struct.pack("<4s4B4HL2L5H2L", b"PK\001\002", 20, 3, 20, 0, 0, 0, 0, dosdate, crc, size,
                                   size, len(raw), 0, 0, 0, 0, 0o600 << 16, offset) + raw)
        offset += len(header) + len(raw) + size
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\005\006", 0, 0, len(members), len(members), len(directory), offset, 0)
    return b"".join(local) + directory + end


@functools.lru_cache(maxsize=64)
def _recipient(age_recipient: str):
    import pyrage

    return pyrage.x25519.Recipient.from_str(age_recipient)


def _json_bytes(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _record_made(vault, *, package_id: str, kind: str, card: dict, reference: str, request_id: str | None,
                 document: bytes, head, file_name: str, receipt_for: str | None = None) -> None:
    now = utc_now_iso()
    vault.db.execute(
        "INSERT INTO packages (package_id, direction, kind, sender_agency, sender_vault_id, recipients, reference,"
        " request_id, doc_sha256, sender_head_seq, sender_head_mac, file_name, created, made_at, receipt_state,"
        " receipt_for) VALUES (?, 'made', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (package_id, kind, vault.agency, vault.vault_id, json.dumps([_recipient_entry(card)]), reference, request_id,
         hashlib.sha256(document).hexdigest(), head.seq, head.mac, file_name, now, now,
         "awaiting" if kind in RECEIPTED else "none", receipt_for))


def _trusted_card(vault, agency: str) -> dict:
    """The trusted card of `agency`'s desk, or a one-line refusal saying why not."""
    names = load_agreement()
    if agency not in names.partner_codes():
        raise InvalidInput(f"Unknown agency {agency!r}; choose one of: {', '.join(names.partner_codes())}.")
    if agency == vault.agency:
        raise InvalidInput(f"{agency} is this desk's own agency; send to other partners.")
    row = desks.trusted_partner(vault, agency)
    if row is None:
        revoked = vault.db.one("SELECT revoked_at FROM partner_desks WHERE agency = ? AND revoked_at IS NOT NULL"
                               " ORDER BY seq DESC LIMIT 1", (agency,))
        if revoked is not None:
            raise InvalidInput(f"Cannot send to {names.partner(agency).name}: its desk card was revoked on "
                               f"{revoked['revoked_at'][:10]}; trust its new card after a telephone check first.")
        raise InvalidInput(f"Cannot send to {names.partner(agency).name}: this desk does not trust its desk card yet; "
                           "trust it after a telephone check first (spocdesk keys VAULT trust).")
    from app import disclosures
    from app.outages import TELEPHONE, current

    disclosures.refuse_if_suspended(vault, agency)
    outage = current(vault, agency)
    if outage is not None and outage.fallback == TELEPHONE:
        raise InvalidInput(f"Until the repair of {names.partner(agency).name}'s {outage.channel_name} is recorded, "
                           "the alternative exchange is the telephone (10.2): give the information by telephone, log "
                           "the call, and mark the request sent by telephone; no package is made.")
    return json.loads(row["card"])


def _email_for(vault, agency: str, subs) -> tuple[str, str | None]:
    from app.contacts import email_warning, list_contacts

    found = [c for c in list_contacts(vault, agency) if c.email]
    preferred = [c for c in found if c.sub_service in subs] or found
    if not preferred:
        return "", None
    return preferred[0].email, email_warning(preferred[0].email, preferred[0].channel)


def _parse_ref(vault, ref: str):
    """(request row, answering agency or None) for 'MSR-2026-0001' or 'MSR-2026-0001/DWP'."""
    from app.requests import _resolve

    reference, _, answering = str(ref or "").strip().partition("/")
    if not reference:
        raise InvalidInput("Name the request to send, like MSR-2026-0001 (or MSR-2026-0001/DWP for a response).")
    row = vault.db.one("SELECT * FROM requests WHERE id = ?", (_resolve(vault, reference),))
    if not SAFE_REFERENCE.match(row["reference"]):
        raise InvalidInput(f"{row['reference']!r} cannot name a file; nothing was sent.")
    if answering:
        answering = answering.partition("/")[0].strip().upper()  # MSR-2026-0001/DCC/ASC: this desk is DCC
        if answering != vault.agency and row["origin_agency"] == vault.agency \
                and answering in load_agreement().partner_codes():
            return row, answering  # a partner's answer to this desk's request, passed on (section 6)
        if answering != vault.agency:
            raise InvalidInput(f"{ref}: this desk is {vault.agency}; it can send only its own response "
                               f"({row['reference']}/{vault.agency}).")
        if row["origin_agency"] == vault.agency:
            raise InvalidInput(f"{row['reference']} is this desk's own request; send the request itself.")
        return row, answering
    if row["origin_agency"] != vault.agency:
        raise InvalidInput(f"{row['reference']} came from {row['origin_agency']}; send this desk's response to it as "
                           f"{row['reference']}/{vault.agency}.")
    return row, None


def _file_name(reference: str, kind: str, sender: str, agency: str, package_id: str = "") -> str:
    """From the reference and agencies only, never personal data (a receipt adds the start of its
    own package id: one desk writes many receipts for one reference into one folder)."""
    if kind == "request":
        return f"{reference}_to_{agency}{SUFFIX}"
    if kind == "response":
        return f"{reference}_{sender}_response_to_{agency}{SUFFIX}"
    if kind == "receipt":
        return f"{reference}_receipt_{sender}_to_{agency}_{package_id[:8]}{SUFFIX}"
    if kind in ("correction-notice", "correction"):
        return f"{reference}_{kind}_{sender}_to_{agency}{SUFFIX}"
    return f"vault_{sender}{SUFFIX}"


def _recipients(row, answering, to, here: str = "") -> list[str]:
    if isinstance(to, str):
        to = [to]
    codes = [c.strip() for item in (to or []) for c in str(item).split(",") if c.strip()]
    if answering and answering != here:
        if not codes:
            raise InvalidInput(f"Choose the agencies to pass {answering}'s answer to (--to CODE[,CODE...]).")
        if answering in codes:
            raise InvalidInput(f"{answering}'s answer came from {answering}; it need not be sent back to them.")
        return list(dict.fromkeys(codes))
    if answering:
        codes = codes or [row["origin_agency"]]
        for code in codes:
            if code != row["origin_agency"]:
                raise InvalidInput(f"A response to {row['reference']} goes back to the requesting desk "
                                   f"({row['origin_agency']}), not {code}.")
    if not codes:
        raise InvalidInput("Choose the agencies to send to (--to CODE[,CODE...]).")
    return list(dict.fromkeys(codes))


def _consent_items(vault, row, answering) -> list[str]:
    """What a package of `row` carries, as items for the section 6 check."""
    from app.consent import items_of_request

    return items_of_request(vault, row["id"], responses_of=answering)


def _consent_for(vault, row, answering, agency: str, purpose: str | None):
    """The section 6 decision for sending `row` (and `answering`'s responses) to `agency`."""
    from app.consent import check_disclosure, default_purpose

    return check_disclosure(vault, _consent_items(vault, row, answering), agency,
                            purpose or default_purpose(vault, row["id"]))


def send_plan(vault, ref: str, to, *, purpose: str | None = None) -> list[PlanItem]:
    """Per recipient desk: what will go, to which secure e-mail, and whether it can go at all."""
    require(vault.role, "export.request", "send requests and responses")
    row, answering = _parse_ref(vault, ref)
    names = load_agreement()
    out = []
    subjects = vault.db.scalar("SELECT count(*) FROM request_subjects WHERE request_id = ?", (row["id"],))
    for agency in _recipients(row, answering, to, vault.agency):
        problem, fp = None, None
        try:
            fp = desks.fingerprint(_trusted_card(vault, agency))
            decision = _consent_for(vault, row, answering, agency, purpose)
            if not decision.allowed:
                problem = decision.message
        except InvalidInput as exc:
            problem = str(exc)
        subs = tuple(r["sub_service"] for r in vault.db.query(
            "SELECT sub_service FROM dispatches WHERE request_id = ? AND agency = ? ORDER BY sub_service",
            (row["id"], agency)))
        kind = "response" if answering else "request"
        what = (f"{answering}'s answer to {row['reference']}, passed on with the request (section 6)"
                if answering and answering != vault.agency else
                f"{vault.agency}'s response to {row['reference']}, with the request" if answering else
                f"Request {row['reference']} with {subjects} subject{'s' if subjects != 1 else ''} and "
                f"{agency}'s dispatch only")
        email, warning = _email_for(vault, agency, subs) if agency in names.partner_codes() else ("", None)
        out.append(PlanItem(agency, names.partner(agency).name if agency in names.partner_codes() else agency,
                            subs, kind, what, _file_name(row["reference"], kind, answering or vault.agency, agency),
                            email,
                            warning, fp, problem))
    return out


def send(vault, ref: str, to, out_dir, progress: Progress | None = None, *,
         purpose: str | None = None) -> list[MadePackage]:
    """Make one sealed package per recipient desk, each carrying only that desk's dispatch, the
    request and its subjects (a response package: the request and this desk's response). Records
    the disclosure and marks each dispatch "package made" (never "sent" or "delivered")."""
    require(vault.role, "export.request", "send requests and responses")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InvalidInput(f"The folder {out_dir} does not exist; nothing was made.")
    row, answering = _parse_ref(vault, ref)
    recipients = _recipients(row, answering, to, vault.agency)
    cards = {agency: _trusted_card(vault, agency) for agency in recipients}
    from app.consent import ConsentNeeded

    decisions = {}
    for agency in recipients:  # sections 6.2-6.3: every recipient, before anything is written
        decisions[agency] = _consent_for(vault, row, answering, agency, purpose)
        if not decisions[agency].allowed:
            vault.audit("consent.refused_disclosure", record_type="consent", record_id=agency,
                        reason=f"send {row['reference']} needs " + ",".join(n.originator
                                                                          for n in decisions[agency].needs))
            raise ConsentNeeded(decisions[agency])
    kind = "response" if answering else "request"
    for agency in recipients:
        path = out_dir / _file_name(row["reference"], kind, answering or vault.agency, agency)
        if path.exists():
            raise InvalidInput(f"{path} already exists; choose another folder (nothing was made).")
    if answering and answering != vault.agency:
        prepare = _prepare_forward(vault, row, answering, decisions)
    elif answering:
        prepare = _prepare_response(vault, row)
    else:
        prepare = _prepare_request(vault, row, recipients, decisions)
    made: list[MadePackage] = []
    written: list[Path] = []
    try:
        with vault.db.transaction():
            for n, agency in enumerate(recipients):
                package_id = str(uuid.uuid4())
                subs, doc_for = prepare(agency, package_id)
                vault.audit("package.made", record_type="package", record_id=package_id,
                            reason=f"{kind} {row['reference']} to {agency}")
                head = vault.chain_head()
                document = _json_bytes(doc_for(head))
                data = seal(vault, kind=kind, document=document, recipient_card=cards[agency],
                            reference=row["reference"], package_id=package_id, head=head)
                name = _file_name(row["reference"], kind, answering or vault.agency, agency)
                _record_made(vault, package_id=package_id, kind=kind, card=cards[agency], reference=row["reference"],
                             request_id=row["id"], document=document, head=head, file_name=name)
                write_private(out_dir / name, data)
                written.append(out_dir / name)
                email, _ = _email_for(vault, agency, subs)
                made.append(MadePackage(agency, ",".join(s for s in subs if s), out_dir / name, package_id, name,
                                        kind, email))
                if progress:
                    progress(n + 1, len(recipients))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return made


def _request_subjects(vault, request_id: str) -> list[dict]:
    return [to_json(r, SUBJECT_COLS) for r in vault.db.query(
        "SELECT s.* FROM subjects s JOIN request_subjects rs ON rs.subject_id = s.id WHERE rs.request_id = ?"
        " ORDER BY s.seq", (request_id,))]


def _prepare_request(vault, row, recipients, decisions=None):
    """Checks before anything is written; then, per recipient, the dispatch updates, the
    register row and the document (only that desk's dispatch)."""
    from app import disclosures
    from app.exchange.export import _envelope, _request_json
    from app.requests import _load, problems_for_sending
    from app.records import raise_if
    from app.policy import get_policy
    from app.records import today_london
    import datetime as _dt

    request = _load(vault, row["id"])
    if request.status == "closed":
        raise InvalidInput(f"{request.reference} is closed; nothing was sent.")
    raise_if(problems_for_sending(request), f"{request.reference} cannot be sent yet")
    subjects = _request_subjects(vault, row["id"])
    subject_ids = [s["id"] for s in subjects]

    def for_agency(agency: str, package_id: str):
        now = utc_now_iso()
        due = (today_london() + _dt.timedelta(days=get_policy(vault).response_due_days)).isoformat()
        dispatches = vault.db.query("SELECT * FROM dispatches WHERE request_id = ? AND agency = ?", (row["id"], agency))
        if not dispatches:
            vault.db.execute(
                "INSERT INTO dispatches (id, request_id, agency, sub_service, status, created_at, created_by,"
                " updated_at, updated_by) VALUES (?, ?, ?, '', 'draft', ?, ?, ?, ?)",
                (new_id(), row["id"], agency, now, vault.actor, now, vault.actor))
            dispatches = vault.db.query("SELECT * FROM dispatches WHERE request_id = ? AND agency = ?",
                                        (row["id"], agency))
        for d in dispatches:
            if d["status"] == "draft":
                vault.db.execute("UPDATE dispatches SET status = 'sent', sent_at = ?, due_date = coalesce(due_date, ?),"
                                 " updated_at = ?, updated_by = ? WHERE id = ?", (now, due, now, vault.actor, d["id"]))
            vault.db.execute("UPDATE dispatches SET package_made_at = ?, package_id = ?, delivered_at = NULL"
                             " WHERE id = ?", (now, package_id, d["id"]))
            vault.audit("dispatch.package_made", record_type="dispatch", record_id=d["id"], reason=package_id)
        vault.db.execute("UPDATE requests SET status = 'open', updated_at = ?, updated_by = ?"
                         " WHERE id = ? AND status = 'draft'", (now, vault.actor, row["id"]))
        from app.outages import channel_for

        channel, outage = channel_for(vault, agency)   # 10.2: the alternative while equipment is down
        for d in dispatches:
            vault.db.execute("UPDATE dispatches SET channel = ?, outage_id = ? WHERE id = ?",
                             (channel, outage.id if outage is not None else None, d["id"]))
        disclosures.record(vault, kind="request", direction="sent", from_agency=vault.agency, to_agency=agency,
                           request_id=row["id"], subject_ids=subject_ids,
                           what=f"Sealed package of personal data request {row['reference']}"
                           + (f" ({outage.words()})" if outage is not None else ""),
                           channel=channel, originator=row["origin_agency"],
                           items=decisions[agency].items if decisions else (),
                           consent_grants=decisions[agency].grants if decisions else ())
        subs = [d["sub_service"] for d in dispatches]

        def document(head) -> dict:
            fresh = vault.db.one("SELECT * FROM requests WHERE id = ?", (row["id"],))
            data = _request_json(vault, fresh, responses_from=vault.agency)
            data["dispatches"] = [dict(d, responses=[]) for d in data["dispatches"] if d["agency"] == agency]
            doc = _envelope(vault, "request")
            doc["requests"] = [data]
            doc["subjects"] = subjects
            doc["audit_chain_head"] = {"seq": head.seq, "mac": head.mac}
            return doc

        return subs, document

    return for_agency


def _prepare_response(vault, row):
    from app import disclosures
    from app.exchange.export import _envelope, _request_json
    from app.responses import _channel_for, mark_response_sent

    require(vault.role, "responses.write", "send responses")
    mine = vault.db.query(
        "SELECT r.id, r.status, r.kind, r.lawful_bases FROM responses r JOIN dispatches d ON d.id = r.dispatch_id"
        " WHERE d.request_id = ? AND r.origin_agency = ? ORDER BY r.seq DESC", (row["id"], vault.agency))
    if not mine:
        raise InvalidInput(f"This desk has no response to {row['reference']} yet; record it first.")
    latest = mine[0]
    subjects = _request_subjects(vault, row["id"])

    def for_agency(agency: str, package_id: str):
        now = utc_now_iso()
        if latest["status"] == "draft":
            mark_response_sent(vault, latest["id"])  # checks it and records the disclosure
        else:
            from app.records import loads

            disclosures.record(vault, kind="response", direction="sent", from_agency=vault.agency, to_agency=agency,
                               request_id=row["id"], response_id=latest["id"],
                               subject_ids=[s["id"] for s in subjects] if latest["kind"] == "disclosure" else [],
                               what=f"Sealed package of {latest['kind']} response to {row['reference']}",
                               lawful_bases=loads(latest["lawful_bases"]), channel=_channel_for(agency),
                               originator=vault.agency)
        dispatches = vault.db.query("SELECT id, sub_service FROM dispatches WHERE request_id = ? AND agency = ?",
                                    (row["id"], vault.agency))
        for d in dispatches:
            vault.db.execute("UPDATE dispatches SET package_made_at = ?, package_id = ?, delivered_at = NULL"
                             " WHERE id = ?", (now, package_id, d["id"]))

        def document(head) -> dict:
            fresh = vault.db.one("SELECT * FROM requests WHERE id = ?", (row["id"],))
            data = _request_json(vault, fresh, responses_from=vault.agency)
            data["dispatches"] = [d for d in data["dispatches"] if d["agency"] == vault.agency]
            doc = _envelope(vault, "request")
            doc["requests"] = [data]
            doc["subjects"] = subjects
            doc["audit_chain_head"] = {"seq": head.seq, "mac": head.mac}
            return doc

        return [d["sub_service"] for d in dispatches], document

    return for_agency


def _prepare_forward(vault, row, answering: str, decisions: dict):
    """A partner's answer to this desk's request passed on to a third party, with the written
    consent `decisions` found (section 6): the request, its subjects and `answering`'s dispatches
    with their responses; the register row cites the grants."""
    from app import disclosures
    from app.exchange.export import _envelope, _request_json
    from app.records import loads

    answers = vault.db.query(
        "SELECT r.id, r.lawful_bases FROM responses r JOIN dispatches d ON d.id = r.dispatch_id"
        " WHERE d.request_id = ? AND r.origin_agency = ? AND r.status != 'draft'", (row["id"], answering))
    if not answers:
        raise InvalidInput(f"This desk holds no answer from {answering} to {row['reference']}; nothing was made.")
    subjects = _request_subjects(vault, row["id"])

    def for_agency(agency: str, package_id: str):
        decision = decisions[agency]
        disclosures.record(vault, kind="onward", direction="sent", from_agency=vault.agency, to_agency=agency,
                           request_id=row["id"], response_id=answers[0]["id"], subject_ids=[s["id"] for s in subjects],
                           what=f"Sealed package passing on {answering}'s answer to {row['reference']}",
                           lawful_bases=sorted({b for a in answers for b in loads(a["lawful_bases"])}),
                           channel="package", originator=answering, items=decision.items,
                           consent_grants=decision.grants)

        def document(head) -> dict:
            fresh = vault.db.one("SELECT * FROM requests WHERE id = ?", (row["id"],))
            data = _request_json(vault, fresh, responses_from=answering)
            data["dispatches"] = [d for d in data["dispatches"] if d["agency"] == answering]
            for d in data["dispatches"]:
                for r in d["responses"]:
                    r["status"], r["received_at"] = "sent", None  # as its originator sent it
            doc = _envelope(vault, "request")
            doc["requests"] = [data]
            doc["subjects"] = subjects
            doc["audit_chain_head"] = {"seq": head.seq, "mac": head.mac}
            return doc

        return [], document

    return for_agency


# ---- whole-vault moves ----------------------------------------------------------------------


def export_sealed(vault, card: dict, out: Path, progress: Progress | None = None) -> MadePackage:
    """The whole vault (administrator) sealed to the new vault's card, signed by this desk."""
    from app.exchange.export import export_vault

    require(vault.role, "export.all", "export the whole vault")
    card = desks.check_card(card)
    if card["agency"] != vault.agency:
        raise InvalidInput(f"That card is {card['agency']}'s; a whole vault moves only to a new desk of the same "
                           f"agency ({vault.agency}).")
    if card["vault_id"] == vault.vault_id:
        raise InvalidInput("That card is this vault's own; use the card of the new, empty vault.")
    # Section 6.3: a whole vault moves only to a new vault of this same agency (checked above), so
    # no third party receives anything and app.consent has nothing to decide.
    out = Path(out)
    if out.exists():
        raise InvalidInput(f"{out} already exists; choose a new file name (nothing was written).")
    package_id = str(uuid.uuid4())
    try:
        with vault.db.transaction():
            doc = export_vault(vault, progress)
            vault.audit("export.vault.sealed", record_type="package", record_id=package_id, reason=card["vault_id"])
            head = vault.chain_head()
            doc["audit_chain_head"] = {"seq": head.seq, "mac": head.mac}
            document = _json_bytes(doc)
            del doc
            data = seal(vault, kind="vault", document=document, recipient_card=card, reference="vault",
                        package_id=package_id, head=head)
            _record_made(vault, package_id=package_id, kind="vault", card=card, reference="vault", request_id=None,
                         document=document, head=head, file_name=out.name)
            write_private(out, data)
    except BaseException:
        if out.exists() and vault.db.one("SELECT 1 FROM packages WHERE package_id = ?", (package_id,)) is None:
            out.unlink(missing_ok=True)
        raise
    return MadePackage(vault.agency, "", out, package_id, out.name, "vault")


def export_unencrypted(vault, out: Path, progress: Progress | None = None) -> dict:
    """An unencrypted whole-vault file: the administrator's explicit choice, audited with its own
    event (listed by `unencrypted_exports` on the DPM's home screen)."""
    from app.exchange.export import export_vault

    require(vault.role, "export.all", "export the whole vault")
    out = Path(out)
    if out.exists():
        raise InvalidInput(f"{out} already exists; choose a new file name (nothing was written).")
    with vault.db.transaction():
        doc = export_vault(vault, progress)
        vault.audit("export.vault.unencrypted", record_type="vault", record_id=vault.vault_id,
                    reason=f"{len(doc['requests'])} requests")
        head = vault.chain_head()
        doc["audit_chain_head"] = {"seq": head.seq, "mac": head.mac}
        write_private(out, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))
    return doc


def unencrypted_exports(vault) -> list[dict]:
    """Every unencrypted whole-vault export made from this vault: when, by whom, audit seq."""
    rows = vault.db.query("SELECT seq, at, actor, record_id, reason FROM audit_events"
                          " WHERE action = 'export.vault.unencrypted' ORDER BY seq DESC")
    return [{"seq": r["seq"], "at": r["at"], "by": r["actor"], "vault_id": r["record_id"], "what": r["reason"]}
            for r in rows]


def packages(vault, *, request_id: str | None = None) -> list[dict]:
    """Packages made and received, newest first (with the sender audit heads held): ids,
    kinds, agencies, references and times only, so the administrator may see them too."""
    if vault.role != "admin":
        require(vault.role, "requests.read", "see packages")
    rows = vault.db.query("SELECT * FROM packages WHERE (? IS NULL OR request_id = ?) ORDER BY seq DESC",
                          (request_id, request_id))
    return [{key: r[key] for key in r.keys()} for r in rows]


def held_heads(vault) -> list[dict]:
    """The audit heads partners' packages carried (for the joint audit, `verify --expect`)."""
    rows = vault.db.query("SELECT sender_agency, sender_vault_id, sender_head_seq, sender_head_mac, received_at"
                          " FROM packages WHERE direction = 'received' ORDER BY seq")
    return [{"agency": r["sender_agency"], "vault_id": r["sender_vault_id"],
             "head": f"{r['sender_head_seq']}:{r['sender_head_mac']}", "received_at": r["received_at"]} for r in rows]


# ---- opening ------------------------------------------------------------------------------


@dataclass
class _Opened:
    manifest: dict
    manifest_bytes: bytes
    signature: bytes
    document: bytes


def _decrypt(vault, data: bytes, name: str) -> bytes:
    import pyrage

    if not data.startswith(AGE_MAGIC[:4]):
        if data.lstrip()[:1] == b"{":
            raise InvalidInput(f"{name} is a bare exchange file, not a sealed package; requests and responses are "
                               "accepted only as packages from trusted desks (nothing was changed).")
        raise InvalidInput(f"{name} is not a SPOC Desk package (not an age-encrypted file); nothing was changed.")
    try:
        return pyrage.decrypt(data, desks.identities(vault))
    except pyrage.DecryptError as exc:
        if "no matching keys" in str(exc).lower():
            raise InvalidInput(f"{name} was not sealed for this desk's keys (it is for another desk, or its header "
                               "was damaged); nothing was changed.") from None
        raise PackageDamaged(f"{name} is damaged or has been altered (its encryption does not check out); "
                             "nothing was changed.") from None


def _unzip(plain: bytes, name: str) -> _Opened:
    def damaged(problem: str) -> PackageDamaged:
        return PackageDamaged(f"{name} is damaged or was altered: {problem}; nothing was changed.")

    try:
        archive = zipfile.ZipFile(io.BytesIO(plain))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise damaged("its contents are not a package archive") from None
    names = [i.filename for i in infos]
    if len(infos) != len(MEMBERS) or sorted(names) != sorted(MEMBERS):
        raise damaged(f"it must hold exactly {', '.join(MEMBERS)}")
    sizes = {i.filename: i.file_size for i in infos}
    if sizes["manifest.json"] > MAX_MANIFEST_BYTES or sizes["manifest.sig"] != 64:
        raise damaged("its manifest or signature has the wrong size")
    check_size(sizes["document.json"], f"{name}'s document")

    def read(member: str, limit: int) -> bytes:
        try:
            with archive.open(member) as handle:
                data = handle.read(limit + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError):
            raise damaged(f"{member} cannot be read") from None
        if len(data) > limit:
            raise damaged(f"{member} is larger than it says")
        return data

    manifest_bytes = read("manifest.json", sizes["manifest.json"])
    signature = read("manifest.sig", 64)
    document = read("document.json", sizes["document.json"])
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise damaged("its manifest is not JSON") from None
    return _Opened(manifest, manifest_bytes, signature, document)


def _check_manifest(manifest, name: str) -> dict:
    def bad(problem: str) -> InvalidInput:
        return InvalidInput(f"{name} is not a valid package: its manifest {problem}; nothing was changed.")

    fields = {"format", "kind", "package_id", "created", "reference", "sender", "recipients", "document",
              "sender_audit_head"}
    if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
        raise bad(f"is not {PACKAGE_FORMAT!r}")
    if set(manifest) != fields:
        raise bad("has missing or unknown fields")
    if manifest["kind"] not in KINDS:
        raise bad(f"names an unknown kind {manifest['kind']!r}")
    if not isinstance(manifest["package_id"], str) or not UUID.match(manifest["package_id"]):
        raise bad("has no valid package id")
    if not isinstance(manifest["reference"], str) or len(manifest["reference"]) > 40:
        raise bad("has no valid reference")
    sender = manifest["sender"]
    if not isinstance(sender, dict) or set(sender) != {"agency", "vault_id", "fingerprint", "card"}:
        raise bad("does not name its sender")
    recipients = manifest["recipients"]
    if not isinstance(recipients, list) or not 1 <= len(recipients) <= MAX_RECIPIENTS or not all(
            isinstance(r, dict) and set(r) == {"agency", "vault_id", "fingerprint"} for r in recipients):
        raise bad("does not name its recipients")
    document = manifest["document"]
    if not isinstance(document, dict) or not isinstance(document.get("sha256"), str) \
            or not HEX64.match(document["sha256"]):
        raise bad("does not name its document's hash")
    head = manifest["sender_audit_head"]
    if not isinstance(head, dict) or not isinstance(head.get("seq"), int) or not isinstance(head.get("mac"), str) \
            or not HEX64.match(head["mac"]):
        raise bad("does not carry the sender's audit head")
    return manifest


def _sender_key(vault, manifest: dict, name: str) -> tuple[str, dict | None]:
    """The signing key to check the manifest with, and a rotated card to accept (or None).
    Unknown, untrusted or revoked senders are refused (exit 4)."""
    sender = manifest["sender"]
    names = load_agreement()
    card = desks.check_card(sender["card"], f"{name}'s sender card")
    if desks.fingerprint(card) != sender["fingerprint"] or card["agency"] != sender["agency"] \
            or card["vault_id"] != sender["vault_id"]:
        raise PackageDamaged(f"{name} is damaged or was altered: its sender does not match its card; "
                             "nothing was changed.")
    who = names.partner(card["agency"]).name
    if manifest["kind"] == "vault":
        if card["agency"] != vault.agency:
            raise InvalidInput(f"{name} is a whole vault of {who}; it can go only into a vault of that agency.")
        return card["signing_key"], None
    row = desks.partner_by_fingerprint(vault, sender["fingerprint"])
    if row is not None:
        if row["revoked_at"]:
            raise InvalidInput(f"{name} is signed by a key of {who} that this desk revoked on "
                               f"{row['revoked_at'][:10]}; it was refused and nothing was changed.")
        return row["signing_key"], None
    if desks.rotated_card_from(vault, card) is not None:
        return card["signing_key"], card
    if card["agency"] == vault.agency:
        raise InvalidInput(f"{name} is signed by a desk of this desk's own agency, not by a partner desk; "
                           "nothing was changed.")
    raise InvalidInput(f"{name} is signed by a desk this desk does not trust ({who}, fingerprint "
                       f"{sender['fingerprint']}): trust its card after a telephone check first; nothing was changed.")


def open_package(vault, path, *, progress: Progress | None = None):
    """Read, decrypt, unpack and verify a package without writing anything: (manifest, document
    bytes, rotated card or None). Refusals: InvalidInput (4) or PackageDamaged (5)."""
    path = Path(path)
    name = path.name
    try:
        if path.is_dir():
            raise InvalidInput(f"{path} is a folder, not a package.")
        check_size(path.stat().st_size, name, MAX_PACKAGE_BYTES)
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"There is no file {path}.") from None
    plain = _decrypt(vault, data, name)
    del data
    if progress:
        progress(1, 4)
    opened = _unzip(plain, name)
    del plain
    manifest = _check_manifest(opened.manifest, name)
    key, rotated = _sender_key(vault, manifest, name)
    if not k.verify(key, opened.signature, opened.manifest_bytes):
        raise PackageDamaged(f"{name} has been altered or forged: its signature does not match the sender's key; "
                             "nothing was changed.")
    own = {desks.fingerprint(desks._card_from_row(vault, r)) for r in desks._key_rows(vault)}
    if not any(r["agency"] == vault.agency and r["vault_id"] == vault.vault_id and r["fingerprint"] in own
               for r in manifest["recipients"]):
        to = ", ".join(sorted({r["agency"] for r in manifest["recipients"]}))
        raise InvalidInput(f"{name} is addressed to {to}'s desk, not to this one; nothing was changed.")
    if hashlib.sha256(opened.document).hexdigest() != manifest["document"]["sha256"]:
        raise PackageDamaged(f"{name} has been altered: its document does not match the signed hash; "
                             "nothing was changed.")
    if progress:
        progress(2, 4)
    return manifest, opened.document, rotated


def receive(vault, path, receipt_out=None, progress: Progress | None = None, *,
            kinds: tuple[str, ...] = KINDS) -> Received:
    """Verify, open and import a package all or nothing; write a signed receipt for the sender
    (into `receipt_out`, or beside the package). A receipt package marks the dispatch delivered.
    A package already received changes nothing and says when it was received. `kinds` limits
    what is accepted (checked before anything is written)."""
    from app.roles import can

    if not can(vault.role, "info_requests.manage"):  # the DPM receives subject access consultations
        require(vault.role, "import", "receive packages")
    path = Path(path)
    manifest, document, rotated = open_package(vault, path, progress=progress)
    if manifest["kind"] not in kinds or manifest["kind"] == "compliance-return":
        if manifest["kind"] == "compliance-return":  # issue 20: the DPM imports it (app.reconcile)
            raise InvalidInput(f"{path.name} is a compliance return: import it under Governance (or "
                               "`spocdesk compliance VAULT import FILE`); nothing was changed.")
        raise InvalidInput(f"{path.name} is a {manifest['kind']} package; this takes "
                           f"{' or '.join(kinds)} packages only (nothing was changed).")
    if manifest["kind"] in SAR_KINDS:
        require(vault.role, "info_requests.manage", "receive subject access consultations")
    elif manifest["kind"] == "vault":
        require(vault.role, "import", "receive packages")
        require(vault.role, "export.all", "import a whole vault")
    else:
        require(vault.role, "import", "receive packages")
        require(vault.role, "requests.write", "receive request and response packages")
    if manifest["kind"] in ("consent-request", "consent-answer"):
        from app import consent  # sections 6.2, 6.3, 7.3: recorded by the consent module

        return consent.receive_package(vault, manifest, document, path.name)
    # The document's bytes are handed on in a list the parser empties, so they are freed as soon
    # as they are decoded (a whole vault's document is large).
    holder = [document]
    del document
    names = load_agreement()
    sender = manifest["sender"]["agency"]
    who = names.partner(sender).name
    package_id = manifest["package_id"]
    held = vault.db.one("SELECT * FROM packages WHERE package_id = ?", (package_id,))
    if held is not None:
        from app.timeutil import london_display

        when = held["received_at"] or held["made_at"]
        return Received(manifest["kind"], package_id, sender, manifest["reference"],
                        f"Already received on {london_display(when)}: {manifest['kind']} {manifest['reference']} from "
                        f"{who}; nothing was changed.", request_id=held["request_id"], already_received_at=when)
    kind = manifest["kind"]
    receipt_dir = Path(receipt_out) if receipt_out is not None else path.parent
    if kind in RECEIPTED and not receipt_dir.is_dir():
        raise InvalidInput(f"The folder {receipt_dir} for the receipt does not exist; nothing was changed.")
    written: list[Path] = []
    try:
        with vault.db.transaction():
            if rotated is not None:
                desks.accept_rotation(vault, rotated)
            if kind == "receipt":
                result = _receive_receipt(vault, manifest, holder.pop(), path.name)
            elif kind == "vault":
                result = _receive_vault(vault, manifest, holder, path.name, progress)
            elif kind in ("correction-notice", "correction"):
                from app import corrections

                result = corrections.receive_package(vault, manifest, holder.pop(), path.name)
            elif kind in SAR_KINDS:
                from app import consultations

                receive_sar = consultations.receive_question if kind == "sar-consult" else consultations.receive_answer
                result = receive_sar(vault, manifest, holder.pop(), path.name)
            else:
                result = _receive_exchange(vault, manifest, holder, path.name, progress)
            result.rotated = rotated is not None
            now = utc_now_iso()
            vault.db.execute(
                "INSERT INTO packages (package_id, direction, kind, sender_agency, sender_vault_id, recipients,"
                " reference, request_id, doc_sha256, sender_head_seq, sender_head_mac, file_name, created,"
                " received_at, receipt_state) VALUES (?, 'received', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (package_id, kind, sender, manifest["sender"]["vault_id"], json.dumps(manifest["recipients"]),
                 manifest["reference"], result.request_id, manifest["document"]["sha256"],
                 manifest["sender_audit_head"]["seq"], manifest["sender_audit_head"]["mac"], path.name,
                 manifest["created"], now, "none"))
            vault.audit("package.received", record_type="package", record_id=package_id,
                        reason=f"{kind} from {sender}")
            result.sender_head = (manifest["sender_audit_head"]["seq"], manifest["sender_audit_head"]["mac"])
            if kind in RECEIPTED:
                result.receipt_path = _write_receipt(vault, manifest, now, receipt_dir)
                written.append(result.receipt_path)
                vault.db.execute("UPDATE packages SET receipt_state = 'written', receipt_at = ? WHERE package_id = ?",
                                 (now, package_id))
    except BaseException:
        for leftover in written:
            leftover.unlink(missing_ok=True)
        raise
    if progress:
        progress(4, 4)
    return result


def _document(holder: list, name: str) -> tuple[dict, bool]:
    return parse_document(holder, f"{name}'s document")


def _receive_exchange(vault, manifest: dict, document: list, name: str, progress) -> Received:
    from app.exchange.importer import import_document
    from app.timeutil import london_display

    sender = manifest["sender"]["agency"]
    who = load_agreement().partner(sender).name
    doc, escapes = _document(document, name)
    if not isinstance(doc, dict) or doc.get("scope") != "request" or not isinstance(doc.get("requests"), list) \
            or len(doc["requests"]) != 1:
        raise InvalidInput(f"Import refused, nothing was changed: {name}: a {manifest['kind']} package carries "
                           "exactly one request.")
    request = doc["requests"][0]
    origin = request.get("origin_agency") if isinstance(request, dict) else None
    if manifest["kind"] == "request" and origin != sender:
        raise InvalidInput(f"Import refused, nothing was changed: {name}: a request package carries a request of its "
                           f"sender ({sender}), not of {origin}.")
    # A request package may carry other partners' subject details, passed on under the sender's
    # section 6 check; they keep their origin (app.exchange.importer).
    forwarded = manifest["kind"] == "request"
    if manifest["kind"] == "response" and origin == sender:
        # A partner's answer to the sender's own request, passed on with its originator's written
        # consent (section 6): it arrives held from the sender, its origin unchanged.
        answers = [r for d in request.get("dispatches") or [] if isinstance(d, dict)
                   for r in d.get("responses") or [] if isinstance(r, dict)]
        if not answers or any(r.get("origin_agency") in (sender, None) for r in answers):
            raise InvalidInput(f"Import refused, nothing was changed: {name}: a response package answers another "
                               "desk's request.")
        forwarded = True
    if isinstance(request, dict) and request.get("reference") != manifest["reference"]:
        raise InvalidInput(f"Import refused, nothing was changed: {name}: its document is not for the reference "
                           f"its manifest names ({manifest['reference']}).")
    summary = import_document(vault, doc, may_hold_surrogates=escapes, sender=sender, forwarded=forwarded)
    rid = request["id"]
    reference = request["reference"]
    if manifest["kind"] == "request":
        subjects = len(request["subjects"])
        due = vault.db.scalar("SELECT min(due_date) FROM dispatches WHERE request_id = ? AND agency = ?",
                              (rid, vault.agency))
        due_words = f", due {due[8:10]}/{due[5:7]}/{due[:4]}" if due else ""
        line = f"Request {reference} from {who}, {subjects} subject{'s' if subjects != 1 else ''}{due_words}"
    elif forwarded:
        origins = sorted({r["origin_agency"] for d in request["dispatches"] for r in d["responses"]})
        line = f"Answer of {', '.join(origins)} to {reference}, passed on by {who} with written consent"
    else:
        kinds = sorted({r["kind"] for d in request["dispatches"] for r in d["responses"]})
        line = f"Response to {reference} from {who}: {', '.join(kinds) or 'no answer'}"
    return Received(manifest["kind"], manifest["package_id"], sender, reference, line, request_id=rid,
                    summary=summary, extra={"made": london_display(manifest["created"])})


def _receive_vault(vault, manifest: dict, document: list, name: str, progress) -> Received:
    from app.exchange.importer import import_document

    if vault.role != "admin":
        raise AuthError("A whole-vault package can only be imported by an administrator.")
    doc, escapes = _document(document, name)
    if not isinstance(doc, dict) or doc.get("scope") != "vault":
        raise InvalidInput(f"Import refused, nothing was changed: {name}: a vault package carries a whole-vault file.")
    summary = import_document(vault, doc, progress, may_hold_surrogates=escapes, sender=manifest["sender"]["agency"])
    return Received("vault", manifest["package_id"], manifest["sender"]["agency"], "vault",
                    f"Whole vault of {manifest['sender']['agency']}. {summary.sentences()}", summary=summary)


def _receipt_document(manifest: dict, received_at: str, vault) -> bytes:
    return _json_bytes({"format": RECEIPT_FORMAT, "package_id": manifest["package_id"],
                        "document_sha256": manifest["document"]["sha256"], "received_at": received_at,
                        "receiver": {"agency": vault.agency, "vault_id": vault.vault_id}})


def _write_receipt(vault, manifest: dict, received_at: str, folder: Path) -> Path:
    sender = manifest["sender"]["agency"]
    card = json.loads(desks.trusted_partner(vault, sender)["card"])
    package_id = str(uuid.uuid4())
    vault.audit("package.receipt_made", record_type="package", record_id=package_id,
                reason=f"for {manifest['package_id']}")
    head = vault.chain_head()
    document = _receipt_document(manifest, received_at, vault)
    data = seal(vault, kind="receipt", document=document, recipient_card=card, reference=manifest["reference"],
                package_id=package_id, head=head)
    name = _file_name(manifest["reference"], "receipt", vault.agency, sender, package_id)
    _record_made(vault, package_id=package_id, kind="receipt", card=card, reference=manifest["reference"],
                 request_id=None, document=document, head=head, file_name=name, receipt_for=manifest["package_id"])
    path = folder / name
    write_private(path, data)
    return path


def _receive_receipt(vault, manifest: dict, document: bytes, name: str) -> Received:
    from app.timeutil import london_display

    sender = manifest["sender"]["agency"]
    try:
        receipt = json.loads(document.decode("utf-8")) if len(document) <= 64 * 1024 else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        receipt = None
    fields = {"format", "package_id", "document_sha256", "received_at", "receiver"}
    if not isinstance(receipt, dict) or set(receipt) != fields or receipt["format"] != RECEIPT_FORMAT \
            or not isinstance(receipt["package_id"], str) or not isinstance(receipt["received_at"], str):
        raise InvalidInput(f"{name} is not a valid receipt; nothing was changed.")
    made = vault.db.one("SELECT * FROM packages WHERE package_id = ? AND direction = 'made'", (receipt["package_id"],))
    if made is None or not any(r["agency"] == sender for r in json.loads(made["recipients"])):
        raise InvalidInput(f"{name} is a receipt for a package this desk did not send to {sender}; "
                           "nothing was changed.")
    if made["doc_sha256"] != receipt["document_sha256"]:
        raise InvalidInput(f"{name} is a receipt for a different document than the one sent; nothing was changed.")
    at = receipt["received_at"]
    vault.db.execute("UPDATE packages SET receipt_state = 'received', receipt_at = ? WHERE package_id = ?",
                     (at, made["package_id"]))
    vault.db.execute("UPDATE dispatches SET delivered_at = ? WHERE package_id = ?", (at, made["package_id"]))
    if made["kind"] in ("correction-notice", "correction"):
        from app import corrections

        corrections.receipt_received(vault, made["package_id"], at)
    vault.audit("package.delivered", record_type="package", record_id=made["package_id"], reason=sender)
    return Received("receipt", manifest["package_id"], sender, manifest["reference"],
                    f"Receipt from {load_agreement().partner(sender).name}: {made['kind']} {made['reference']} "
                    f"delivered {london_display(at)}", request_id=made["request_id"],
                    extra={"receipt_for": made["package_id"]})


def import_whole_vault(vault, path, progress: Progress | None = None):
    """`spocdesk import`: a whole-vault file or vault package into an empty vault (a migration)."""
    from app.exchange.importer import import_document
    from app.exchange.validate import _read

    path = Path(path)
    try:
        with open(path, "rb") as handle:
            start = handle.read(4)
    except FileNotFoundError:
        raise InvalidInput(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder, not an exchange file.") from None
    if start == AGE_MAGIC[:4]:
        return receive(vault, path, progress=progress, kinds=("vault",)).summary
    doc, escapes = _read(path)
    if isinstance(doc, dict) and doc.get("scope") != "vault":
        raise InvalidInput(f"{path.name} is not a whole-vault file; requests and responses arrive only as sealed "
                           "packages (`spocdesk receive`); nothing was changed.")
    return import_document(vault, doc, progress, may_hold_surrogates=escapes)
