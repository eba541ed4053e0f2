"""Consulting the originating partner on a subject access or FOI item by sealed package (12.2).

Clause 12.2: where a request for information is received by a partner and the information came
from another partner, the receiving partner has regard to the originating partner's interests
(in practice, consults it) before answering. For each partner-provided item of the subject file
the Data Protection Manager can make a sealed package of kind `sar-consult` to the originating
desk (`ask`). It carries the question only: the request's reference, its kind and the date the
answer is due, and the item's type, id and label (references and kinds, never the requester or
the subject's details: the partner holds the record itself, by the same id).

The partner's DPM receives it (`app.exchange.packages.receive`), sees what is asked
(`received_questions`) and answers no objection, or objects with an exemption that applies to
that kind of request and the reason (`answer`), in a `sar-consult-answer` package back. Received
on the asking desk, the answer is recorded against the item: the 12.2 consultation (by package,
with the partner's answer) and, where the partner objects and the item is not decided yet, the
item withheld under the partner's exemption (the DPM may still decide otherwise). Each side keeps
one row per consultation (`sar_consultations`, the same id on both desks).
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.files import write_private
from app.records import Problem, check_text, dumps, new_id, raise_if, today_london
from app.roles import require
from app.timeutil import utc_now_iso
from app.vault.migrations import CONSULT_ANSWERS

ASK_FORMAT = "spocdesk-sar-consult/1"
ANSWER_FORMAT = "spocdesk-sar-consult-answer/1"
ASK_KIND, ANSWER_KIND = "sar-consult", "sar-consult-answer"
ANSWERS = {"no-objection": "No objection to disclosure", "objects": "Objects to disclosure"}
MAX_DOCUMENT = 64 * 1024
assert tuple(ANSWERS) == CONSULT_ANSWERS


@dataclass(frozen=True)
class Consultation:
    id: str
    direction: str  # asked (this desk asked the partner) | received (the partner asked this desk)
    partner: str
    info_request_id: str | None
    item_row_id: str | None
    sar_reference: str
    sar_kind: str
    due_on: str | None
    item_type: str
    item_id: str
    item_label: str
    question: str
    asked_at: str
    asked_by: str
    ask_package_id: str
    answer: str | None
    exemption: str
    reason: str
    answered_at: str | None
    answered_by: str | None
    answer_package_id: str | None

    @property
    def partner_name(self) -> str:
        return load_agreement().partner_name(self.partner)

    @property
    def answered(self) -> bool:
        return self.answer is not None

    @property
    def kind_label(self) -> str:
        from app.subject_access import KINDS

        return KINDS.get(self.sar_kind, self.sar_kind)

    def answer_words(self) -> str:
        if self.answer is None:
            return "Awaiting the partner's answer"
        if self.answer == "no-objection":
            return ANSWERS["no-objection"]
        from app.subject_access import exemptions_for

        label = next((e.label for e in exemptions_for(self.sar_kind) if e.id == self.exemption), self.exemption)
        return f"{ANSWERS['objects']}: {label}. Reason: {self.reason}"


def _row(row) -> Consultation:
    return Consultation(*(row[f] for f in Consultation.__dataclass_fields__))


def consultations_of(vault, info_request_id: str) -> list[Consultation]:
    """The consultations this desk asked about one request's items, oldest first."""
    require(vault.role, "info_requests.read", "see subject access consultations")
    return [_row(r) for r in vault.db.query(
        "SELECT * FROM sar_consultations WHERE direction = 'asked' AND info_request_id = ? ORDER BY seq",
        (info_request_id,))]


def received_questions(vault, *, open_only: bool = False) -> list[Consultation]:
    """What partners asked this desk (12.2), unanswered first, then newest first."""
    require(vault.role, "info_requests.read", "see subject access consultations")
    rows = vault.db.query("SELECT * FROM sar_consultations WHERE direction = 'received'"
                          + (" AND answer IS NULL" if open_only else "")
                          + " ORDER BY answer IS NOT NULL, seq DESC")
    return [_row(r) for r in rows]


def get(vault, consultation_id: str) -> Consultation:
    require(vault.role, "info_requests.read", "see subject access consultations")
    row = vault.db.one("SELECT * FROM sar_consultations WHERE id = ?", (str(consultation_id or "").strip(),))
    if row is None:
        raise InvalidInput("There is no such subject access consultation in this vault.")
    return _row(row)


def _file_name(reference: str, kind: str, sender: str, agency: str, consultation_id: str) -> str:
    from app.exchange.packages import SUFFIX

    word = "consult" if kind == ASK_KIND else "consult_answer"
    return f"{reference}_{word}_{sender}_to_{agency}_{consultation_id[:8]}{SUFFIX}"


def _seal_and_write(vault, *, kind: str, agency: str, reference: str, document: dict, out_dir: Path,
                    name: str, package_id: str):
    """Seal `document` to `agency`'s trusted desk card into out_dir/name (inside the caller's
    transaction, after its audit event); the packages table records it."""
    from app.exchange.packages import MadePackage, _json_bytes, _record_made, _trusted_card, seal

    card = _trusted_card(vault, agency)
    head = vault.chain_head()
    data = _json_bytes(document)
    sealed = seal(vault, kind=kind, document=data, recipient_card=card, reference=reference, package_id=package_id,
                  head=head)
    _record_made(vault, package_id=package_id, kind=kind, card=card, reference=reference, request_id=None,
                 document=data, head=head, file_name=name)
    write_private(out_dir / name, sealed)
    return MadePackage(agency, "", out_dir / name, package_id, name, kind)


def _folder(out_dir) -> Path:
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InvalidInput(f"The folder {out_dir} does not exist; nothing was made.")
    return out_dir


def ask(vault, ref: str, item_id: str, out_dir, *, question: str = "", today: _dt.date | None = None):
    """Make the `sar-consult` package asking the partner that supplied the item (12.2)."""
    from app import subject_access as sa
    from app.exchange.packages import SAFE_REFERENCE

    require(vault.role, "info_requests.manage", "consult partners on subject access requests")
    out_dir = _folder(out_dir)
    request = sa.get_request(vault, ref, audit=False)
    item = next((i for i in request.items if i.id == item_id), None)
    if item is None:
        raise InvalidInput(f"{request.reference} has no such item.")
    problems: list[Problem] = []
    if not item.partner_provided:
        problems.append(Problem("item", "This item came from this desk; there is no partner to consult"))
    if request.status == "closed":
        problems.append(Problem("item", f"{request.reference} is closed; reopen it first"))
    waiting = vault.db.one("SELECT asked_at FROM sar_consultations WHERE direction = 'asked' AND item_row_id = ?"
                           " AND answer IS NULL", (item.id,))
    if waiting is not None:
        problems.append(Problem("item", f"{item.origin_agency} was asked about this item on "
                                        f"{sa._uk(waiting['asked_at'])} and has not answered yet"))
    question = check_text(problems, "question", question, limit=2000)
    raise_if(problems, "No consultation was made")
    if not SAFE_REFERENCE.match(request.reference):
        raise InvalidInput(f"{request.reference!r} cannot name a file; nothing was made.")
    clock = request.clock(today)
    cid, package_id, now = new_id(), str(uuid.uuid4()), utc_now_iso()
    name = _file_name(request.reference, ASK_KIND, vault.agency, item.origin_agency, cid)
    if (out_dir / name).exists():
        raise InvalidInput(f"{out_dir / name} already exists; choose another folder (nothing was made).")
    due = clock.due_on.isoformat() if clock.due_on else None
    document = {"format": ASK_FORMAT, "consultation_id": cid, "sar_reference": request.reference,
                "sar_kind": request.kind, "due_on": due,
                "item": {"type": item.item_type, "id": item.item_id, "label": item.label},
                "question": question, "asked_at": now}
    path = out_dir / name
    try:
        with vault.db.transaction():
            vault.db.execute(
                "INSERT INTO sar_consultations (id, direction, partner, info_request_id, item_row_id, sar_reference,"
                " sar_kind, due_on, item_type, item_id, item_label, question, asked_at, asked_by, ask_package_id)"
                " VALUES (?, 'asked', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (cid, item.origin_agency, request.id, item.id, request.reference, request.kind, due, item.item_type,
                 item.item_id, item.label, question, now, vault.actor, package_id))
            vault.audit("info_request.consultation_sent", record_type="info_request", record_id=request.reference,
                        reason=f"{item.item_type} to {item.origin_agency} ({package_id})")
            made = _seal_and_write(vault, kind=ASK_KIND, agency=item.origin_agency, reference=request.reference,
                                   document=document, out_dir=out_dir, name=name, package_id=package_id)
    except BaseException:
        if vault.db.one("SELECT 1 FROM packages WHERE package_id = ?", (package_id,)) is None:
            path.unlink(missing_ok=True)
        raise
    return made


def answer(vault, consultation_id: str, answer_code: str, out_dir, *, exemption: str = "", reason: str = ""):
    """The partner desk's answer to a question received: no objection, or objects with an
    exemption of that kind of request and the reason; sealed back to the asking desk."""
    from app.subject_access import exemptions_for

    require(vault.role, "info_requests.manage", "answer subject access consultations")
    out_dir = _folder(out_dir)
    asked = get(vault, consultation_id)
    if asked.direction != "received":
        raise InvalidInput("That consultation was asked by this desk; the partner answers it.")
    problems: list[Problem] = []
    if asked.answered:
        problems.append(Problem("answer", f"This desk already answered on {asked.answered_at[:10]}"))
    if answer_code not in ANSWERS:
        problems.append(Problem("answer", "Choose whether you object to disclosure"))
    allowed = {e.id for e in exemptions_for(asked.sar_kind)}
    if answer_code == "objects":
        if exemption not in allowed:
            problems.append(Problem("exemption", "Choose the exemption that applies"))
        reason = check_text(problems, "reason", reason, required=True, missing="Say why disclosure would "
                            "prejudice your interests", limit=5000)
    else:
        exemption = ""
        reason = check_text(problems, "reason", reason, limit=5000)
    raise_if(problems, "The answer was not sent")
    package_id, now = str(uuid.uuid4()), utc_now_iso()
    name = _file_name(asked.sar_reference, ANSWER_KIND, vault.agency, asked.partner, asked.id)
    if (out_dir / name).exists():
        raise InvalidInput(f"{out_dir / name} already exists; choose another folder (nothing was made).")
    document = {"format": ANSWER_FORMAT, "consultation_id": asked.id, "sar_reference": asked.sar_reference,
                "answer": answer_code, "exemption": exemption, "reason": reason, "answered_at": now}
    path = out_dir / name
    try:
        with vault.db.transaction():
            vault.db.execute("UPDATE sar_consultations SET answer = ?, exemption = ?, reason = ?, answered_at = ?,"
                             " answered_by = ?, answer_package_id = ? WHERE id = ?",
                             (answer_code, exemption, reason, now, vault.actor, package_id, asked.id))
            vault.audit("info_request.consultation_answered", record_type="sar_consultation", record_id=asked.id,
                        reason=f"{answer_code} to {asked.partner} {asked.sar_reference}")
            made = _seal_and_write(vault, kind=ANSWER_KIND, agency=asked.partner, reference=asked.sar_reference,
                                   document=document, out_dir=out_dir, name=name, package_id=package_id)
    except BaseException:
        if vault.db.one("SELECT 1 FROM packages WHERE package_id = ?", (package_id,)) is None:
            path.unlink(missing_ok=True)
        raise
    return made


# ---- receiving (called by app.exchange.packages.receive inside its transaction) ---------------


def _document(raw: bytes, name: str, fields: set[str], fmt: str) -> dict:
    try:
        doc = json.loads(raw.decode("utf-8")) if len(raw) <= MAX_DOCUMENT else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        doc = None
    if not isinstance(doc, dict) or set(doc) != fields or doc.get("format") != fmt:
        raise InvalidInput(f"{name} is not a valid subject access consultation; nothing was changed.")
    return doc


def _text(doc: dict, key: str, name: str, limit: int, *, empty_ok: bool = True) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or len(value) > limit or (not empty_ok and not value.strip()) or "\x00" in value:
        raise InvalidInput(f"{name}: {key} is not valid; nothing was changed.")
    return value


def receive_question(vault, manifest: dict, raw: bytes, name: str):
    """A partner's `sar-consult` package: record what it asks, to answer later."""
    from app.exchange.packages import Received
    from app.subject_access import ITEM_TYPES, KINDS, _uk

    sender = manifest["sender"]["agency"]
    doc = _document(raw, name, {"format", "consultation_id", "sar_reference", "sar_kind", "due_on", "item",
                                "question", "asked_at"}, ASK_FORMAT)
    cid = _text(doc, "consultation_id", name, 36, empty_ok=False)
    reference = _text(doc, "sar_reference", name, 40, empty_ok=False)
    if reference != manifest["reference"]:
        raise InvalidInput(f"{name}: its document is not for the reference its manifest names; nothing was changed.")
    if doc["sar_kind"] not in KINDS:
        raise InvalidInput(f"{name}: unknown kind of request {doc['sar_kind']!r}; nothing was changed.")
    item = doc["item"]
    if not isinstance(item, dict) or set(item) != {"type", "id", "label"} or item.get("type") not in ITEM_TYPES:
        raise InvalidInput(f"{name}: the item it asks about is not valid; nothing was changed.")
    due = doc["due_on"]
    try:
        due = _dt.date.fromisoformat(due).isoformat() if due is not None else None
    except (TypeError, ValueError):
        raise InvalidInput(f"{name}: due_on is not a date; nothing was changed.") from None
    item_id = _text(item, "id", name, 100, empty_ok=False)
    label = _text(item, "label", name, 1000, empty_ok=False)
    question = _text(doc, "question", name, 2000)
    asked_at = _text(doc, "asked_at", name, 40, empty_ok=False)
    if vault.db.one("SELECT 1 FROM sar_consultations WHERE id = ?", (cid,)) is not None:
        raise InvalidInput(f"{name}: this desk already holds that consultation; nothing was changed.")
    vault.db.execute(
        "INSERT INTO sar_consultations (id, direction, partner, sar_reference, sar_kind, due_on, item_type, item_id,"
        " item_label, question, asked_at, asked_by, ask_package_id) VALUES (?, 'received', ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?)", (cid, sender, reference, doc["sar_kind"], due, item["type"], item_id, label, question, asked_at,
                   sender, manifest["package_id"]))
    vault.audit("info_request.consultation_received", record_type="sar_consultation", record_id=cid,
                reason=f"{item['type']} from {sender} {reference}")
    who = load_agreement().partner_name(sender)
    line = (f"Subject access consultation {reference} from {who}: {label}"
            + (f"; they answer by {_uk(due)}" if due else "") + ". Answer it in Subject access.")
    return Received(manifest["kind"], manifest["package_id"], sender, reference, line, extra={"consultation_id": cid})


def receive_answer(vault, manifest: dict, raw: bytes, name: str):
    """The partner's `sar-consult-answer`: recorded against the item it answers (see the module)."""
    from app.exchange.packages import Received
    from app.subject_access import exemptions_for

    sender = manifest["sender"]["agency"]
    doc = _document(raw, name, {"format", "consultation_id", "sar_reference", "answer", "exemption", "reason",
                                "answered_at"}, ANSWER_FORMAT)
    cid = _text(doc, "consultation_id", name, 36, empty_ok=False)
    row = vault.db.one("SELECT * FROM sar_consultations WHERE id = ? AND direction = 'asked'", (cid,))
    if row is None or row["partner"] != sender:
        raise InvalidInput(f"{name} answers a consultation this desk did not send to {sender}; nothing was changed.")
    asked = _row(row)
    if asked.answered:
        raise InvalidInput(f"{name}: {sender} already answered this consultation on {asked.answered_at[:10]}; "
                           "nothing was changed.")
    if doc["sar_reference"] != asked.sar_reference or manifest["reference"] != asked.sar_reference:
        raise InvalidInput(f"{name}: it is not for {asked.sar_reference}; nothing was changed.")
    code = doc["answer"]
    exemptions = {e.id: e for e in exemptions_for(asked.sar_kind)}
    reason = _text(doc, "reason", name, 5000)
    exemption = _text(doc, "exemption", name, 100)
    if code not in ANSWERS or (code == "objects" and (exemption not in exemptions or not reason.strip())) \
            or (code == "no-objection" and exemption):
        raise InvalidInput(f"{name}: its answer is not valid; nothing was changed.")
    answered_at = _text(doc, "answered_at", name, 40, empty_ok=False)
    vault.db.execute("UPDATE sar_consultations SET answer = ?, exemption = ?, reason = ?, answered_at = ?,"
                     " answered_by = ?, answer_package_id = ? WHERE id = ?",
                     (code, exemption, reason, answered_at, sender, manifest["package_id"], cid))
    asked = get(vault, cid)
    words = asked.answer_words()
    today = today_london().isoformat()
    who = load_agreement().partner_name(sender)
    vault.db.execute("UPDATE info_request_items SET consulted_on = ?, consulted_via = 'package', consulted_who = ?,"
                     " consult_answer = ? WHERE id = ?", (today, f"{who} (sealed package)", words, asked.item_row_id))
    item = vault.db.one("SELECT decision FROM info_request_items WHERE id = ?", (asked.item_row_id,))
    withheld = code == "objects" and item is not None and item["decision"] == "undecided"
    if withheld:
        vault.db.execute("UPDATE info_request_items SET decision = 'withhold', exemption = ?, note = ?, decided_by = ?,"
                         " decided_at = ? WHERE id = ?",
                         (exemption, f"Withheld on {who}'s objection (12.2): {reason}", vault.actor, utc_now_iso(),
                          asked.item_row_id))
    vault.db.execute("INSERT INTO info_request_events (id, info_request_id, kind, on_date, details, recorded_by,"
                     " recorded_at) VALUES (?, ?, 'partner-consulted', ?, ?, ?, ?)",
                     (new_id(), asked.info_request_id, today,
                      dumps({"item": asked.item_label, "partner": sender, "via": "package", "answer": words,
                             "exemption": exemption}), vault.actor, utc_now_iso()))
    vault.audit("info_request.partner_answered", record_type="info_request", record_id=asked.sar_reference,
                reason=f"{sender} {code}{' ' + exemption if exemption else ''}")
    line = f"{who} answered on {asked.sar_reference}, {asked.item_label}: {words}" \
           + (" — the item is withheld under that exemption (you may still decide otherwise)." if withheld else ".")
    return Received(manifest["kind"], manifest["package_id"], sender, asked.sar_reference, line,
                    extra={"consultation_id": cid, "withheld": withheld})


__all__ = ["Consultation", "ANSWERS", "ASK_KIND", "ANSWER_KIND", "ask", "answer", "consultations_of",
           "received_questions", "get", "receive_question", "receive_answer"]
