"""Full-text search (SQLite FTS5) over references, subject names and aliases (and addresses,
identifiers), request text and response text.

The index is three external-content FTS5 tables kept in step by triggers (migration v4), with
the `unicode61 remove_diacritics 2` tokenizer, so "nguyen" finds "Nguyễn" and Cyrillic works.
What the user types is never passed to FTS5 as syntax: it is split into words, each word is
quoted (a double quote doubled) and matched as a prefix, and the words are ANDed. Input with no
searchable word is refused with a clear `InvalidInput`. Every search is audited with the number
of hits, never the words searched for. Pure Python, no Qt; run it in a worker for large vaults.

Hits come newest first (the FTS rowid is the record's `seq`), not by bm25 rank: SPOCs look for a
name or a reference and want the recent requests first, and `ORDER BY rowid DESC LIMIT n` lets
FTS5 walk its doclists backwards and stop after n matches, where `ORDER BY rank` scored every
match of a common word first (224 ms for one word over 100,000 requests, against about 7 ms).
A typed reference is looked up through the index too (the phrase in the reference column, then
the exact reference), so it is as quick at 100,000 requests as at 100.

Names are also found across scripts and spellings (issue 17) through the `subject_keys` index
of migration 18 (app/namekeys.py): what was typed is transliterated and matched against each
subject's name and aliases in ASCII ("Shevchenko" finds "Миколай Шевченко"; `match` is
"spelling"), then by the Metaphone code of each word ("Mohammed" finds "Muhammad"; `match` is
"sounds like", and the screen says so). Direct matches come first, then spellings, then sounds;
a subject found one way is not listed again. Each subject hit carries what tells two people
apart: kind, aliases, date of birth, and its role on its newest request with that request's date.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import NamedTuple

from app.errors import InvalidInput
from app.namekeys import sound_codes, spelled
from app.roles import require

MAX_TERMS = 12
MAX_TERM_LENGTH = 100
KINDS = ("request", "subject", "response")


class SearchHit(NamedTuple):
    """One hit (a tuple: built for every row of every search, so as cheap as Python allows)."""

    kind: str  # request, subject or response
    record_id: str
    request_id: str | None  # the request to open (for a subject: the newest it is on)
    reference: str | None
    label: str  # what to show: the reference, the subject's name, or "Response from HMRC"
    match: str = "words"  # words (as typed), spelling (another script or spelling), sounds like
    subject_kind: str | None = None  # person, location, business (subjects only)
    aliases: tuple[str, ...] = ()
    date_of_birth: str | None = None  # ISO date
    role: str | None = None  # the subject's role on the request named (potential-victim, ...)
    request_date: str | None = None  # ISO date of the request named

    def as_json(self) -> dict:
        """The hit as the CLI prints it (the same facts the screen shows)."""
        return {"kind": self.kind, "match": self.match, "reference": self.reference, "label": self.label,
                "record_id": self.record_id, "request_id": self.request_id, "request_date": self.request_date,
                "subject_kind": self.subject_kind, "aliases": list(self.aliases),
                "date_of_birth": self.date_of_birth, "role": self.role}


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    truncated: bool  # more hits than `limit` exist in at least one kind


def build_query(text: str) -> str:
    """The FTS5 MATCH expression for what a user typed: quoted prefix terms, ANDed."""
    if not isinstance(text, str):
        raise InvalidInput("Enter a name, reference or words to search for.")
    terms = []
    for word in text.split():
        word = word[:MAX_TERM_LENGTH]
        if not any(ch.isalnum() for ch in word):
            continue
        terms.append('"' + word.replace('"', '""') + '"*')
        if len(terms) == MAX_TERMS:
            break
    if not terms:
        raise InvalidInput("Enter a name, reference or words to search for (letters or numbers).")
    return " AND ".join(terms)


_REFERENCE = re.compile(r"^[A-Za-z]{2,8}-\d{4}-\d{1,7}$")

# The reference column's phrase narrows to a few rows through the index; the comparison keeps the
# exact (case-blind) match. A plain `reference = ?` scans the table: its unique index is
# (origin_agency, reference).
_REFERENCE_SQL = ("SELECT r.id, r.reference, r.request_date FROM requests_fts JOIN requests r ON r.seq = requests_fts.rowid"
                  " WHERE requests_fts MATCH ? AND r.reference = ? COLLATE NOCASE"
                  " ORDER BY requests_fts.rowid DESC")

_SQL = {
    "request": "SELECT r.id AS record_id, r.id AS request_id, r.reference AS reference, r.reference AS label,"
               " r.request_date AS request_date"
               " FROM requests_fts JOIN requests r ON r.seq = requests_fts.rowid"
               " WHERE requests_fts MATCH ? ORDER BY requests_fts.rowid DESC LIMIT ?",
    "subject": "SELECT s.id AS record_id, s.name AS label, s.kind, s.aliases, s.date_of_birth"
               " FROM subjects_fts JOIN subjects s ON s.seq = subjects_fts.rowid"
               " WHERE subjects_fts MATCH ? ORDER BY subjects_fts.rowid DESC LIMIT ?",
    "response": "SELECT p.id AS record_id, r.id AS request_id, r.reference AS reference,"
                " 'Response from ' || d.agency AS label, r.request_date AS request_date"
                " FROM responses_fts JOIN responses p ON p.seq = responses_fts.rowid"
                " JOIN dispatches d ON d.id = p.dispatch_id JOIN requests r ON r.id = d.request_id"
                " WHERE responses_fts MATCH ? ORDER BY responses_fts.rowid DESC LIMIT ?",
}

# Names in another script or spelling, and names that sound alike: the keys of migration 18.
_WORDS = re.compile(r"[a-z0-9]+")
# Each subject hit names its newest request in the same statement: per row one seek on
# request_subjects_newest (subject, the request's seq; migration 18) for the newest seq, then the
# request row and the link's role. LEFT JOINs keep a subject on no request, and never drop a row,
# so the FTS walk newest first still stops after `LIMIT` rows.
_NAMED = ("SELECT s.seq, s.id AS record_id, s.name AS label, s.kind, s.aliases, s.date_of_birth,"
          " r.id AS request_id, r.reference, r.request_date, link.role{extra}"
          " FROM {fts} JOIN subjects s ON s.seq = {fts}.rowid"
          " LEFT JOIN requests r ON r.seq = (SELECT max(request_seq) FROM request_subjects WHERE subject_id = s.id)"
          " LEFT JOIN request_subjects link ON link.request_id = r.id AND link.subject_id = s.id"
          " WHERE {fts} MATCH ?{where} ORDER BY {fts}.rowid DESC LIMIT ?")
_SUBJECT_SQL = _NAMED.format(extra="", fts="subjects_fts", where="")

# Names in another script or spelling, and names that sound alike: the keys of migration 18.
# Subjects already found as typed are left out in the statement ({marks}: placeholders only).
_WORDS = re.compile(r"[a-z0-9]+")
_KEYS_SQL = _NAMED.format(extra=", subject_keys.spelled", fts="subject_keys",
                          where=" AND subject_keys.rowid NOT IN ({marks})")


def spelling_query(text: str) -> str | None:
    """The MATCH expression for `text` transliterated, against the `spelled` key; None when the
    transliteration has no searchable word."""
    try:
        return "spelled : (" + build_query(spelled(text)) + ")"
    except InvalidInput:
        return None


def sounds_query(text: str) -> str | None:
    """The MATCH expression for names that sound like `text`: every word's Metaphone code, and
    any word too short or without letters as a spelled prefix. None when no word has a code."""
    parts, coded = [], False
    for word in text.split()[:MAX_TERMS]:
        codes = sound_codes(word[:MAX_TERM_LENGTH])
        if codes:
            coded = True
            parts += ['sounds : "' + code + '"' for code in codes]  # codes are A-Z only
        else:
            try:
                parts.append("spelled : (" + build_query(spelled(word)) + ")")
            except InvalidInput:
                continue
    return " AND ".join(parts) if coded else None


def _aliases(value) -> tuple[str, ...]:
    if not value or value == "[]":  # most subjects have none: no JSON parse for them
        return ()
    try:
        items = json.loads(value or "[]")
    except ValueError:
        return ()
    return tuple(a for a in items if isinstance(a, str)) if isinstance(items, list) else ()


def _subject_rows(vault, text: str, query: str, limit: int) -> tuple[list[tuple[object, str]], bool]:
    """Subjects matching `text`: as typed, then in another spelling or script, then sounding
    alike; at most `limit`, each once, with how it was found."""
    rows = vault.db.query(_SUBJECT_SQL, (query, limit + 1))
    if len(rows) > limit:
        return [(row, "words") for row in rows[:limit]], True  # full: a looser match would only be cut
    found: list[tuple[object, str]] = [(row, "words") for row in rows]
    if _REFERENCE.match(text.strip()):
        return found, False  # a reference is not a name
    # One query for both looser matches: a row whose spelled key holds every typed word (as a
    # prefix) is another spelling; the rest matched on sound alone.
    loose = [f"({e})" for e in (spelling_query(text), sounds_query(text)) if e]
    if not loose:
        return found, False
    room = limit - len(found)
    seen = [row["seq"] for row in rows] or [0]
    sql = _KEYS_SQL.format(marks=", ".join("?" * len(seen)))
    rows = vault.db.query(sql, (" OR ".join(loose), *seen, room + 1))
    terms = _WORDS.findall(spelled(" ".join(text.split()[:MAX_TERMS])))
    spellings, sounds = [], []
    for row in rows:
        held = _WORDS.findall(row["spelled"])
        spelt = bool(terms) and all(any(w.startswith(t) for w in held) for t in terms)
        (spellings if spelt else sounds).append((row, "spelling" if spelt else "sounds like"))
    more = spellings + sounds
    return found + more[:room], len(more) > room


def search(vault, text: str, limit: int = 50, *, kinds=KINDS) -> SearchResult:
    """Requests, subjects and responses matching every word of `text` (as word prefixes)."""
    require(vault.role, "search", "search")
    query = build_query(text)
    limit = max(1, min(int(limit), 1000))
    hits: list[SearchHit] = []
    truncated = False
    seen: set[tuple[str, str]] = set()
    stripped = text.strip()
    if "request" in kinds and _REFERENCE.match(stripped):
        phrase = 'reference : "' + stripped + '"'  # the pattern admits no quote
        for row in vault.db.query(_REFERENCE_SQL, (phrase, stripped)):
            hits.append(SearchHit("request", row["id"], row["id"], row["reference"], row["reference"],
                                  request_date=row["request_date"]))
            seen.add(("request", row["id"]))
    for kind in kinds:
        if kind not in _SQL:
            raise InvalidInput(f"Unknown kind of record {kind!r}; choose from {', '.join(KINDS)}.")
        if kind == "subject":
            found, more = _subject_rows(vault, text, query, limit)
            truncated = truncated or more
            hits.extend(SearchHit(kind, row["record_id"], row["request_id"], row["reference"], row["label"], match,
                                  row["kind"], _aliases(row["aliases"]), row["date_of_birth"], row["role"],
                                  row["request_date"]) for row, match in found)
            continue
        rows = vault.db.query(_SQL[kind], (query, limit + 1))
        if len(rows) > limit:
            truncated, rows = True, rows[:limit]
        for row in rows:
            if (kind, row["record_id"]) in seen:
                continue
            seen.add((kind, row["record_id"]))
            hits.append(SearchHit(kind, row["record_id"], row["request_id"], row["reference"], row["label"],
                                  request_date=row["request_date"]))
    vault.audit("search", record_type="search", reason=f"{len(hits)} hits")
    return SearchResult(hits, truncated)
