"""Passphrase rules: long enough to resist guessing, with advice a person can act on."""

from __future__ import annotations

import math
import re

MIN_LENGTH = 12
_COMMON = {
    "password", "passphrase", "letmein", "qwerty", "welcome", "derbyshire", "wilberforce",
    "spocdesk", "changeme", "iloveyou", "monkey", "dragon", "football", "secret",
}


def estimate_bits(passphrase: str) -> float:
    """A rough, conservative guess at the entropy, for the strength meter and the minimum."""
    if not passphrase:
        return 0.0
    pool = 0
    if re.search(r"[a-z]", passphrase):
        pool += 26
    if re.search(r"[A-Z]", passphrase):
        pool += 26
    if re.search(r"[0-9]", passphrase):
        pool += 10
    if re.search(r"[^A-Za-z0-9]", passphrase):
        pool += 33
    distinct = len(set(passphrase))
    # Repeated characters add little; count length as the lesser of length and 2x distinct.
    effective = min(len(passphrase), 2 * distinct)
    return effective * math.log2(max(pool, 2))


def problems(passphrase: str) -> list[str]:
    """Why a passphrase is refused; empty when it is acceptable."""
    found: list[str] = []
    if len(passphrase) < MIN_LENGTH:
        found.append(
            f"Use at least {MIN_LENGTH} characters; three random words, such as "
            "'kettle orbit marble', are long and easy to remember."
        )
    if passphrase != passphrase.strip():
        found.append("Do not start or end the passphrase with a space.")
    lowered = re.sub(r"[^a-z]", "", passphrase.lower())
    if lowered and any(lowered == word or lowered == word * 2 for word in _COMMON):
        found.append("That passphrase is too common; choose three random words.")
    if passphrase and len(set(passphrase)) < 5:
        found.append("Use more different characters; repeated characters are easy to guess.")
    if not found and estimate_bits(passphrase) < 50:
        found.append("That passphrase is too easy to guess; add another random word.")
    return found
