"""The hostile-string corpus through the governance records (issue 20): signatories, disputes and
their steps, users' approval and training, into the agreement register and the compliance
report: refused in words where a rule says so (a NUL), otherwise stored and printed as typed."""

from __future__ import annotations

import pytest

from app import governance
from app.agreement import load_agreement
from app.records import Invalid
from desk_helpers import make_desk
from test_hostile_strings import CORPUS, _pdf_text, _printed_as_typed


@pytest.mark.slow
def test_corpus_through_the_agreement_register_and_the_compliance_report(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from app.reports import build_report

    vault = make_desk(tmp_path / "hostile.vault", role="admin")
    partners = [p.code for p in load_agreement().partners if p.code != "DCON"]
    stored = {}
    try:
        for n, (name, text) in enumerate(CORPUS.items()):
            short = text[:300] or "x"
            partner = partners[n % len(partners)]
            try:
                governance.set_signatory(vault, partner, {"name": short, "position": short, "signed_on": "2024-02-29"})
                dispute = governance.raise_dispute(vault, {"partner": partner, "raised_by": "us", "about": text or "x",
                                                           "raised_on": "2026-11-02"})
                governance.add_dispute_step(vault, dispute.reference, {"text": text or "x", "on_date": "2026-11-03"})
                governance.set_standing(vault, "alice", {"approved_by": short, "approved_on": "2026-01-01",
                                                         "course": short, "trained_on": "2026-01-02"})
            except Invalid as refused:
                assert "\x00" in text and "NUL" in str(refused), name
                continue
            assert governance.get_dispute(vault, dispute.reference).about == (text or "x").strip()
            stored[name] = (partner, dispute.reference)
        assert stored
        register = build_report(vault, "agreement-register", "all")
        text = _pdf_text("agreement-register", None, register, pypdf)
        for name in stored:
            if name != "long":
                _printed_as_typed(text, name, "agreement-register", register.page_count)
        report = build_report(vault, "compliance", "2026-01-01..2026-12-31")
        _pdf_text("compliance", None, report, pypdf)  # no link or image; user text is not in it
    finally:
        vault.close()
