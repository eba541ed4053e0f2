"""Agency responses to a request (2.6, 5.4, 6, Appendix 2 "Response", Appendix 3) and collation (5.3).

A response belongs to one dispatch. Its kind is:
- `disclosure`: what is held and what is disclosed, the information types disclosed (5.2), the
  lawful bases (codes from the agreement; `explain_lawful_basis` gives the Appendix 3 text and
  the DPA 1998 -> 2018 successor), and the 5.4 tests, each answered in words: necessary,
  proportionate, accurate. All are required before it can be marked sent.
- `nil-return`: a first-class answer "we hold nothing". No personal data is disclosed, so no
  lawful basis and no 5.4 answers are needed (5.4 governs "the information exchanged"); the
  responder and date are still required and the conditions of use still travel with it.
- `declined`: the agency will not disclose; a reason is required.
Every response carries the section 6 conditions of use (copied from the agreement data when
the response is made), and an optional partnership-working answer.

On the partner desk a response is drafted (`record_response`) then sent (`mark_response_sent`,
which writes the disclosure register). On the police desk responses arrive by import (see
app.exchange) or are keyed in from another channel (`receive_response`); either moves the
dispatch to responded, nil-return or declined, and shows in `collation`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.records import (Problem, check_codes, check_date, check_text, dumps, loads, new_id, raise_if,
                         today_london)
from app.requests import (Can, Dispatch, Request, allowed_dispatch, default_channel, get_dispatch,
                          get_request)
from app.roles import can, require
from app.timeutil import london_display, utc_now_iso
from app.textcheck import substantive_problem

KINDS = ("disclosure", "nil-return", "declined")
DISPATCH_STATUS_FOR = {"disclosure": "responded", "nil-return": "nil-return", "declined": "declined"}
FIELDS = ("kind", "responder_name", "responder_role", "responder_contact", "response_date", "held_text",
          "disclosed_text", "info_types", "lawful_bases", "necessary", "proportionate", "accurate",
          "partnership_answer", "decline_reason")
LABELS = {
    "kind": "Answer",
    "responder_name": "Name of the person responding",
    "responder_role": "Role",
    "responder_contact": "Contact details",
    "response_date": "Response date",
    "held_text": "What your agency holds",
    "disclosed_text": "What is disclosed",
    "info_types": "Information disclosed",
    "lawful_bases": "Lawful basis",
    "necessary": "Why the disclosure is necessary",
    "proportionate": "Why the disclosure is proportionate",
    "accurate": "How you know the information is accurate",
    "partnership_answer": "Partnership working",
    "decline_reason": "Reason for declining",
}


@dataclass(frozen=True)
class Response:
    id: str
    seq: int
    dispatch_id: str
    origin_agency: str
    kind: str
    status: str  # draft, sent (by this desk) or received (from another desk)
    responder_name: str
    responder_role: str
    responder_contact: str
    response_date: str
    held_text: str
    disclosed_text: str
    info_types: tuple[str, ...]
    lawful_bases: tuple[str, ...]
    necessary: str
    proportionate: str
    accurate: str
    partnership_answer: str
    decline_reason: str
    conditions_of_use: tuple[dict, ...]  # [{"clause": "6.1", "text": ...}]
    sent_at: str | None
    received_at: str | None
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str

    @classmethod
    def from_row(cls, row) -> "Response":
        values = {k: row[k] for k in cls.__dataclass_fields__}
        for key in ("info_types", "lawful_bases", "conditions_of_use"):
            values[key] = tuple(loads(values[key]))
        return cls(**values)


@dataclass(frozen=True)
class LawfulBasisView:
    """What the response form shows beside a lawful basis choice."""

    id: str
    title: str  # as the agreement words it
    explanation: str  # Appendix 3
    in_force: bool
    cite_today: str  # e.g. DPA 2018 Sch. 2 Pt 1 para 2 beside DPA 1998 s29(3)
    note: str
    clause: str


def explain_lawful_basis(basis_id: str) -> LawfulBasisView:
    try:
        basis = load_agreement().lawful_basis(basis_id)
    except Exception:  # noqa: BLE001 - any lookup failure is an unknown basis
        raise InvalidInput(f"Unknown lawful basis {basis_id!r}.") from None
    return LawfulBasisView(basis.id, basis.title, basis.appendix3_text, basis.in_force, basis.current,
                           basis.note, basis.clause)


def lawful_bases() -> list[LawfulBasisView]:
    return [explain_lawful_basis(b.id) for b in load_agreement().lawful_bases]


def conditions_of_use() -> list[dict]:
    return [{"clause": c.clause, "text": c.text} for c in load_agreement().conditions_of_use]


# ---- validation -----------------------------------------------------------------------------


# The three 5.4 answers, and the words that ask for each (the field, its hint and its error agree).
SUBSTANTIVE = {
    "necessary": "Say in words why the disclosure is necessary (5.4.2)",
    "proportionate": "Say in words why the disclosure is proportionate (5.4.3)",
    "accurate": "Say in words how you know the information is accurate (5.4)",
}


def sending_summary(data: dict) -> str:
    """What the "Mark as sent" confirmation repeats of a disclosure: its lawful basis (with what
    to cite today where the agreement names a replaced law) and the three 5.4 answers, as typed."""
    lines = ["Lawful basis:"]
    for basis_id in data.get("lawful_bases") or []:
        view = explain_lawful_basis(basis_id)
        lines.append(f"  • {view.title}" + (f" (today: {view.cite_today})" if view.cite_today and
                                             view.cite_today != view.title else ""))
    if len(lines) == 1:
        lines.append("  • none chosen")
    for key in SUBSTANTIVE:
        answer = " ".join(str(data.get(key) or "").split())
        lines.append(f"{LABELS[key]}: {answer if len(answer) <= 400 else answer[:399] + '…'}")
    return "\n".join(lines)


def validate_response(data: dict, *, for_sending: bool = False) -> tuple[list[Problem], dict]:
    """Problems with a response; `for_sending` adds the 5.4 tests and the kind's required fields."""
    agreement = load_agreement()
    problems: list[Problem] = []
    clean: dict = {}
    kind = data.get("kind") or "disclosure"
    if kind not in KINDS:
        problems.append(Problem("kind", "Choose whether you disclose information, hold nothing, or decline"))
    clean["kind"] = kind
    clean["responder_name"] = check_text(problems, "responder_name", data.get("responder_name"), required=True,
                                         missing="Enter the name of the person responding", limit=10_000)
    clean["responder_role"] = check_text(problems, "responder_role", data.get("responder_role"), limit=10_000)
    clean["responder_contact"] = check_text(problems, "responder_contact", data.get("responder_contact"), limit=10_000)
    clean["response_date"] = check_date(problems, "response_date", data.get("response_date") or today_london(),
                                        required=True, missing="Enter the date of the response",
                                        what="The response date")
    for key in ("held_text", "disclosed_text", "necessary", "proportionate", "accurate",
                "partnership_answer", "decline_reason"):
        clean[key] = check_text(problems, key, data.get(key))
    clean["info_types"] = check_codes(problems, "info_types", data.get("info_types"),
                                      [i.id for i in agreement.information_types])
    clean["lawful_bases"] = check_codes(problems, "lawful_bases", data.get("lawful_bases"),
                                        [b.id for b in agreement.lawful_bases])
    if for_sending and kind == "disclosure":
        if not clean["disclosed_text"].strip():
            problems.append(Problem("disclosed_text", "Enter what is disclosed"))
        for key, message in SUBSTANTIVE.items():  # the three 5.4 answers: real words, not "n/a"
            refused = substantive_problem(clean[key], message)
            if refused:
                problems.append(Problem(key, refused))
        if not clean["lawful_bases"]:
            problems.append(Problem("lawful_bases", "Choose the lawful basis for the disclosure (5.4.1, Appendix 3)"))
        if not clean["info_types"]:
            problems.append(Problem("info_types", "Choose the types of information disclosed (5.2)"))
    if for_sending and kind == "declined" and not clean["decline_reason"].strip():
        problems.append(Problem("decline_reason", "Enter why your agency declines to disclose"))
    return problems, clean


# ---- saving ---------------------------------------------------------------------------------


def _insert(vault, dispatch: Dispatch, clean: dict, *, status: str, origin: str) -> str:
    response_id = new_id()
    now = utc_now_iso()
    vault.db.execute(
        "INSERT INTO responses (id, dispatch_id, origin_agency, kind, status, responder_name, responder_role,"
        " responder_contact, response_date, held_text, disclosed_text, info_types, lawful_bases, necessary,"
        " proportionate, accurate, partnership_answer, decline_reason, conditions_of_use, sent_at, received_at,"
        " created_at, created_by, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (response_id, dispatch.id, origin, clean["kind"], status, clean["responder_name"], clean["responder_role"],
         clean["responder_contact"], clean["response_date"], clean["held_text"], clean["disclosed_text"],
         dumps(clean["info_types"]), dumps(clean["lawful_bases"]), clean["necessary"], clean["proportionate"],
         clean["accurate"], clean["partnership_answer"], clean["decline_reason"], dumps(conditions_of_use()),
         None, now if status == "received" else None, now, vault.actor, now, vault.actor))
    return response_id


def record_response(vault, dispatch_id: str, data: dict) -> Response:
    """Draft this desk's answer to a request addressed to it (the partner desk)."""
    require(vault.role, "responses.write", "record responses")
    dispatch = get_dispatch(vault, dispatch_id)
    if dispatch.agency != vault.agency:
        raise InvalidInput(f"This request was sent to {dispatch.agency}; this desk ({vault.agency}) "
                           "cannot answer for them. To key in an answer they gave, use receive_response.")
    problems, clean = validate_response(data)
    raise_if(problems, "The response was not saved")
    with vault.db.transaction():
        response_id = _insert(vault, dispatch, clean, status="draft", origin=vault.agency)
        vault.audit("response.created", record_type="response", record_id=response_id)
    return _get(vault, response_id)


def update_response(vault, response_id: str, data: dict) -> Response:
    require(vault.role, "responses.write", "edit responses")
    before = _get(vault, response_id)
    if before.status != "draft" or before.origin_agency != vault.agency:
        raise InvalidInput("Only a draft response of this desk can be changed; a sent response stays as sent.")
    merged = {k: getattr(before, k) for k in FIELDS}
    merged.update({k: v for k, v in data.items() if k in FIELDS})
    problems, clean = validate_response(merged)
    raise_if(problems, "The response was not saved")
    with vault.db.transaction():
        vault.db.execute(
            "UPDATE responses SET kind = ?, responder_name = ?, responder_role = ?, responder_contact = ?,"
            " response_date = ?, held_text = ?, disclosed_text = ?, info_types = ?, lawful_bases = ?,"
            " necessary = ?, proportionate = ?, accurate = ?, partnership_answer = ?, decline_reason = ?,"
            " updated_at = ?, updated_by = ? WHERE id = ?",
            (clean["kind"], clean["responder_name"], clean["responder_role"], clean["responder_contact"],
             clean["response_date"], clean["held_text"], clean["disclosed_text"], dumps(clean["info_types"]),
             dumps(clean["lawful_bases"]), clean["necessary"], clean["proportionate"], clean["accurate"],
             clean["partnership_answer"], clean["decline_reason"], utc_now_iso(), vault.actor, response_id))
        vault.audit("response.updated", record_type="response", record_id=response_id)
    return _get(vault, response_id)


def _settle_dispatch(vault, dispatch_id: str, kind: str, decline_reason: str) -> None:
    now = utc_now_iso()
    vault.db.execute("UPDATE dispatches SET status = ?, closed_at = ?, decline_reason = ?, updated_at = ?,"
                     " updated_by = ? WHERE id = ?",
                     (DISPATCH_STATUS_FOR[kind], now, decline_reason or None, now, vault.actor, dispatch_id))


def mark_response_sent(vault, response_id: str, *, channel: str = "") -> Response:
    """Send a draft response: the 5.4 tests (or nil return / reason to decline) must be complete.
    Writes the disclosure register row and moves the dispatch on."""
    from app import disclosures

    require(vault.role, "responses.write", "send responses")
    response = _get(vault, response_id)
    if response.status != "draft" or response.origin_agency != vault.agency:
        raise InvalidInput("Only a draft response of this desk can be sent.")
    problems, _ = validate_response({k: getattr(response, k) for k in FIELDS}, for_sending=True)
    raise_if(problems, "The response cannot be sent yet")
    agreement = load_agreement()
    if channel and channel not in {c.id for c in agreement.secure_channels}:
        raise InvalidInput(f"Unknown secure channel {channel!r}.")
    dispatch = get_dispatch(vault, response.dispatch_id)
    request = vault.db.one("SELECT id, reference, origin_agency FROM requests WHERE id = ?", (dispatch.request_id,))
    disclosures.refuse_if_suspended(vault, request["origin_agency"])  # 13.2
    subject_ids = [r["subject_id"] for r in vault.db.query(
        "SELECT subject_id FROM request_subjects WHERE request_id = ?", (request["id"],))]
    now = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute("UPDATE responses SET status = 'sent', sent_at = ?, updated_at = ?, updated_by = ?"
                         " WHERE id = ?", (now, now, vault.actor, response_id))
        _settle_dispatch(vault, dispatch.id, response.kind, response.decline_reason)
        vault.audit("response.sent", record_type="response", record_id=response_id, reason=request["reference"])
        disclosures.record(vault, kind="response", direction="sent", from_agency=vault.agency,
                           to_agency=request["origin_agency"], request_id=request["id"], response_id=response_id,
                           subject_ids=subject_ids if response.kind == "disclosure" else [],
                           what=f"{response.kind} response to {request['reference']}",
                           lawful_bases=response.lawful_bases,
                           channel=channel or _channel_for(request["origin_agency"]), originator=vault.agency)
    return _get(vault, response_id)


def receive_response(vault, dispatch_id: str, data: dict, *, channel: str = "") -> Response:
    """Key in a response received from the agency by another route (police desk)."""
    from app import disclosures

    require(vault.role, "responses.write", "record responses received")
    dispatch = get_dispatch(vault, dispatch_id)
    if dispatch.status == "draft":
        raise InvalidInput("This request has not been sent to that agency yet.")
    problems, clean = validate_response(data, for_sending=True)
    raise_if(problems, "The response was not saved")
    request = vault.db.one("SELECT id, reference FROM requests WHERE id = ?", (dispatch.request_id,))
    with vault.db.transaction():
        response_id = _insert(vault, dispatch, clean, status="received", origin=dispatch.agency)
        _settle_dispatch(vault, dispatch.id, clean["kind"], clean["decline_reason"])
        vault.audit("response.received", record_type="response", record_id=response_id, reason=request["reference"])
        disclosures.record(vault, kind="response", direction="received", from_agency=dispatch.agency,
                           to_agency=vault.agency, request_id=request["id"], response_id=response_id,
                           what=f"{clean['kind']} response to {request['reference']}",
                           lawful_bases=clean["lawful_bases"], channel=channel, originator=dispatch.agency)
    return _get(vault, response_id)


def _channel_for(agency: str) -> str:
    return default_channel(agency)


# ---- what a user may do with an answer ------------------------------------------------------


@dataclass(frozen=True)
class AnswerAllowed:
    """What this user may do with the answer to one dispatch (the response form's actions)."""

    edit: Can     # save this desk's draft answer, or (received) key in the answer the agency sent
    send: Can     # mark this desk's answer as sent (never offered for an answer received)
    export: Can   # make the exchange file carrying the sent answer to the requesting desk


def answer_allowed(vault, request: Request, dispatch: Dispatch, response: Response | None = None, *,
                   received: bool = False) -> AnswerAllowed:
    """What `vault`'s user may do with `response` (None: not made yet) to `dispatch` of `request`.
    `received`: the requesting desk keys in an answer the agency sent by another route."""
    agreement = load_agreement()
    origin = agreement.partner_name(request.origin_agency)
    if received:
        record = allowed_dispatch(vault, request, dispatch).record_received
        if not record.offered and request.origin_agency != vault.agency:
            record = Can(False, "Only the desk that sent the request records the answers it receives.", False)
        elif not record.offered:
            record = Can(False, f"Your role ({vault.role}) may read this request but not record answers.", False)
        elif response is not None:
            record = Can(False, f"The answer from {dispatch.agency_name} is already recorded.")
        no = Can(False, "An answer received is recorded, not sent or exported, on this desk.", False)
        return AnswerAllowed(record, no, no)
    if dispatch.agency != vault.agency:
        edit = Can(False, f"This request was sent to {dispatch.agency_name}. Only that agency's desk can answer "
                          "it here.", False)
    elif response is not None and (response.status != "draft" or response.origin_agency != vault.agency):
        when = london_display(response.sent_at) if response.sent_at else "—"
        edit = Can(False, f"Sent to {origin} on {when}. A sent response cannot be changed.", False)
    elif not can(vault.role, "responses.write"):
        edit = Can(False, "Your role may read this request but not answer it.", False)
    else:
        edit = Can(True)
    send = edit
    if edit.ok:
        from app.suspensions import current

        suspension = current(vault, request.origin_agency)
        if suspension is not None:
            send = Can(False, f"{origin} is suspended under clause 13.2 (since {london_display(suspension.from_at)}); "
                              "nothing can be disclosed to them until the suspension is lifted.")
    sent = response is not None and response.status != "draft"
    if not can(vault.role, "export.request"):
        export = Can(False, f"Your role ({vault.role}) may not export requests.")
    elif not sent:
        export = Can(False, f"Mark the response as sent first; the file then carries it to {origin}.")
    else:
        export = Can(True)
    return AnswerAllowed(edit, send, export)


# ---- reading --------------------------------------------------------------------------------


def _get(vault, response_id: str) -> Response:
    row = vault.db.one("SELECT * FROM responses WHERE id = ?", (response_id,))
    if row is None:
        raise InvalidInput(f"There is no response {response_id} in this vault.")
    return Response.from_row(row)


def get_response(vault, response_id: str) -> Response:
    require(vault.role, "requests.read", "see responses")
    response = _get(vault, response_id)
    vault.audit("response.viewed", record_type="response", record_id=response_id)
    return response


def responses_of_dispatch(vault, dispatch_id: str) -> list[Response]:
    rows = vault.db.query("SELECT * FROM responses WHERE dispatch_id = ? ORDER BY created_at, seq", (dispatch_id,))
    return [Response.from_row(r) for r in rows]


def latest_response(vault, dispatch_id: str, *, drafts: bool = True) -> Response | None:
    """The answer that counts for a dispatch: its latest sent or received response, else (with
    `drafts`) this desk's latest draft, else None."""
    found = responses_of_dispatch(vault, dispatch_id)
    final = [r for r in found if r.status != "draft"]
    return (final or (found if drafts else []) or [None])[-1]


@dataclass(frozen=True)
class CollationRow:
    dispatch: Dispatch
    response: Response | None  # the latest non-draft response (or this desk's draft), if any
    overdue: bool


@dataclass(frozen=True)
class Collation:
    request: Request
    rows: tuple[CollationRow, ...]

    @property
    def answered(self) -> int:
        return sum(1 for r in self.rows if r.dispatch.status in ("responded", "nil-return", "declined"))


def collation(vault, request_id: str) -> Collation:
    """A request with every agency's status and response side by side (5.3); audited as a view."""
    request = get_request(vault, request_id, audit=False)
    rows = []
    for dispatch in request.dispatches:
        rows.append(CollationRow(dispatch, latest_response(vault, dispatch.id), dispatch.is_overdue()))
    vault.audit("request.collation_viewed", record_type="request", record_id=request.reference)
    return Collation(request, tuple(rows))
