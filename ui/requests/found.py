"""How a search hit reads in the results table: enough to tell two people apart (issue 17).

Kind, name and aliases, date of birth, the role on the request named, that request and its date,
and how the name matched ("sounds like" and "other spelling" say that the name as typed is not
the name held). Every value is user text shown through QTableWidgetItem (plain text).
"""

from __future__ import annotations

from app import textcheck
from app.subjects import ROLES
from ui.kit.formatting import uk_date

COLUMNS = ("Found", "Kind", "Match", "Also known as", "Date of birth", "Role", "Request", "Request date")

KIND_WORDS = {"person": "Person", "location": "Location", "business": "Business",
              "request": "Request", "response": "Response"}
MATCH_WORDS = {"words": "As typed", "spelling": "Other spelling or script", "sounds like": "Sounds like"}


def _shown(text: str) -> str:
    label = textcheck.visible(text or "")
    return f"⚠ {label}  [hidden characters]" if textcheck.has_hidden(text or "") else label


def hit_cells(hit) -> tuple[str, ...]:
    """The row for one hit, in COLUMNS order."""
    kind = KIND_WORDS.get(hit.subject_kind or hit.kind, hit.kind)
    return (_shown(hit.label), kind, MATCH_WORDS.get(hit.match, hit.match),
            ", ".join(_shown(a) for a in hit.aliases), uk_date(hit.date_of_birth) if hit.date_of_birth else "",
            ROLES.get(hit.role or "", ""), hit.reference or "(not on a request)",
            uk_date(hit.request_date) if hit.request_date else "")


def found_text(text: str, hits, truncated: bool) -> str:
    """The line above the results: what was searched, and what to do when nothing was found."""
    count = len(hits)
    typed = " ".join(text.split())
    if len(typed) > 60:
        typed = typed[:59] + "…"
    if not count:
        return (f"Nothing found for “{typed}” in references, names and aliases (in any script or spelling, and "
                "names that sound alike), addresses, identifiers, or the text of requests and responses. "
                "Try fewer words, the start of a name, or only the family name.")
    from ui.kit.formatting import plural
    line = f"{plural(count, 'match', 'matches')} for “{typed}”"
    if truncated:
        line += " (more exist: add words to narrow the search)"
    if any(hit.match == "sounds like" for hit in hits):
        line += ". “Sounds like” rows are other names that sound the same: check the date of birth"
    return line + ". Open one to see its request."
