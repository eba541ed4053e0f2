"""Passphrase rules: judged by a maintained estimator (zxcvbn), with advice a person can act on.

zxcvbn estimates how many guesses an attacker who knows common passwords, names, dates, keyboard
patterns and substitutions would need. It is given the user's name, the agency and the app's own
words (the agreement's title and partners, "spoc", "police", "wilberforce" ...) as words an
attacker would try first, so `Derby2026!!!` or `police123456` are refused while three or four
random words are accepted. Character classes count for nothing by themselves.
"""

from __future__ import annotations

import functools
import math
import re

MIN_LENGTH = 12
# At least 10^13 guesses (about 43 bits): with Argon2id at about 0.5 s and 256 MiB a guess, far
# beyond an offline attack on a stolen keyslot file, and what three random common words reach.
# (zxcvbn puts any three words it knows, such as a name, the agency and a town, near 10^12.)
MIN_GUESSES_LOG10 = 13.0
_APP_WORDS = (
    "password", "passphrase", "letmein", "qwerty", "welcome", "derby", "derbyshire", "wilberforce",
    "spocdesk", "spoc", "desk", "police", "constabulary", "council", "modern", "slavery", "trafficking",
    "operation", "changeme", "iloveyou", "monkey", "dragon", "football", "secret", "official",
    "sensitive", "vault", "agency", "partner", "summer", "winter", "spring", "autumn",
)


def app_words() -> tuple[str, ...]:
    """The app's own words: the fixed list, and the words of the agreement the app follows now
    (the open vault's, issue 20; else the shipped one)."""
    from app.agreement import active_agreement

    active = active_agreement()
    return _app_words(active.info.short_name if active is not None else None)


@functools.lru_cache(maxsize=8)
def _app_words(_agreement_name: str | None) -> tuple[str, ...]:
    words = set(_APP_WORDS)
    from app.errors import AgreementError

    try:
        from app.agreement import load_agreement

        agreement = load_agreement()
        texts = [agreement.info.title, agreement.info.short_name, agreement.info.reference_prefix]
        for partner in agreement.partners:
            texts += [partner.code, partner.name]
    except (AgreementError, OSError, ValueError):  # a broken agreement file is reported elsewhere; the fixed words still apply
        texts = []
    for text in texts:
        words.update(w for w in re.findall(r"[a-z0-9]+", str(text).lower()) if len(w) >= 3)
    return tuple(sorted(words))


def _inputs(user_inputs) -> list[str]:
    extra = []
    for value in user_inputs or ():
        if value:
            extra.append(str(value).lower())
            extra.extend(w for w in re.findall(r"[a-z0-9]+", str(value).lower()) if len(w) >= 3)
    return list(app_words()) + extra


def estimate(passphrase: str, user_inputs=()) -> dict:
    """zxcvbn's estimate: `guesses_log10`, `score` (0-4) and its `feedback`."""
    from zxcvbn import zxcvbn

    if not passphrase:
        return {"guesses_log10": 0.0, "score": 0, "feedback": {"warning": "", "suggestions": []}}
    # zxcvbn's matching is quadratic in length; 100 characters decide any passphrase.
    return zxcvbn(passphrase[:100], user_inputs=_inputs(user_inputs))


def estimate_bits(passphrase: str, user_inputs=()) -> float:
    """The estimate in bits (log2 of the guesses), for the strength meter and the minimum."""
    if not passphrase:
        return 0.0
    return float(estimate(passphrase, user_inputs)["guesses_log10"]) * math.log2(10)


MIN_BITS = MIN_GUESSES_LOG10 * math.log2(10)


def problems(passphrase: str, user_inputs=()) -> list[str]:
    """Why a passphrase is refused; empty when it is acceptable. `user_inputs`: the user's name
    and agency, which an attacker would try first."""
    found: list[str] = []
    if len(passphrase) < MIN_LENGTH:
        found.append(
            f"Use at least {MIN_LENGTH} characters; three random words, such as "
            "'kettle orbit marble', are long and easy to remember."
        )
    if passphrase != passphrase.strip():
        found.append("Do not start or end the passphrase with a space.")
    if passphrase and len(set(passphrase)) < 5:
        found.append("Use more different characters; repeated characters are easy to guess.")
    if not found:
        result = estimate(passphrase, user_inputs)
        if float(result["guesses_log10"]) < MIN_GUESSES_LOG10:
            advice = result.get("feedback", {}).get("warning") or ""
            advice = f" ({advice.rstrip('.')})" if advice else ""
            found.append(
                "That passphrase is too easy to guess; names, places, seasons, years and this app's "
                f"own words are tried first{advice}. Add another random word, or use three or four "
                "random words."
            )
    return found
