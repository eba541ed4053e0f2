"""A whole vault read a record at a time (app.exchange.stream): the same data, the same refusals
naming the same record and field, and nothing written when it is refused. The size from which a
document is streamed is lowered here so that small test vaults take the streamed path."""

from __future__ import annotations

import copy
import json

import pytest

from app import exchange
from app.errors import InvalidInput
from app.exchange import stream, validate
from desk_helpers import make_desk, reopen_as
from test_exchange import bad_variants, clean, populate


@pytest.fixture
def streamed(monkeypatch):
    """Every whole-vault document is streamed; records each StreamedItems walk."""
    monkeypatch.setattr(validate, "STREAM_FROM", 0)
    walks = []
    real_iter = stream.StreamedItems.__iter__

    def counting_iter(self):
        walks.append(self.key)
        return real_iter(self)

    monkeypatch.setattr(stream.StreamedItems, "__iter__", counting_iter)
    return walks


@pytest.fixture
def exported(tmp_path):
    police = make_desk(tmp_path / "dcon.vault")
    populate(police)
    admin = reopen_as(police, "alice")
    doc = exchange.export_vault(admin)
    admin.close()
    return doc


def test_a_streamed_whole_vault_gives_back_the_same_data(streamed, exported, tmp_path):
    path = tmp_path / "whole.json"
    exchange.write_file(exported, path)
    target = make_desk(tmp_path / "empty.vault", role="admin")
    summary = exchange.import_file(target, path)
    assert summary.requests_added == 2 and summary.responses_added == 1
    assert clean(exchange.export_vault(target)) == clean(exported)
    assert {"requests", "subjects", "disclosures"} <= set(streamed)   # it really was read a record at a time
    target.close()


def test_a_streamed_record_that_is_wrong_is_named_and_nothing_is_written(streamed, exported, tmp_path):
    target = make_desk(tmp_path / "target.vault", role="admin")
    variants, set_path = bad_variants()
    hmrc_index = [d["agency"] for d in exported["requests"][0]["dispatches"]].index("HMRC")
    for n, (path, value, where, fragment) in enumerate(variants):
        path = [hmrc_index if p == 1 and path[:3] == ["requests", 0, "dispatches"] and i == 3 else p
                for i, p in enumerate(path)]
        doc = copy.deepcopy(exported)
        set_path(doc, path, value)
        file = tmp_path / f"bad{n}.json"
        exchange.write_file(doc, file)
        before = target.db.scalar("SELECT count(*) FROM audit_events")
        with pytest.raises(InvalidInput) as caught:
            exchange.import_file(target, file)
        message = str(caught.value)
        assert where in message and fragment in message and "nothing was changed" in message, message
        assert target.db.scalar("SELECT count(*) FROM requests") == 0
        assert target.db.scalar("SELECT count(*) FROM subjects") == 0
        assert target.db.scalar("SELECT count(*) FROM audit_events") == before
    target.close()


def test_a_long_list_named_twice_or_broken_json_is_refused_in_words(streamed, exported, tmp_path):
    target = make_desk(tmp_path / "target.vault", role="admin")
    text = json.dumps(exported)
    twice = tmp_path / "twice.json"
    twice.write_text(text[:-1] + ', "requests": []}')
    with pytest.raises(InvalidInput, match="names requests twice"):
        exchange.import_file(target, twice)
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2])
    with pytest.raises(InvalidInput, match="is not valid JSON"):
        exchange.import_file(target, cut)
    assert target.db.scalar("SELECT count(*) FROM requests") == 0
    target.close()


def test_a_document_with_surrogate_escapes_is_not_streamed(streamed, exported, tmp_path):
    # yajl would turn an unpaired surrogate into "?"; such a file is read whole and refused by name.
    doc = copy.deepcopy(exported)
    doc["subjects"][0]["name"] = "A\ud800B"
    file = tmp_path / "surrogate.json"
    file.write_text(json.dumps(doc))           # ensure_ascii: written as the escape \ud800
    target = make_desk(tmp_path / "target.vault", role="admin")
    with pytest.raises(InvalidInput, match=r"subjects\[0\]: name: holds an unpaired surrogate"):
        exchange.import_file(target, file)
    assert streamed == []
    target.close()


def test_the_limit_on_a_long_lists_length_holds_when_streamed(streamed, exported, tmp_path, monkeypatch):
    monkeypatch.setitem(validate.MAX_ITEMS, "subjects", 3)
    file = tmp_path / "whole.json"
    exchange.write_file(exported, file)
    target = make_desk(tmp_path / "target.vault", role="admin")
    with pytest.raises(InvalidInput, match="subjects has .* entries; the limit is 3"):
        exchange.import_file(target, file)
    target.close()


def test_each_long_list_is_read_from_where_it_opens_and_walked_twice_at_most(streamed, exported, tmp_path):
    # Validation walks each list once (schema and domain checks together), the import once; every
    # walk parses only its own list, from the `[` the structural pass found.
    path = tmp_path / "whole.json"
    exchange.write_file(exported, path)
    doc, _ = validate._read(path)
    raw = path.read_bytes()
    for key in stream.STREAMED:
        start = doc[key]._start
        assert start is not None and raw[start:start + 1] == b"["
        assert raw[:start].rstrip().endswith(b":") and f'"{key}"'.encode() in raw[start - 40:start]
        assert list(doc[key]) == exported[key]
    streamed.clear()
    target = make_desk(tmp_path / "empty.vault", role="admin")
    exchange.import_file(target, path)
    for key in stream.STREAMED:
        assert streamed.count(key) <= 2, streamed
    # the import's audit events, written together, chain like any others
    assert target.db.scalar("SELECT count(*) FROM audit_events WHERE action = 'request.imported'") == 2
    assert target.verify().ok
    target.close()


def test_a_list_is_never_taken_for_a_nested_one_or_a_text_of_the_same_name(streamed, exported, tmp_path):
    # A text holding `"requests": [`, a nested list named "requests" before the real one, and the
    # top-level name written with an escape: the parser decides which `[` opens the list (or,
    # found nowhere, the list is walked from the document's start); the same records either way.
    doc = copy.deepcopy(exported)
    doc["exported_by"] = 'admin "requests": [ {"id": "x"} ]'
    text = json.dumps(doc)
    decoy = '"decoy": {"requests": [{"id": "not a request"}]}, '
    for variant in (text, text.replace('"requests": [', decoy + '"requests": [', 1),
                    text.replace('"requests": [', decoy + '"r\\u0065quests": [', 1)):
        raw = variant.encode()
        parsed = stream.streamed_document(raw, "file")
        assert list(parsed["requests"]) == exported["requests"]
        assert list(parsed["subjects"]) == exported["subjects"]
        if "\\u0065" in variant:
            assert parsed["requests"]._start is None
        else:
            opening = raw.index(decoy.encode()) + len(decoy) if "decoy" in variant else raw.index(b'"requests": [')
            assert parsed["requests"]._start == opening + len('"requests": ')


def test_the_structural_pass_cut_into_tiny_pieces_reads_the_same(streamed, exported, monkeypatch):
    raw = json.dumps(exported, indent=1).encode()
    whole = stream.streamed_document(raw, "file")
    monkeypatch.setattr(stream, "PIECE", 7)  # cuts inside names, numbers and texts
    pieces = stream.streamed_document(raw, "file")
    for key, value in whole.items():
        if isinstance(value, stream.StreamedItems):
            assert len(pieces[key]) == len(value) and list(pieces[key]) == list(value)
        else:
            assert pieces[key] == value
