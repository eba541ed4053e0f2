"""Find invisible characters in names: bidirectional controls and zero-width characters.

Names are stored exactly as entered (they may be legitimately non-Latin, right-to-left, or use a
zero-width joiner), but a hidden RIGHT-TO-LEFT OVERRIDE can make "Ion Popescu" show as something
else, and a zero-width space makes two identical-looking names different. The UI shows such
characters visibly with `visible()` and flags the field with `findings()`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

BIDI_CONTROLS = {
    "\u061c": "ARABIC LETTER MARK",
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u200f": "RIGHT-TO-LEFT MARK",
    "\u202a": "LEFT-TO-RIGHT EMBEDDING",
    "\u202b": "RIGHT-TO-LEFT EMBEDDING",
    "\u202c": "POP DIRECTIONAL FORMATTING",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u2068": "FIRST STRONG ISOLATE",
    "\u2069": "POP DIRECTIONAL ISOLATE",
}
ZERO_WIDTH = {
    "\u200b": "ZERO WIDTH SPACE",
    "\u200c": "ZERO WIDTH NON-JOINER",
    "\u200d": "ZERO WIDTH JOINER",
    "\u2060": "WORD JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE",
    "\u180e": "MONGOLIAN VOWEL SEPARATOR",
    "\u00ad": "SOFT HYPHEN",
}


@dataclass(frozen=True)
class Finding:
    index: int  # position in the string
    char: str
    kind: str  # "bidi" or "zero-width" or "control"
    name: str

    @property
    def code(self) -> str:
        return f"U+{ord(self.char):04X}"


def findings(value: str) -> list[Finding]:
    """Every hidden character in `value`, in order."""
    found = []
    for index, char in enumerate(value or ""):
        if char in BIDI_CONTROLS:
            found.append(Finding(index, char, "bidi", BIDI_CONTROLS[char]))
        elif char in ZERO_WIDTH:
            found.append(Finding(index, char, "zero-width", ZERO_WIDTH[char]))
        elif unicodedata.category(char) == "Cc" and char not in "\n\t":
            found.append(Finding(index, char, "control", unicodedata.name(char, "CONTROL CHARACTER")))
    return found


def has_hidden(value: str) -> bool:
    return bool(findings(value))


def visible(value: str) -> str:
    """`value` with each hidden character shown as a marker like ⟦U+202E⟧ (for display only)."""
    if not has_hidden(value):
        return value
    marks = {f.index: f"\u27e6{f.code}\u27e7" for f in findings(value)}
    return "".join(marks.get(i, c) for i, c in enumerate(value))


def warning(value: str) -> str | None:
    """A plain-English warning for a form, or None."""
    found = findings(value)
    if not found:
        return None
    names = sorted({f"{f.name} ({f.code})" for f in found})
    return "This name contains hidden characters that change how it looks: " + ", ".join(names) + "."


# ---- substantive answers (5.4) ----------------------------------------------------------------

MIN_ANSWER_LENGTH = 20  # characters: "Needed for the enquiry." is enough; "n/a" or "yes" is not
# Answers that fill a box without saying anything, compared without case, spaces or end marks.
PLACEHOLDERS = frozenset({
    "n/a", "na", "n.a", "not applicable", "none", "nil", "no", "yes", "ok", "tbc", "tba", "see above",
    "as above", "see below", "same as above", "ditto", "as per request", "see request", "x", "-", "--", "—",
    ".", "..", "...", "?", "unknown", "nothing", "blank",
})


def _bare(value: str) -> str:
    return " ".join(value.split()).strip(" .,;:!?\"'()[]").lower()


def substantive_problem(value: str | None, missing: str, *, minimum: int = MIN_ANSWER_LENGTH) -> str | None:
    """Why `value` is not a real answer (empty, a placeholder such as "n/a", or shorter than
    `minimum` characters), in words that start from `missing` ("Say in words why ..."); None when
    it is one."""
    text = " ".join((value or "").split())
    if not text:
        return missing
    bare = _bare(text)
    if not bare or bare in PLACEHOLDERS or all(not ch.isalnum() for ch in text):
        return f"{missing}: “{text[:20]}” is not an answer"
    if len(text) < minimum:
        return f"{missing}, in at least {minimum} characters (this answer has {len(text)})"
    return None
