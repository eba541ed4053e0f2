"""Search keys for names across scripts and spellings (issue 17, "Finding people").

Two keys are kept for every subject, in the `subject_keys` FTS5 table (migration 18), written by
triggers on `subjects` through SQL functions the storage gateway registers on every connection
(so the form, a received package, an import and the demo loader all keep them in step):

- `spelled`: the name and aliases transliterated to ASCII by `anyascii` (maintained tables of
  every script): "Миколай Шевченко" is kept as "Mikolay Shevchenko", "Țurcanu" as "Turcanu".
- `sounds`: one Metaphone code per word (`jellyfish`), so "Mohammed", "Muhammad" and
  "Mohamed" share MHMT. A match found only this way is shown as a "sounds like" match.

Pure functions, no SQL; app/search.py builds its queries from the same functions.
"""

from __future__ import annotations

import json
import re

from anyascii import anyascii
from jellyfish import metaphone

_WORD = re.compile(r"[A-Za-z]+")
MIN_SOUND_LETTERS = 3  # "Li" or "Wu" would sound like half the vault


def _names(name: str | None, aliases: str | None) -> list[str]:
    names = [name or ""]
    if aliases:
        try:
            extra = json.loads(aliases)
        except (TypeError, ValueError):
            extra = [aliases]
        if isinstance(extra, list):
            names += [a for a in extra if isinstance(a, str)]
    return names


def spelled(text: str) -> str:
    """`text` in plain ASCII letters and digits, lower case."""
    return anyascii(text or "").lower()


def sound_codes(text: str) -> list[str]:
    """The Metaphone code of each word of `text` (after transliteration), in order, no repeats."""
    codes: list[str] = []
    for word in _WORD.findall(anyascii(text or "")):
        if len(word) < MIN_SOUND_LETTERS:
            continue
        code = metaphone(word).upper()
        if code and code not in codes:
            codes.append(code)
    return codes


def spelled_key(name: str | None, aliases: str | None = None) -> str:
    """The `spelled` column for a subject: its name and aliases in ASCII."""
    return " ".join(spelled(n) for n in _names(name, aliases))


def sounds_key(name: str | None, aliases: str | None = None) -> str:
    """The `sounds` column for a subject: the codes of every word of its name and aliases."""
    codes: list[str] = []
    for n in _names(name, aliases):
        codes += [c for c in sound_codes(n) if c not in codes]
    return " ".join(codes)


def register(conn) -> None:
    """Make the key functions callable from SQL (the triggers of migration 18) on `conn`."""
    conn.create_function("spoc_spelled_key", 2, spelled_key, deterministic=True)
    conn.create_function("spoc_sounds_key", 2, sounds_key, deterministic=True)
