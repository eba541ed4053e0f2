"""Subjects of requests: people, locations and businesses (Appendix 2, "subjects").

A subject is stored once and linked to many requests, with its role on each request (potential
victim, suspected perpetrator, associate, unknown). Names are stored exactly as entered, in one
field (no given/family split: naming orders differ across cultures); `app.textcheck` flags
hidden characters for display. Aliases, addresses and identifiers are lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import InvalidInput
from app.records import (Problem, check_date, check_text, check_texts, dumps, loads, new_id,
                         raise_if)
from app.roles import require
from app.timeutil import utc_now_iso

KINDS = ("person", "location", "business")
ROLES = {
    "potential-victim": "Potential victim",
    "suspected-perpetrator": "Suspected perpetrator",
    "associate": "Associate",
    "unknown": "Unknown",
}
FIELDS = ("kind", "name", "aliases", "date_of_birth", "addresses", "identifiers", "description")


@dataclass(frozen=True)
class Subject:
    id: str
    origin_agency: str
    kind: str
    name: str
    aliases: tuple[str, ...]
    date_of_birth: str | None
    addresses: tuple[str, ...]
    identifiers: tuple[dict, ...]  # {"type": "NI number", "value": "..."}
    description: str
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    seq: int = 0
    role: str | None = None  # the role on one request, when read through a request

    @classmethod
    def from_row(cls, row, role: str | None = None) -> "Subject":
        return cls(id=row["id"], origin_agency=row["origin_agency"], kind=row["kind"], name=row["name"],
                   aliases=tuple(loads(row["aliases"])), date_of_birth=row["date_of_birth"],
                   addresses=tuple(loads(row["addresses"])),
                   identifiers=tuple(loads(row["identifiers"])), description=row["description"],
                   created_at=row["created_at"], created_by=row["created_by"],
                   updated_at=row["updated_at"], updated_by=row["updated_by"], seq=row["seq"], role=role)


def validate_subject(data: dict, prefix: str = "") -> tuple[list[Problem], dict]:
    """Problems with a subject's fields, and the cleaned values."""
    problems: list[Problem] = []
    clean: dict = {}
    kind = data.get("kind") or "person"
    if kind not in KINDS:
        problems.append(Problem(prefix + "kind", f"Choose person, location or business, not {kind!r}"))
    clean["kind"] = kind
    what = {"person": "the person's name", "location": "a name or description of the location",
            "business": "the business name"}.get(kind, "a name")
    clean["name"] = check_text(problems, prefix + "name", data.get("name"), required=True,
                               missing=f"Enter {what}", limit=10_000)
    clean["aliases"] = check_texts(problems, prefix + "aliases", data.get("aliases"))
    clean["date_of_birth"] = check_date(problems, prefix + "date_of_birth", data.get("date_of_birth"),
                                        required=False, missing="", what="Date of birth")
    if clean["date_of_birth"] and kind != "person":
        problems.append(Problem(prefix + "date_of_birth", "Only a person has a date of birth"))
    clean["addresses"] = check_texts(problems, prefix + "addresses", data.get("addresses"))
    identifiers = data.get("identifiers") or []
    ok = isinstance(identifiers, (list, tuple)) and all(
        isinstance(i, dict) and set(i) <= {"type", "value"} and isinstance(i.get("type", ""), str)
        and isinstance(i.get("value", ""), str) for i in identifiers)
    if not ok:
        problems.append(Problem(prefix + "identifiers", "Each identifier needs a type and a value, as text"))
        identifiers = []
    clean["identifiers"] = [{"type": i.get("type", ""), "value": i.get("value", "")} for i in identifiers
                            if (i.get("value") or "").strip()]
    clean["description"] = check_text(problems, prefix + "description", data.get("description"))
    return problems, clean


def check_role(role: str, field: str = "role") -> list[Problem]:
    if role not in ROLES:
        return [Problem(field, f"Choose the subject's role: {', '.join(ROLES)}")]
    return []


def create_subject(vault, data: dict) -> Subject:
    require(vault.role, "requests.write", "add subjects")
    problems, clean = validate_subject(data)
    raise_if(problems, "The subject was not saved")
    sid = new_id()
    now = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO subjects (id, origin_agency, kind, name, aliases, date_of_birth, addresses,"
            " identifiers, description, created_at, created_by, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sid, vault.agency, clean["kind"], clean["name"], dumps(clean["aliases"]), clean["date_of_birth"],
             dumps(clean["addresses"]), dumps(clean["identifiers"]), clean["description"],
             now, vault.actor, now, vault.actor))
        vault.audit("subject.created", record_type="subject", record_id=sid)
    return _get(vault, sid)


def update_subject(vault, subject_id: str, data: dict) -> Subject:
    require(vault.role, "requests.write", "edit subjects")
    current = _get(vault, subject_id)
    merged = {f: getattr(current, f) for f in FIELDS}
    merged.update({k: v for k, v in data.items() if k in FIELDS})
    problems, clean = validate_subject(merged)
    raise_if(problems, "The subject was not saved")
    with vault.db.transaction():
        vault.db.execute(
            "UPDATE subjects SET kind = ?, name = ?, aliases = ?, date_of_birth = ?, addresses = ?,"
            " identifiers = ?, description = ?, updated_at = ?, updated_by = ? WHERE id = ?",
            (clean["kind"], clean["name"], dumps(clean["aliases"]), clean["date_of_birth"],
             dumps(clean["addresses"]), dumps(clean["identifiers"]), clean["description"],
             utc_now_iso(), vault.actor, subject_id))
        vault.audit("subject.updated", record_type="subject", record_id=subject_id)
    return _get(vault, subject_id)


def _get(vault, subject_id: str) -> Subject:
    row = vault.db.one("SELECT * FROM subjects WHERE id = ?", (subject_id,))
    if row is None:
        raise InvalidInput(f"There is no subject {subject_id} in this vault.")
    return Subject.from_row(row)


def get_subject(vault, subject_id: str) -> Subject:
    require(vault.role, "requests.read", "see subjects")
    subject = _get(vault, subject_id)
    vault.audit("subject.viewed", record_type="subject", record_id=subject_id)
    return subject


def subjects_of_request(vault, request_id: str) -> list[Subject]:
    rows = vault.db.query(
        "SELECT s.*, rs.role AS link_role FROM request_subjects rs JOIN subjects s ON s.id = rs.subject_id"
        " WHERE rs.request_id = ? ORDER BY rs.position, s.seq", (request_id,))
    return [Subject.from_row(r, role=r["link_role"]) for r in rows]


def requests_of_subject(vault, subject_id: str) -> list[tuple[str, str, str]]:
    """(request id, reference, role) for every request the subject appears on."""
    require(vault.role, "requests.read", "see requests")
    rows = vault.db.query(
        "SELECT r.id, r.reference, rs.role FROM request_subjects rs JOIN requests r ON r.id = rs.request_id"
        " WHERE rs.subject_id = ? ORDER BY r.seq", (subject_id,))
    return [(r["id"], r["reference"], r["role"]) for r in rows]


def list_subjects(vault, *, after: int | None = None, limit: int = 200, kind: str | None = None):
    """Subjects, newest first, keyset paged on `seq` (returns app.records.Page)."""
    from app.records import Page

    require(vault.role, "requests.read", "list subjects")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"Unknown kind {kind!r}; choose person, location or business.")
    limit = max(1, min(int(limit), 5000))
    rows = vault.db.query(
        "SELECT * FROM subjects WHERE (? IS NULL OR seq < ?) AND (? IS NULL OR kind = ?)"
        " ORDER BY seq DESC LIMIT ?", (after, after, kind, kind, limit))
    items = [Subject.from_row(r) for r in rows]
    if after is None:
        vault.audit("subjects.listed", record_type="subject", reason=f"{len(items)} shown")
    return Page(items, items[-1].seq if len(items) == limit else None)


def count_subjects(vault, kind: str | None = None) -> int:
    require(vault.role, "requests.read", "count subjects")
    return vault.db.scalar("SELECT count(*) FROM subjects WHERE (? IS NULL OR kind = ?)", (kind, kind))


def find_subjects(vault, text: str = "", *, kind: str | None = None, limit: int = 500) -> list[Subject]:
    """Subjects whose name, aliases, addresses, identifiers or description match what was typed
    (the full-text index: any script, accents ignored), newest first; all subjects when blank."""
    from app.search import build_query

    require(vault.role, "requests.read", "list subjects")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"Unknown kind {kind!r}; choose person, location or business.")
    limit = max(1, min(int(limit), 5000))
    if not (text or "").strip():
        rows = vault.db.query("SELECT * FROM subjects WHERE (? IS NULL OR kind = ?) ORDER BY seq DESC LIMIT ?",
                              (kind, kind, limit))
    else:
        rows = vault.db.query(
            "SELECT s.* FROM subjects_fts JOIN subjects s ON s.seq = subjects_fts.rowid WHERE subjects_fts MATCH ?"
            " AND (? IS NULL OR s.kind = ?) ORDER BY subjects_fts.rowid DESC LIMIT ?",
            (build_query(text), kind, kind, limit))
    items = [Subject.from_row(r) for r in rows]
    vault.audit("subjects.listed", record_type="subject", reason=f"{len(items)} shown")
    return items


def cases_of_subject(vault, subject_id: str) -> list[tuple[str, str, str]]:
    """(case id, reference, title) of the cases the subject appears in: through a linked request,
    or a link recorded under the case."""
    require(vault.role, "cases.read", "see cases")
    rows = vault.db.query(
        "SELECT DISTINCT c.id, c.reference, c.title, c.seq FROM cases c WHERE c.id IN ("
        " SELECT q.case_id FROM case_requests q JOIN request_subjects rs ON rs.request_id = q.request_id"
        " WHERE rs.subject_id = ? UNION SELECT l.case_id FROM subject_links l WHERE l.case_id IS NOT NULL"
        " AND (l.from_subject = ? OR l.to_subject = ?)) ORDER BY c.seq", (subject_id, subject_id, subject_id))
    return [(r["id"], r["reference"], r["title"]) for r in rows]


def meetings_of_subject(vault, subject_id: str) -> list[tuple[str, str, str]]:
    """(meeting id, reference, held_at) of the meetings whose agenda holds a request the subject is
    on, or a case the subject appears in."""
    require(vault.role, "meetings.read", "see tactical meetings")
    rows = vault.db.query(
        "SELECT DISTINCT m.id, m.reference, m.held_at FROM meetings m JOIN meeting_agenda_items i"
        " ON i.meeting_id = m.id WHERE i.request_id IN (SELECT request_id FROM request_subjects WHERE subject_id = ?)"
        " OR i.case_id IN (SELECT q.case_id FROM case_requests q JOIN request_subjects rs"
        " ON rs.request_id = q.request_id WHERE rs.subject_id = ?) ORDER BY m.held_at",
        (subject_id, subject_id))
    return [(r["id"], r["reference"], r["held_at"]) for r in rows]
