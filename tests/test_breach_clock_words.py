"""The breach clocks' headings are worded from the agreement's deadlines (resources/agreement/*.json),
not typed into screens: another partnership's hours show wherever a clock is named."""

from __future__ import annotations

import json

import pytest

import app.breaches as breaches
from app.agreement import default_agreement_path, load_agreement
from app.errors import InvalidInput


def test_the_shipped_agreement_words_the_24_and_72_hour_clocks():
    assert breaches.clock_hours("dpm") == load_agreement().deadlines.breach_dpm_hours == 24
    assert breaches.clock_hours("ico") == load_agreement().deadlines.breach_ico_hours == 72
    assert breaches.clock_heading("dpm") == "Data Protection Manager, 24 hours"
    assert breaches.clock_heading("ico") == "ICO, 72 hours"
    assert breaches.clock_heading("dpm", "short") == "DPM: 24 hours"
    assert breaches.clock_heading("ico", "short") == "ICO: 72 hours"
    assert breaches.clock_heading("dpm", "hours") == "Data Protection Manager (24 hours)"
    assert breaches.clock_heading("dpm", "cited") == "Data Protection Manager (24 hours, clause 10.1)"
    assert breaches.clock_heading("ico", "cited") == "ICO (72 hours, UK GDPR Art 33)"
    assert breaches.clock_heading("ico", "column") == "ICO (72 h)"
    assert breaches.clock_authority("dpm") == "clause 10.1"
    assert breaches.clocks_start_here() == "The 24-hour and 72-hour clocks start here."
    assert breaches.clock_rule("dpm") == ("The Data Protection Manager must be told within 24 hours of the agency "
                                          "becoming aware (clause 10.1).")
    assert breaches.clock_rule().startswith("Every breach must reach the Data Protection Manager within 24 hours")


def test_an_unknown_clock_or_form_is_refused():
    with pytest.raises(InvalidInput, match="Unknown breach clock"):
        breaches.clock_heading("police")
    with pytest.raises(ValueError):
        breaches.clock_heading("dpm", "loud")


def test_another_partnership_s_deadlines_change_every_heading(tmp_path, monkeypatch):
    document = json.loads(default_agreement_path().read_text(encoding="utf-8"))
    dpm = document["deadlines"]["breach_dpm_hours"]
    dpm["value"], dpm["text"] = 48, dpm["text"].replace("24 hours", "48 hours")
    document["deadlines"]["breach_ico_hours"]["value"] = 96
    path = tmp_path / "other.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    other = load_agreement(path)
    monkeypatch.setattr(breaches, "load_agreement", lambda: other)
    assert breaches.clock_heading("dpm") == "Data Protection Manager, 48 hours"
    assert breaches.clock_heading("ico", "short") == "ICO: 96 hours"
    assert breaches.clocks_start_here() == "The 48-hour and 96-hour clocks start here."
    assert "48 hours" in breaches.clock_rule() and "96 hours" in breaches.clock_rule()
    # and the clocks themselves run for those hours
    state = breaches.derive_state([])
    dpm_clock, ico_clock = breaches.clocks("2026-03-02T10:00:00+00:00", state)
    assert dpm_clock.deadline.isoformat() == "2026-03-04T10:00:00+00:00"
    assert ico_clock.deadline.isoformat() == "2026-03-06T10:00:00+00:00"


def test_no_screen_types_the_breach_hours():
    """The screens name the clocks only through app.breaches (a 24-hour clock time is not a deadline)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "ui"
    found = []
    for path in root.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            lowered = line.lower()
            if any(words in lowered for words in ("24 hours", "72 hours", "72-hour", "(24 h)", "(72 h)")) \
                    or ("24-hour" in lowered and "24-hour time" not in lowered and "24-hour uk time" not in lowered):
                found.append(f"{path.relative_to(root.parent)}:{number}: {line.strip()}")
    assert found == []
