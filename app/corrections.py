"""Corrections of inaccurate data (clause 7.2; DESIGN.md "Sections 6 and 7").

"Information discovered to be inaccurate, out-of-date or inadequate for the purpose should be
notified to the Data Controller who will be responsible for correcting the data and notifying all
other recipients of the information who must make sure the correction is made."

- **Flag** (`flag`): anyone who reads the records says an item (a subject detail, a response's
  content, a request's text) is inaccurate, out of date or inadequate, and what is wrong. The
  item's data controller is its originating desk (`origin_agency`: data, never a choice). When
  that is another desk, the notice goes to it as a sealed `correction-notice` package
  (`make_notice_package`); its signed receipt marks the notice delivered.
- **Correct** (`record_correction`): only the controller changes the item. The old value is kept
  in `corrections` for the audit and is never shown as current. Every recipient the disclosure
  register names for the item gets a line; `make_correction_packages` seals a `correction`
  package for each, and each recipient's signed receipt closes its line.
- **Apply** (`receive_package`, called by app.exchange.packages.receive): a recipient desk applies
  a correction only from the item's originating desk (anything else is refused, exit 4, nothing
  written); the change is audited and shown on the record ("Corrected by HMRC on 03/12/2026: date
  of birth"), never made silently.
- **Outstanding by age** (`outstanding`) for the DPM: notices not yet corrected and recipients not
  yet confirmed, oldest first; the register (`register`) lists everything.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.files import write_private
from app.records import Problem, check_date, check_text, check_texts, dumps, loads, new_id, raise_if
from app.roles import require
from app.timeutil import london_display, parse_utc, utc_now, utc_now_iso

NOTICE_FORMAT = "spocdesk-correction-notice/1"
CORRECTION_FORMAT = "spocdesk-correction/1"
PACKAGE_KINDS = ("correction-notice", "correction")
PROBLEMS = {
    "inaccurate": "Inaccurate",
    "out-of-date": "Out of date",
    "inadequate": "Inadequate for the purpose",
}
# The items a correction reaches and, for each, the fields that may be corrected (their words).
FIELDS: dict[str, dict[str, str]] = {
    "subject": {"name": "name", "date_of_birth": "date of birth", "aliases": "aliases",
                "addresses": "addresses", "description": "description"},
    "response": {"disclosed_text": "information disclosed", "held_text": "information held"},
    "request": {"information": "information", "check_request": "what to check"},
}
ITEM_WORDS = {"subject": "subject", "response": "response", "request": "request"}
LIST_FIELDS = {"aliases", "addresses"}
TABLES = {"subject": "subjects", "response": "responses", "request": "requests"}  # our constant names
NOTICE_STATES = {
    "open": "Open: to be corrected by this desk",
    "to-send": "Notice to send to the data controller",
    "package-made": "Notice package made — attach to secure e-mail",
    "delivered": "Notice delivered (receipt received) — awaiting the correction",
    "corrected": "Corrected",
    "declined": "Declined by the data controller",
}
RECIPIENT_STATES = {
    "to-make": "Correction package to make",
    "package-made": "Package made — awaiting the recipient's receipt",
    "delivered": "Applied: receipt received",
}
MAX_DETAILS = 10_000


@dataclass(frozen=True)
class Item:
    item_type: str
    item_id: str
    controller: str  # the originating desk: the item's data controller
    label: str       # what the item is, for this desk's screens (may name a subject)
    reference: str   # the request the item belongs to ('' when none)
    values: dict
    request_id: str | None = None


@dataclass(frozen=True)
class Notice:
    id: str
    seq: int
    reference: str
    raised_by_agency: str
    controller: str
    item_type: str
    item_id: str
    field: str
    problem: str
    details: str
    suggested: str
    raised_at: str
    raised_by: str
    status: str
    package_id: str | None
    package_made_at: str | None
    delivered_at: str | None
    received_at: str | None
    correction_id: str | None
    closed_at: str | None
    decline_reason: str

    @classmethod
    def from_row(cls, row) -> "Notice":
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})

    @property
    def field_words(self) -> str:
        return field_words(self.item_type, self.field)

    @property
    def state_words(self) -> str:
        return NOTICE_STATES.get(self.status, self.status)


@dataclass(frozen=True)
class Recipient:
    id: str
    agency: str
    state: str
    package_id: str | None
    made_at: str | None
    delivered_at: str | None

    @property
    def state_words(self) -> str:
        words = RECIPIENT_STATES.get(self.state, self.state)
        if self.state == "delivered" and self.delivered_at:
            words += f" {london_display(self.delivered_at)}"
        elif self.state == "package-made" and self.made_at:
            words = f"Package made {london_display(self.made_at)} — awaiting the recipient's receipt"
        return words


@dataclass(frozen=True)
class Correction:
    id: str
    seq: int
    reference: str
    controller: str
    direction: str
    item_type: str
    item_id: str
    field: str
    old_value: object
    new_value: object
    reason: str
    corrected_at: str
    recorded_at: str
    recorded_by: str
    package_id: str | None
    recipients: tuple[Recipient, ...] = ()

    @property
    def field_words(self) -> str:
        return field_words(self.item_type, self.field)

    def note(self) -> str:
        """What the record shows: 'Corrected by HMRC on 03/12/2026: date of birth'."""
        when = parse_utc(self.corrected_at).astimezone(_london()).strftime("%d/%m/%Y")
        return f"Corrected by {self.controller} on {when}: {self.field_words}"


@dataclass(frozen=True)
class Outstanding:
    kind: str        # 'notice' or 'recipient'
    record_id: str
    reference: str
    what: str        # no personal data: the reference, the field's words, the agency
    since: str
    age_days: int


@dataclass
class Register:
    notices: list[Notice] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)


def _london():
    from app.timeutil import london_zone

    return london_zone()


def field_words(item_type: str, name: str) -> str:
    return FIELDS.get(item_type, {}).get(name, name.replace("_", " "))


def show_value(item_type: str, name: str, value) -> str:
    """A value in a screen's words: a date as dd/mm/yyyy, a list one entry a line."""
    if value is None or value == "" or value == []:
        return "(none)"
    if name == "date_of_birth" and isinstance(value, str) and len(value) == 10:
        return f"{value[8:10]}/{value[5:7]}/{value[:4]}"
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value)


# ---- items --------------------------------------------------------------------------------------


def _check_type(item_type: str, name: str | None = None) -> None:
    if item_type not in FIELDS:
        raise InvalidInput(f"Unknown kind of item {item_type!r}; choose one of: {', '.join(FIELDS)}.")
    if name is not None and name not in FIELDS[item_type]:
        raise InvalidInput(f"A {item_type}'s {name!r} cannot be corrected here; choose one of: "
                           f"{', '.join(FIELDS[item_type].values())}.")


def get_item(vault, item_type: str, item_id: str) -> Item:
    """The item with its data controller and its correctable values; InvalidInput naming it when
    this desk does not hold it."""
    _check_type(item_type)
    table = TABLES[item_type]
    row = vault.db.one(f"SELECT * FROM {table} WHERE id = ?", (str(item_id or ""),))
    if row is None:
        raise InvalidInput(f"This desk holds no {item_type} {item_id!r}; nothing was changed.")
    values = {}
    for name in FIELDS[item_type]:
        value = row[name]
        values[name] = loads(value) if name in LIST_FIELDS else value
    if item_type == "subject":
        found = vault.db.one("SELECT r.id, r.reference FROM requests r JOIN request_subjects rs"
                             " ON rs.request_id = r.id WHERE rs.subject_id = ? ORDER BY r.seq LIMIT 1", (row["id"],))
        ref, request_id = (found["reference"], found["id"]) if found else ("", None)
        label = f"Subject {row['name']}"
    elif item_type == "response":
        found = vault.db.one("SELECT r.id, r.reference FROM requests r JOIN dispatches d ON d.request_id = r.id"
                             " WHERE d.id = ?", (row["dispatch_id"],))
        ref, request_id = (found["reference"], found["id"]) if found else ("", None)
        label = f"{row['origin_agency']}'s response to {ref}"
    else:
        ref, request_id = row["reference"], row["id"]
        label = f"Request {ref}"
    return Item(item_type, row["id"], row["origin_agency"], label, ref, values, request_id)


def _where(item: Item) -> str:
    """The item in words without personal data (for lines a command prints)."""
    if item.item_type == "subject":
        return f"a subject of {item.reference}" if item.reference else "a subject"
    return item.label


def _check_value(item_type: str, name: str, value, problems: list[Problem], key: str = "new_value"):
    """The corrected value, cleaned (a date as ISO, a list of lines), or a problem naming it."""
    words = field_words(item_type, name)
    if name == "date_of_birth":
        return check_date(problems, key, value, required=False, missing="", what="The corrected date of birth")
    if name in LIST_FIELDS:
        if isinstance(value, str):
            value = [line.strip() for line in value.splitlines() if line.strip()]
        return check_texts(problems, key, value)
    cleaned = check_text(problems, key, value, required=name == "name", missing=f"Enter the corrected {words}",
                         limit=MAX_DETAILS)
    return cleaned


def _no_surrogates(problems: list[Problem], key: str, value) -> None:
    values = value if isinstance(value, (list, tuple)) else [value]
    for one in values:
        if isinstance(one, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in one):
            problems.append(Problem(key, "holds a broken character (an unpaired surrogate) that cannot be stored"))
            return


def _next_reference(vault, table: str, prefix: str, agency_column: str) -> str:
    """PREFIX-YYYY-NNNN, the prefix naming this desk (CN-DCON, COR-HMRC), so a notice or correction
    keeps one reference on every desk that holds it."""
    year = utc_now().astimezone(_london()).year
    start = len(prefix) + 7
    # `table` and `agency_column` are this module's constants, never input.
    last = vault.db.scalar(f"SELECT max(CAST(substr(reference, ?) AS INTEGER)) FROM {table}"
                           f" WHERE {agency_column} = ? AND reference LIKE ?",
                           (start, vault.agency, f"{prefix}-{year}-%")) or 0
    return f"{prefix}-{year}-{last + 1:04d}"


# ---- flagging -----------------------------------------------------------------------------------


def flag(vault, data: dict) -> Notice:
    """Record that an item is inaccurate, out of date or inadequate, and what is wrong. When this
    desk is not the item's data controller the notice waits to go to it as a package."""
    require(vault.role, "corrections.flag", "flag information as inaccurate")
    item_type = str(data.get("item_type") or "")
    item = get_item(vault, item_type, data.get("item_id"))
    problems: list[Problem] = []
    name = data.get("field") or ""
    if name not in FIELDS[item_type]:
        problems.append(Problem("field", "Choose what is wrong: " + ", ".join(FIELDS[item_type].values())))
    problem = data.get("problem") or ""
    if problem not in PROBLEMS:
        problems.append(Problem("problem", "Choose whether it is inaccurate, out of date or inadequate"))
    details = check_text(problems, "details", data.get("details"), required=True,
                         missing="Say what is wrong with it", limit=MAX_DETAILS)
    suggested = check_text(problems, "suggested", data.get("suggested"), limit=MAX_DETAILS)
    _no_surrogates(problems, "details", details)
    _no_surrogates(problems, "suggested", suggested)
    raise_if(problems, "The flag was not saved")
    nid = new_id()
    now = utc_now_iso()
    status = "open" if item.controller == vault.agency else "to-send"
    with vault.db.transaction():
        reference = _next_reference(vault, "correction_notices", f"CN-{vault.agency}", "raised_by_agency")
        vault.db.execute(
            "INSERT INTO correction_notices (id, reference, raised_by_agency, controller, item_type, item_id, field,"
            " problem, details, suggested, raised_at, raised_by, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (nid, reference, vault.agency, item.controller, item_type, item.item_id, name, problem, details,
             suggested, now, vault.actor, status))
        vault.audit("correction.flagged", record_type="correction_notice", record_id=nid,
                    reason=f"{reference}: {item_type} {name} ({problem}), controller {item.controller}")
    return get_notice(vault, nid)


def get_notice(vault, notice_id: str) -> Notice:
    row = vault.db.one("SELECT * FROM correction_notices WHERE id = ? OR reference = ?"
                       " ORDER BY raised_by_agency = ? DESC LIMIT 1", (notice_id, notice_id, vault.agency))
    if row is None:
        raise InvalidInput(f"There is no correction notice {notice_id!r} on this desk.")
    return Notice.from_row(row)


def decline_notice(vault, notice_id: str, reason: str) -> Notice:
    """The data controller decides a notice needs no correction, and says why (kept on the
    register; the desk that raised it is told by the usual channels)."""
    require(vault.role, "corrections.record", "decide correction notices")
    notice = get_notice(vault, notice_id)
    if notice.controller != vault.agency:
        raise InvalidInput(f"{notice.reference} is for {notice.controller} to decide: it is that desk's information.")
    if notice.status in ("corrected", "declined"):
        raise InvalidInput(f"{notice.reference} is already {notice.status}; nothing was changed.")
    problems: list[Problem] = []
    reason = check_text(problems, "reason", reason, required=True, missing="Say why no correction is needed",
                        limit=MAX_DETAILS)
    _no_surrogates(problems, "reason", reason)
    raise_if(problems, "The notice was not declined")
    now = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute("UPDATE correction_notices SET status = 'declined', decline_reason = ?, closed_at = ?,"
                         " closed_by = ? WHERE id = ?", (reason, now, vault.actor, notice.id))
        vault.audit("correction.declined", record_type="correction_notice", record_id=notice.id,
                    reason=notice.reference)
    return get_notice(vault, notice.id)


# ---- recording a correction (the data controller) ------------------------------------------------


def recipients_for(vault, item: Item) -> list[str]:
    """Every other agency the disclosure register says this desk sent the item to."""
    if item.item_type == "subject":
        rows = vault.db.query("SELECT to_agency, subject_ids FROM disclosures WHERE direction = 'sent'"
                              " AND subject_ids LIKE ?", (f"%{item.item_id}%",))
        agencies = [r["to_agency"] for r in rows if item.item_id in loads(r["subject_ids"])]
    elif item.item_type == "response":
        agencies = [r["to_agency"] for r in vault.db.query(
            "SELECT to_agency FROM disclosures WHERE direction = 'sent' AND response_id = ?", (item.item_id,))]
    else:
        agencies = [r["to_agency"] for r in vault.db.query(
            "SELECT to_agency FROM disclosures WHERE direction = 'sent' AND request_id = ?", (item.item_id,))]
    return sorted({a for a in agencies if a != vault.agency})


def record_correction(vault, data: dict) -> Correction:
    """The data controller corrects an item: the new value becomes current, the old one is kept in
    the corrections table for the audit, and every recipient the disclosure register names gets a
    line to carry the correction to. Closes the notices of that item and field."""
    require(vault.role, "corrections.record", "record corrections")
    item_type = str(data.get("item_type") or "")
    item = get_item(vault, item_type, data.get("item_id"))
    name = data.get("field") or ""
    _check_type(item_type, name)
    if item.controller != vault.agency:
        who = load_agreement().partner_name(item.controller)
        raise InvalidInput(f"{who} is the data controller of this {item_type}: only that desk corrects it. Flag it "
                           "instead, so a correction notice goes to them (clause 7.2); nothing was changed.")
    notice = None
    if data.get("notice_id"):
        notice = get_notice(vault, data["notice_id"])
        if (notice.item_type, notice.item_id, notice.field) != (item_type, item.item_id, name):
            raise InvalidInput(f"{notice.reference} is about another item or field; nothing was changed.")
        if notice.status in ("corrected", "declined"):
            raise InvalidInput(f"{notice.reference} is already {notice.status}; nothing was changed.")
    problems: list[Problem] = []
    new_value = _check_value(item_type, name, data.get("new_value"), problems)
    reason = check_text(problems, "reason", data.get("reason"), required=True,
                        missing="Say why it is corrected (what was wrong)", limit=MAX_DETAILS)
    _no_surrogates(problems, "new_value", new_value)
    _no_surrogates(problems, "reason", reason)
    old_value = item.values[name]
    if not problems and new_value == old_value:
        problems.append(Problem("new_value", f"is the same as the current {field_words(item_type, name)}"))
    if item_type == "subject" and name == "date_of_birth" and new_value:
        kind = vault.db.scalar("SELECT kind FROM subjects WHERE id = ?", (item.item_id,))
        if kind != "person":
            problems.append(Problem("new_value", "Only a person has a date of birth"))
    raise_if(problems, "The correction was not recorded")
    cid = new_id()
    now = utc_now_iso()
    with vault.db.transaction():
        reference = _next_reference(vault, "corrections", f"COR-{vault.agency}", "controller")
        _write_value(vault, item, name, new_value, now)
        vault.db.execute(
            "INSERT INTO corrections (id, reference, controller, direction, item_type, item_id, field, old_value,"
            " new_value, reason, corrected_at, recorded_at, recorded_by) VALUES (?, ?, ?, 'made', ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?)", (cid, reference, vault.agency, item_type, item.item_id, name, json.dumps(old_value),
                       json.dumps(new_value), reason, now, now, vault.actor))
        for agency in recipients_for(vault, item):
            vault.db.execute("INSERT INTO correction_recipients (id, correction_id, agency, state)"
                             " VALUES (?, ?, ?, 'to-make')", (new_id(), cid, agency))
        vault.db.execute("UPDATE correction_notices SET status = 'corrected', correction_id = ?, closed_at = ?,"
                         " closed_by = ? WHERE item_type = ? AND item_id = ? AND field = ?"
                         " AND status NOT IN ('corrected','declined')",
                         (cid, now, vault.actor, item_type, item.item_id, name))
        vault.audit("correction.recorded", record_type=item_type, record_id=item.item_id,
                    reason=f"{reference}: {name}" + (f" for {notice.reference}" if notice else ""))
    return get_correction(vault, cid)


def _write_value(vault, item: Item, name: str, value, now: str) -> None:
    table = TABLES[item.item_type]
    stored = dumps(list(value)) if name in LIST_FIELDS else value
    # `table` and `name` are checked against this module's constants above, never raw input.
    vault.db.execute(f"UPDATE {table} SET {name} = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                     (stored, now, vault.actor, item.item_id))


def _recipients(vault, correction_id: str) -> tuple[Recipient, ...]:
    return tuple(Recipient(r["id"], r["agency"], r["state"], r["package_id"], r["made_at"], r["delivered_at"])
                 for r in vault.db.query("SELECT * FROM correction_recipients WHERE correction_id = ? ORDER BY agency",
                                         (correction_id,)))


def _correction(vault, row) -> Correction:
    values = {k: row[k] for k in Correction.__dataclass_fields__ if k != "recipients"}
    values["old_value"] = json.loads(row["old_value"])
    values["new_value"] = json.loads(row["new_value"])
    return Correction(**values, recipients=_recipients(vault, row["id"]))


def get_correction(vault, correction_id: str) -> Correction:
    row = vault.db.one("SELECT * FROM corrections WHERE id = ? OR reference = ?"
                       " ORDER BY controller = ? DESC LIMIT 1", (correction_id, correction_id, vault.agency))
    if row is None:
        raise InvalidInput(f"There is no correction {correction_id!r} on this desk.")
    return _correction(vault, row)


def corrections_of(vault, item_type: str, item_id: str) -> list[Correction]:
    return [_correction(vault, r) for r in vault.db.query(
        "SELECT * FROM corrections WHERE item_type = ? AND item_id = ? ORDER BY seq", (item_type, item_id))]


def notes_for(vault, item_type: str, item_id: str) -> list[str]:
    """What a record shows about its corrections, newest first: 'Corrected by HMRC on 03/12/2026:
    date of birth' (the old values stay in the register, never on the record)."""
    return [c.note() for c in reversed(corrections_of(vault, item_type, item_id))]


# ---- packages -----------------------------------------------------------------------------------


def _json_bytes(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _make(vault, *, kind: str, agency: str, reference: str, document_for, out_dir: Path, on_made):
    """Seal one package of `kind` to `agency` inside the caller's transaction; returns MadePackage."""
    from app.exchange import packages as pk

    card = pk._trusted_card(vault, agency)
    package_id = str(uuid.uuid4())
    name = pk._file_name(reference, kind, vault.agency, agency, package_id)
    path = out_dir / name
    if path.exists():
        raise InvalidInput(f"{path} already exists; choose another folder (nothing was made).")
    vault.audit("package.made", record_type="package", record_id=package_id, reason=f"{kind} {reference} to {agency}")
    head = vault.chain_head()
    document = _json_bytes(document_for(package_id))
    data = pk.seal(vault, kind=kind, document=document, recipient_card=card, reference=reference,
                   package_id=package_id, head=head)
    pk._record_made(vault, package_id=package_id, kind=kind, card=card, reference=reference, request_id=None,
                    document=document, head=head, file_name=name)
    on_made(package_id)
    write_private(path, data)
    email, _ = pk._email_for(vault, agency, ())
    return pk.MadePackage(agency, "", path, package_id, name, kind, email)


def _folder(out_dir) -> Path:
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InvalidInput(f"The folder {out_dir} does not exist; nothing was made.")
    return out_dir


def make_notice_package(vault, notice_id: str, out_dir):
    """Seal the notice for its data controller's desk (a `correction-notice` package)."""
    require(vault.role, "corrections.record", "send correction notices")
    out_dir = _folder(out_dir)
    notice = get_notice(vault, notice_id)
    if notice.raised_by_agency != vault.agency or notice.controller == vault.agency:
        raise InvalidInput(f"{notice.reference} is not a notice this desk sends to another desk; nothing was made.")
    if notice.status in ("corrected", "declined"):
        raise InvalidInput(f"{notice.reference} is already {notice.status}; nothing was made.")
    get_item(vault, notice.item_type, notice.item_id)  # still held

    def document(_package_id: str) -> dict:
        return {"format": NOTICE_FORMAT, "notice_id": notice.id, "reference": notice.reference,
                "item_type": notice.item_type, "item_id": notice.item_id, "field": notice.field,
                "problem": notice.problem, "details": notice.details, "suggested": notice.suggested,
                "raised_at": notice.raised_at}

    written: list[Path] = []
    try:
        with vault.db.transaction():
            def made(package_id: str) -> None:
                vault.db.execute("UPDATE correction_notices SET status = 'package-made', package_id = ?,"
                                 " package_made_at = ?, delivered_at = NULL WHERE id = ?",
                                 (package_id, utc_now_iso(), notice.id))

            result = _make(vault, kind="correction-notice", agency=notice.controller, reference=notice.reference,
                           document_for=document, out_dir=out_dir, on_made=made)
            written.append(result.path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return result


def make_correction_packages(vault, correction_id: str, out_dir, agencies=None) -> list:
    """A `correction` package for every recipient line still to make (or those of `agencies`),
    all or none: a recipient whose card is not trusted stops the lot with its name."""
    require(vault.role, "corrections.record", "send corrections")
    out_dir = _folder(out_dir)
    correction = get_correction(vault, correction_id)
    if correction.direction != "made" or correction.controller != vault.agency:
        raise InvalidInput(f"{correction.reference} was made by {correction.controller}; only that desk sends it.")
    lines = [r for r in correction.recipients if (r.state == "to-make" if agencies is None else r.agency in agencies)]
    if not lines:
        raise InvalidInput(f"{correction.reference} has no recipient left to send it to; nothing was made.")
    notice_ids = [r["id"] for r in vault.db.query("SELECT id FROM correction_notices WHERE correction_id = ?",
                                                  (correction.id,))]

    def document(_package_id: str) -> dict:
        return {"format": CORRECTION_FORMAT, "correction_id": correction.id, "reference": correction.reference,
                "item_type": correction.item_type, "item_id": correction.item_id, "field": correction.field,
                "old_value": correction.old_value, "new_value": correction.new_value, "reason": correction.reason,
                "corrected_at": correction.corrected_at, "notice_ids": notice_ids}

    made_list = []
    try:
        with vault.db.transaction():
            for line in lines:
                def made(package_id: str, line=line) -> None:
                    vault.db.execute("UPDATE correction_recipients SET state = 'package-made', package_id = ?,"
                                     " made_at = ?, delivered_at = NULL WHERE id = ?",
                                     (package_id, utc_now_iso(), line.id))

                made_list.append(_make(vault, kind="correction", agency=line.agency, reference=correction.reference,
                                       document_for=document, out_dir=out_dir, on_made=made))
    except BaseException:
        for result in made_list:
            result.path.unlink(missing_ok=True)
        raise
    return made_list


# ---- receiving (called by app.exchange.packages.receive, inside its transaction) ---------------


def _refused(name: str, problem: str) -> InvalidInput:
    return InvalidInput(f"{name} was refused, nothing was changed: {problem}.")


def _read(document: bytes, name: str, fmt: str, fields: set[str]) -> dict:
    from app.exchange.validate import parse_document

    doc, escapes = parse_document([document], f"{name}'s document")
    if not isinstance(doc, dict) or doc.get("format") != fmt or set(doc) != fields:
        raise _refused(name, f"its document is not a {fmt} document")
    for key, value in doc.items():
        if key in ("old_value", "new_value", "notice_ids"):
            continue
        if not isinstance(value, str):
            raise _refused(name, f"its {key} is not text")
    if escapes:
        problems: list[Problem] = []
        for key, value in doc.items():
            _no_surrogates(problems, key, value)
        if problems:
            raise _refused(name, f"its {problems[0].field} holds a broken character (an unpaired surrogate)")
    if doc["item_type"] not in FIELDS or doc["field"] not in FIELDS[doc["item_type"]]:
        raise _refused(name, "it names an item or field that cannot be corrected")
    return doc


def receive_package(vault, manifest: dict, document: bytes, name: str):
    """Import a correction notice (on the data controller) or apply a correction (on a recipient)."""
    from app.exchange.packages import Received

    sender = manifest["sender"]["agency"]
    who = load_agreement().partner(sender).name
    if manifest["kind"] == "correction-notice":
        doc = _read(document, name, NOTICE_FORMAT, {"format", "notice_id", "reference", "item_type", "item_id",
                                                     "field", "problem", "details", "suggested", "raised_at"})
        if doc["reference"] != manifest["reference"]:
            raise _refused(name, "its document is not for the reference its manifest names")
        if doc["problem"] not in PROBLEMS:
            raise _refused(name, f"{doc['problem']!r} is not inaccurate, out-of-date or inadequate")
        if len(doc["details"]) > MAX_DETAILS or len(doc["suggested"]) > MAX_DETAILS:
            raise _refused(name, "its text is longer than a notice may hold")
        item = get_item(vault, doc["item_type"], doc["item_id"])
        if item.controller != vault.agency:
            raise _refused(name, f"this desk is not the data controller of that {doc['item_type']} "
                                 f"({item.controller} is)")
        if vault.db.one("SELECT 1 FROM correction_notices WHERE raised_by_agency = ? AND reference = ?",
                        (sender, doc["reference"])) is not None:
            raise _refused(name, f"{who}'s notice {doc['reference']} is already held")
        now = utc_now_iso()
        vault.db.execute(
            "INSERT INTO correction_notices (id, reference, raised_by_agency, controller, item_type, item_id, field,"
            " problem, details, suggested, raised_at, raised_by, status, package_id, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (doc["notice_id"] if not vault.db.one("SELECT 1 FROM correction_notices WHERE id = ?",
                                                   (doc["notice_id"],)) else new_id(),
             doc["reference"], sender, vault.agency, doc["item_type"], item.item_id, doc["field"], doc["problem"],
             doc["details"], doc["suggested"], doc["raised_at"], f"{sender} desk", manifest["package_id"], now))
        vault.audit("correction.notice_received", record_type=doc["item_type"], record_id=item.item_id,
                    reason=f"{doc['reference']} from {sender}: {doc['field']}")
        return Received(manifest["kind"], manifest["package_id"], sender, doc["reference"],
                        f"Correction notice {doc['reference']} from {who}: {field_words(doc['item_type'], doc['field'])}"
                        f" of {_where(item)} is {PROBLEMS[doc['problem']].lower()}", request_id=item.request_id)
    doc = _read(document, name, CORRECTION_FORMAT, {"format", "correction_id", "reference", "item_type", "item_id",
                                                     "field", "old_value", "new_value", "reason", "corrected_at",
                                                     "notice_ids"})
    if doc["reference"] != manifest["reference"]:
        raise _refused(name, "its document is not for the reference its manifest names")
    item = get_item(vault, doc["item_type"], doc["item_id"])
    if item.controller != sender:
        # 7.2: the data controller corrects; a package from anyone else changes nothing.
        raise _refused(name, f"{who} is not the data controller of that {doc['item_type']} "
                             f"({item.controller} is); only {item.controller}'s desk can correct it")
    if vault.db.one("SELECT 1 FROM corrections WHERE controller = ? AND reference = ?",
                    (sender, doc["reference"])) is not None:
        raise _refused(name, f"{who}'s correction {doc['reference']} is already applied")
    try:
        parse_utc(doc["corrected_at"])
    except (ValueError, TypeError):
        raise _refused(name, "its time of correction is not a time") from None
    problems: list[Problem] = []
    new_value = _check_value(doc["item_type"], doc["field"], doc["new_value"], problems)
    _no_surrogates(problems, "new_value", new_value)
    reason = check_text(problems, "reason", doc["reason"], limit=MAX_DETAILS)
    if not isinstance(doc["notice_ids"], list) or not all(isinstance(n, str) for n in doc["notice_ids"]):
        problems.append(Problem("notice_ids", "is not a list of notice ids"))
    if problems:
        raise _refused(name, f"its {problems[0].field} {problems[0].message}")
    now = utc_now_iso()
    old_value = item.values[doc["field"]]
    cid = doc["correction_id"] if vault.db.one("SELECT 1 FROM corrections WHERE id = ?",
                                               (doc["correction_id"],)) is None else new_id()
    _write_value(vault, item, doc["field"], new_value, now)
    vault.db.execute(
        "INSERT INTO corrections (id, reference, controller, direction, item_type, item_id, field, old_value,"
        " new_value, reason, corrected_at, recorded_at, recorded_by, package_id)"
        " VALUES (?, ?, ?, 'applied', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (cid, doc["reference"], sender, doc["item_type"], item.item_id, doc["field"], json.dumps(old_value),
         json.dumps(new_value), reason, doc["corrected_at"], now, vault.actor, manifest["package_id"]))
    vault.db.execute("UPDATE correction_notices SET status = 'corrected', correction_id = ?, closed_at = ?,"
                     " closed_by = ? WHERE raised_by_agency = ? AND item_type = ? AND item_id = ? AND field = ?"
                     " AND status NOT IN ('corrected','declined')",
                     (cid, now, vault.actor, vault.agency, doc["item_type"], item.item_id, doc["field"]))
    vault.audit("correction.applied", record_type=doc["item_type"], record_id=item.item_id,
                reason=f"{doc['reference']} from {sender}: {doc['field']}")
    correction = get_correction(vault, cid)
    return Received(manifest["kind"], manifest["package_id"], sender, doc["reference"],
                    f"Correction {doc['reference']} from {who} applied: {correction.field_words} of {_where(item)}; "
                    f"the record now shows “{correction.note()}”", request_id=item.request_id)


def receipt_received(vault, package_id: str, at: str) -> None:
    """A signed receipt came back for a package this desk made: the notice is delivered, or the
    recipient's line is closed (called by app.exchange.packages inside its transaction)."""
    vault.db.execute("UPDATE correction_notices SET status = 'delivered', delivered_at = ?"
                     " WHERE package_id = ? AND status = 'package-made'", (at, package_id))
    vault.db.execute("UPDATE correction_recipients SET state = 'delivered', delivered_at = ? WHERE package_id = ?",
                     (at, package_id))


# ---- the register and what is outstanding --------------------------------------------------------


def register(vault, *, audit: bool = True) -> Register:
    """Every notice (raised here or received) and every correction (made or applied here), with each
    recipient's state; newest first."""
    require(vault.role, "corrections.read", "see the corrections register")
    out = Register(
        [Notice.from_row(r) for r in vault.db.query("SELECT * FROM correction_notices ORDER BY seq DESC")],
        [_correction(vault, r) for r in vault.db.query("SELECT * FROM corrections ORDER BY seq DESC")])
    if audit:
        vault.audit("corrections.listed", record_type="corrections",
                    reason=f"{len(out.notices)} notices, {len(out.corrections)} corrections")
    return out


def _age(since: str, now: _dt.datetime) -> int:
    return max(0, (now - parse_utc(since)).days)


def outstanding(vault, now: _dt.datetime | None = None) -> list[Outstanding]:
    """What waits, oldest first: notices not yet corrected or declined (to correct here, or to send
    or awaiting the controller), and recipients not yet confirmed by their receipt."""
    require(vault.role, "corrections.read", "see corrections outstanding")
    now = now or utc_now()
    items: list[Outstanding] = []
    for r in vault.db.query("SELECT * FROM correction_notices WHERE status NOT IN ('corrected','declined')"):
        notice = Notice.from_row(r)
        since = notice.received_at or notice.raised_at
        if notice.controller == vault.agency:
            source = "" if notice.raised_by_agency == vault.agency else f" from {notice.raised_by_agency}"
            what = f"Notice {notice.reference}{source}: correct the {notice.field_words} ({notice.item_type})"
        else:
            what = (f"Notice {notice.reference} to {notice.controller}: {notice.field_words} "
                    f"({notice.item_type}) — {NOTICE_STATES[notice.status].lower()}")
        items.append(Outstanding("notice", notice.id, notice.reference, what, since, _age(since, now)))
    for r in vault.db.query("SELECT r.*, c.reference, c.field, c.item_type, c.corrected_at FROM correction_recipients r"
                            " JOIN corrections c ON c.id = r.correction_id WHERE r.state != 'delivered'"):
        what = (f"Correction {r['reference']} ({field_words(r['item_type'], r['field'])}) to {r['agency']}: "
                f"{RECIPIENT_STATES[r['state']].lower()}")
        items.append(Outstanding("recipient", r["id"], r["reference"], what, r["corrected_at"],
                                 _age(r["corrected_at"], now)))
    items.sort(key=lambda o: o.since)
    return items


def forget_disposed(vault, items, certificate_ref: str) -> None:
    """Records disposed of (clause 9.3) keep their corrections and notices on the register by
    reference only: the old and new values and the free text go (call inside the disposal)."""
    gone = f"Disposed of ({certificate_ref})"
    for item_type, item_id in items:
        vault.db.execute("UPDATE corrections SET old_value = ?, new_value = ?, reason = ?"
                         " WHERE item_type = ? AND item_id = ?",
                         (json.dumps(gone), json.dumps(gone), gone, item_type, item_id))
        vault.db.execute("UPDATE correction_notices SET details = ?, suggested = '', decline_reason = ''"
                         " WHERE item_type = ? AND item_id = ?", (gone, item_type, item_id))


def counts(vault) -> dict:
    """Codes and numbers only (for `status` and the home screen)."""
    return {"notices_open": vault.db.scalar("SELECT count(*) FROM correction_notices"
                                            " WHERE status NOT IN ('corrected','declined')"),
            "recipients_awaiting": vault.db.scalar("SELECT count(*) FROM correction_recipients"
                                                   " WHERE state != 'delivered'")}


# ---- the joint compliance report (13.1) -----------------------------------------------------------


def corrections_section(scope):
    """The compliance report's corrections (7.2), for the period: notices raised here (on this
    desk's own information, or sent to the partner that controls it) and received from partners,
    where they stand now; corrections this desk made as data controller and applied from partners;
    and the recipients of this desk's corrections, delivered (receipt received) or outstanding,
    with the age of the oldest. Partner: the other desk of a notice, correction or recipient."""
    from app.compliance import Section

    db, us = scope.vault.db, scope.vault.agency
    period = (scope.start_utc, scope.end_utc)
    partner = scope.partner
    per: dict[str, dict] = {}

    def entry(code: str) -> dict:
        return per.setdefault(code, dict(sent=0, received=0, corrected=0, declined=0, open=0, applied=0,
                                         recipients=0, delivered=0, outstanding=0, oldest=None, over_week=0,
                                         delivery_days=0.0))

    other = "CASE WHEN raised_by_agency = ? THEN controller ELSE raised_by_agency END"
    for r in db.query(
            f"SELECT {other} AS partner, raised_by_agency = ? AS ours, count(*) AS n,"
            " sum(status = 'corrected') AS corrected, sum(status = 'declined') AS declined,"
            " sum(status NOT IN ('corrected', 'declined')) AS open FROM correction_notices"
            " WHERE coalesce(received_at, raised_at) >= ? AND coalesce(received_at, raised_at) < ?"
            + (f" AND {other} = ?" if partner else "") + " GROUP BY 1, 2",
            (us, us, *period) + ((us, partner) if partner else ())):
        e = entry(r["partner"])
        e["sent" if r["ours"] else "received"] += r["n"]
        for key in ("corrected", "declined", "open"):
            e[key] += r[key] or 0
    made = db.scalar(
        "SELECT count(*) FROM corrections c WHERE c.direction = 'made' AND c.corrected_at >= ? AND c.corrected_at < ?"
        + (" AND EXISTS (SELECT 1 FROM correction_recipients r WHERE r.correction_id = c.id AND r.agency = ?)"
           if partner else ""), period + ((partner,) if partner else ()))
    for r in db.query(
            "SELECT controller, count(*) AS n FROM corrections WHERE direction = 'applied' AND recorded_at >= ?"
            " AND recorded_at < ?" + (" AND controller = ?" if partner else "") + " GROUP BY controller",
            period + ((partner,) if partner else ())):
        entry(r["controller"])["applied"] = r["n"]
    now = scope.now.astimezone(_dt.timezone.utc).isoformat()
    for r in db.query(
            "SELECT r.agency, count(*) AS n, sum(r.state = 'delivered') AS delivered,"
            " sum(r.state != 'delivered') AS outstanding,"
            " max(CASE WHEN r.state != 'delivered' THEN julianday(?) - julianday(c.corrected_at) END) AS oldest,"
            " sum(r.state != 'delivered' AND julianday(?) - julianday(c.corrected_at) > 7) AS over_week,"
            " sum(CASE WHEN r.state = 'delivered' THEN julianday(r.delivered_at) - julianday(c.corrected_at) END)"
            " AS delivery_days FROM correction_recipients r JOIN corrections c ON c.id = r.correction_id"
            " WHERE c.direction = 'made' AND c.corrected_at >= ? AND c.corrected_at < ?"
            + (" AND r.agency = ?" if partner else "") + " GROUP BY r.agency",
            (now, now, *period) + ((partner,) if partner else ())):
        e = entry(r["agency"])
        e.update(recipients=r["n"], delivered=r["delivered"] or 0, outstanding=r["outstanding"] or 0,
                 over_week=r["over_week"] or 0, oldest=None if r["oldest"] is None else max(0, int(r["oldest"])),
                 delivery_days=r["delivery_days"] or 0.0)
    agreement = load_agreement()
    order = {code: n for n, code in enumerate(agreement.partner_codes())}

    def total(key: str) -> int:
        return sum(e[key] for e in per.values())

    own = per.get(us, {}).get("sent", 0)
    oldest = max((e["oldest"] for e in per.values() if e["oldest"] is not None), default=None)
    delivered = total("delivered")
    average = sum(e["delivery_days"] for e in per.values()) / delivered if delivered else None
    lines = (f"Correction notices in the period: {total('sent')} raised here ({own} on this desk's own information, "
             f"{total('sent') - own} sent to the partner that controls it), {total('received')} received from "
             f"partners; now {total('corrected')} corrected, {total('declined')} declined, {total('open')} open.",
             f"Corrections: {made} made by this desk as data controller, {total('applied')} applied here from "
             "partners.",
             f"Recipients of this desk's corrections: {total('recipients')}; {delivered} delivered (receipt "
             "received)" + (f", on average {average:.1f} days after the correction" if average is not None else "")
             + f"; {total('outstanding')} outstanding" + (f", the oldest {_days_words(oldest)} old, "
                                                          f"{total('over_week')} older than 7 days"
                                                          if oldest is not None else "") + ".")
    rows = tuple((agreement.partner_name(code) if code != us else f"{agreement.partner_name(code)} (this desk)",
                  *(str(e[k]) for k in ("sent", "received", "open", "applied", "delivered", "outstanding")),
                  "–" if e["oldest"] is None else str(e["oldest"]))
                 for code, e in sorted(per.items(), key=lambda kv: order.get(kv[0], 99)))
    return Section("corrections", "Corrections and their delivery", "7.2", lines,
                   ("Partner", "Notices sent", "Notices received", "Still open", "Applied from them",
                    "Delivered to them", "Awaiting receipt", "Oldest (days)"), rows,
                   (2.6, 1.1, 1.2, 1.0, 1.2, 1.2, 1.4, 1.1))


def _days_words(days: int) -> str:
    return f"{days} day{'' if days == 1 else 's'}"
