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
