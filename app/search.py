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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.errors import InvalidInput
from app.roles import require

MAX_TERMS = 12
MAX_TERM_LENGTH = 100
KINDS = ("request", "subject", "response")


@dataclass(frozen=True)
class SearchHit:
    kind: str  # request, subject or response
    record_id: str
    request_id: str | None  # the request to open (for a subject: the newest it is on)
    reference: str | None
    label: str  # what to show: the reference, the subject's name, or "Response from HMRC"


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
_REFERENCE_SQL = ("SELECT r.id, r.reference FROM requests_fts JOIN requests r ON r.seq = requests_fts.rowid"
                  " WHERE requests_fts MATCH ? AND r.reference = ? COLLATE NOCASE"
                  " ORDER BY requests_fts.rowid DESC")

_SQL = {
    "request": "SELECT r.id AS record_id, r.id AS request_id, r.reference AS reference, r.reference AS label"
               " FROM requests_fts JOIN requests r ON r.seq = requests_fts.rowid"
               " WHERE requests_fts MATCH ? ORDER BY requests_fts.rowid DESC LIMIT ?",
    "subject": "SELECT s.id AS record_id, s.name AS label"
               " FROM subjects_fts JOIN subjects s ON s.seq = subjects_fts.rowid"
               " WHERE subjects_fts MATCH ? ORDER BY subjects_fts.rowid DESC LIMIT ?",
    "response": "SELECT p.id AS record_id, r.id AS request_id, r.reference AS reference,"
                " 'Response from ' || d.agency AS label"
                " FROM responses_fts JOIN responses p ON p.seq = responses_fts.rowid"
                " JOIN dispatches d ON d.id = p.dispatch_id JOIN requests r ON r.id = d.request_id"
                " WHERE responses_fts MATCH ? ORDER BY responses_fts.rowid DESC LIMIT ?",
}


# Each subject hit names its newest request: one query for all the hits, not two correlated
# subqueries per hit. The newest seq per subject comes from indexes alone (request_subjects by
# subject, requests' id index holds the seq); only the winning request rows are then read.
_NEWEST_REQUEST_SQL = ("SELECT newest.subject_id, r.id AS request_id, r.reference"
                       " FROM (SELECT rs.subject_id, MAX(q.seq) AS seq"
                       "       FROM request_subjects rs JOIN requests q ON q.id = rs.request_id"
                       "       WHERE rs.subject_id IN ({marks}) GROUP BY rs.subject_id) newest"
                       " JOIN requests r ON r.seq = newest.seq")


def _newest_requests(vault, subject_ids: list[str]) -> dict[str, tuple[str, str]]:
    if not subject_ids:
        return {}
    sql = _NEWEST_REQUEST_SQL.format(marks=", ".join("?" * len(subject_ids)))
    return {row["subject_id"]: (row["request_id"], row["reference"]) for row in vault.db.query(sql, subject_ids)}


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
            hits.append(SearchHit("request", row["id"], row["id"], row["reference"], row["reference"]))
            seen.add(("request", row["id"]))
    for kind in kinds:
        if kind not in _SQL:
            raise InvalidInput(f"Unknown kind of record {kind!r}; choose from {', '.join(KINDS)}.")
        rows = vault.db.query(_SQL[kind], (query, limit + 1))
        if len(rows) > limit:
            truncated, rows = True, rows[:limit]
        if kind == "subject":
            newest = _newest_requests(vault, [row["record_id"] for row in rows])
            for row in rows:
                request_id, reference = newest.get(row["record_id"], (None, None))
                hits.append(SearchHit(kind, row["record_id"], request_id, reference, row["label"]))
            continue
        for row in rows:
            if (kind, row["record_id"]) in seen:
                continue
            seen.add((kind, row["record_id"]))
            hits.append(SearchHit(kind, row["record_id"], row["request_id"], row["reference"], row["label"]))
    vault.audit("search", record_type="search", reason=f"{len(hits)} hits")
    return SearchResult(hits, truncated)
