"""A hostile-string corpus (markup, SQL, bidi controls, 10,000 characters, every Unicode plane)
through create, export, import and the reports: no exception, text unchanged, no link, image or
file read from user text.

Unpaired surrogates (U+D800..U+DFFF alone) are not text: UTF-8 cannot encode them, so no vault,
exchange file or PDF can hold them. The decision: they are refused with a clear error (exit 4 on
import, nothing written), never stored or silently replaced; a JSON file can still carry one as
a `\\ud800` escape, which is what the import test feeds in.
"""

from __future__ import annotations

import builtins
import io
import json
import re
from pathlib import Path

import pytest

from app import exchange
from app.errors import InvalidInput
from app.requests import create_request

from conftest import PASSPHRASE, REPO
from desk_helpers import make_desk, request_data

# One character from each of the 17 planes (assigned where the plane has any; 4-13 are all
# unassigned code points, 15-16 private use): all valid scalar values, all UTF-8 encodable.
PLANES = "".join(chr(cp) for cp in (
    0x00E9, 0x1D518, 0x20000, 0x30000, 0x40000, 0x50000, 0x60000, 0x70000, 0x80000, 0x90000,
    0xA0000, 0xB0000, 0xC0000, 0xD0000, 0xE0100, 0xF0000, 0x10FFFD))
CORPUS = {
    "markup": '<b>bold</b> <a href="file:///etc/passwd">link</a> <img src="/etc/passwd"/> '
              '<link href="https://example.invalid">x</link> <font color=red>&amp; &lt; &#65;</font> <para>',
    "sql": "Robert'); DROP TABLE requests; -- \" OR 1=1 -- %_ \\ ; SELECT * FROM meta",
    "bidi": "Ion \u202ePopescu\u202c \u2067x\u2069 zero\u200bwidth \u200e\u200f",
    "long": ("Ten thousand characters. " * 400)[:10_000],
    "planes": PLANES + " Ωμέγα Шевченко 中文 עברית العربية 🙂",
    "controls": "tab\there\r\nline\u0085next\u2028sep",
    "csv": "=HYPERLINK(\"http://x\") +1 -1 @SUM(A1)",
}
TEXT_FIELDS = ("information", "check_request", "requester_name", "requester_team")


def _hostile_request(name: str, text: str) -> dict:
    subjects = request_data()["subjects"]
    subjects[0] = {"subject": {"kind": "person", "name": (text[:200] or "x"), "aliases": [text[:300]],
                               "addresses": [text[:500]]}, "role": "suspected-perpetrator"}
    return request_data(information=text, check_request=text, requester_name=text[:200] or "x",
                        requester_team=text[:200], subjects=subjects)


@pytest.fixture
def hostile_desk(tmp_path):
    """A SPOC desk with one request per corpus entry; yields (vault, {reference: name})."""
    vault = make_desk(tmp_path / "hostile.vault")
    made = {}
    for name, text in CORPUS.items():
        request = create_request(vault, _hostile_request(name, text))
        made[request.reference] = name
    yield vault, made
    vault.close()


def _texts(doc: dict) -> dict:
    out = {}
    subjects = {s["id"]: s for s in doc["subjects"]}
    for r in doc["requests"]:
        first = subjects[r["subjects"][0]["subject_id"]]
        out[r["reference"]] = ([r[f] for f in TEXT_FIELDS], first["name"], first["aliases"], first["addresses"])
    return out


def test_corpus_goes_through_export_and_import_unchanged(hostile_desk, tmp_path):
    from app.vault import Vault

    vault, made = hostile_desk
    path = vault.path
    vault.close()
    admin = Vault.open(path, user="alice", passphrase=PASSPHRASE)
    try:
        doc = exchange.export_vault(admin)
    finally:
        admin.close()
    expected = _texts(doc)
    for reference, name in made.items():
        fields, *_ = expected[reference]
        assert fields[0] == CORPUS[name] and fields[1] == CORPUS[name], name
    out = tmp_path / "hostile.json"
    exchange.write_file(doc, out)
    target = make_desk(tmp_path / "target.vault", agency="DCON", role="admin")
    try:
        summary = exchange.import_file(target, out)
        assert summary.requests_added == len(CORPUS)
        again = exchange.export_vault(target)
    finally:
        target.close()
    assert _texts(again) == expected


def test_an_unpaired_surrogate_is_refused_cleanly(hostile_desk, tmp_path):
    vault, _made = hostile_desk
    with pytest.raises(InvalidInput, match="surrogate"):
        create_request(vault, request_data(information="before \ud800 after"))
    vault.close()
    from app.vault import Vault

    admin = Vault.open(vault.path, user="alice", passphrase=PASSPHRASE)
    try:
        doc = exchange.export_vault(admin)
    finally:
        admin.close()
    doc["requests"][0]["information"] = "before \ud800 after"
    out = tmp_path / "surrogate.json"
    out.write_text(json.dumps(doc), encoding="ascii")  # the escape "\ud800" in the file
    target = make_desk(tmp_path / "t.vault", role="admin")
    try:
        with pytest.raises(InvalidInput, match=r"requests\[0\].*information.*surrogate"):
            exchange.import_file(target, out)
        assert target.db.scalar("SELECT count(*) FROM requests") == 0
    finally:
        target.close()


# ---- reports --------------------------------------------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def opened_files(monkeypatch):
    """Every path opened while building reports (builtins.open and io.open)."""
    seen: list[str] = []
    real_open = builtins.open

    def watching(file, *args, **kwargs):
        if isinstance(file, (str, Path)):
            seen.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching)
    monkeypatch.setattr(io, "open", watching)
    return seen


def test_corpus_through_every_report_kind(hostile_desk, opened_files):
    reports = pytest.importorskip("app.reports")
    pypdf = pytest.importorskip("pypdf")
    vault, made = hostile_desk
    built = []
    for reference, name in made.items():
        for kind in ("request", "collation"):
            report = reports.build_report(vault, kind, reference)
            built.append((kind, name, report))
    for kind in ("disclosures", "audit"):
        try:
            built.append((kind, None, reports.build_report(vault, kind, "all")))
        except Exception as exc:  # a role that may not print it is refused in words, not a crash
            assert type(exc).__name__ == "AuthError", exc
    assert built
    for kind, name, report in built:
        reader = pypdf.PdfReader(io.BytesIO(report.data))
        assert len(reader.pages) == report.page_count
        text = "".join(page.extract_text() or "" for page in reader.pages)
        for page in reader.pages:
            annots = [a.get_object() for a in page.get("/Annots", []) or []]
            assert not [a for a in annots if a.get("/Subtype") == "/Link"], (kind, name)
            xobjects = page.get("/Resources", {}).get("/XObject", {}) or {}
            assert not [x for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"], (kind, name)
        if kind == "request" and name in ("markup", "sql", "csv"):
            # Markup and SQL are printed as the characters typed (line breaks aside).
            assert _squash(CORPUS[name]) in _squash(text), (kind, name)
        if kind == "request" and name == "long":
            # All of both 10,000-character fields, across page breaks (with their page furniture).
            assert _squash(text).count("Tenthousandcharacters.") >= 800
    # reportlab looks for its own settings file in the user's home at first use (rl_settings):
    # not driven by user text; everything else read is our fonts and installed code.
    outside = [p for p in opened_files
               if not p.startswith(str(REPO / "resources")) and "site-packages" not in p
               and "/lib/python" not in p and Path(p).name != ".reportlab_settings"]
    assert not [p for p in opened_files if "passwd" in p or "example.invalid" in p]
    assert outside == [], outside
