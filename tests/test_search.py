"""Full-text search: aliases, diacritics, references, response text; hostile input; audit."""

from __future__ import annotations

import pytest

from app import requests as rq
from app import responses as rs
from app import search as sr
from app import subjects as sj
from app.errors import AuthError, InvalidInput
from desk_helpers import make_desk, reopen_as, request_data, response_data


@pytest.fixture
def desk(vault_path):
    vault = make_desk(vault_path)
    first = rq.create_request(vault, request_data())
    rq.create_request(vault, request_data(information="Cannabis farm above a nail bar.", subjects=[
        {"subject": {"name": "Олександр Шевченко", "aliases": ["Sasha"]}, "role": "potential-victim"},
        {"subject": {"kind": "business", "name": "Lucky Nails"}, "role": "associate"}]))
    rq.send_to_agencies(vault, first.id, ["HMRC"])
    dispatch = rq.get_request(vault, first.id).dispatches[0]
    rs.receive_response(vault, dispatch.id, response_data(disclosed_text="Payroll shows Quarrytown Ltd."))
    yield vault
    if vault.is_open:
        vault.close()


def labels(result):
    return sorted((h.kind, h.label) for h in result.hits)


def test_finds_subject_by_alias(desk):
    result = sr.search(desk, "johnny")
    assert ("subject", "Ion Popescu") in labels(result)
    hit = next(h for h in result.hits if h.label == "Ion Popescu")
    assert hit.reference == "MSR-2026-0001" and hit.request_id


def test_subject_on_several_requests_opens_the_newest(desk):
    subject = next(h for h in sr.search(desk, "johnny").hits if h.label == "Ion Popescu")
    third = rq.create_request(desk, request_data(information="Seen again at a car wash.", subjects=[
        {"subject_id": subject.record_id, "role": "potential-victim"}]))
    again = next(h for h in sr.search(desk, "johnny").hits if h.label == "Ion Popescu")
    assert (again.request_id, again.reference) == (third.id, third.reference) == (third.id, "MSR-2026-0003")
    # a subject on no request any more is still found, with nothing to open
    for request_id in (subject.request_id, third.id):
        rq.remove_subject(desk, request_id, subject.record_id)
    alone = next(h for h in sr.search(desk, "johnny").hits if h.label == "Ion Popescu")
    assert (alone.request_id, alone.reference) == (None, None)


def test_diacritics_cyrillic_and_prefix(desk):
    assert ("subject", "Nguyễn Văn An") in labels(sr.search(desk, "nguyen van"))
    assert ("subject", "Олександр Шевченко") in labels(sr.search(desk, "шевч"))
    assert ("subject", "Олександр Шевченко") in labels(sr.search(desk, "sasha"))


def test_reference_request_and_response_text(desk):
    assert labels(sr.search(desk, "MSR-2026-0002")) == [("request", "MSR-2026-0002")]
    assert ("request", "MSR-2026-0002") in labels(sr.search(desk, "cannabis nail"))
    assert ("response", "Response from HMRC") in labels(sr.search(desk, "quarrytown"))


def test_index_follows_edits(desk):
    subject = sr.search(desk, "lucky").hits[0]
    sj.update_subject(desk, subject.record_id, {"name": "Happy Nails"})
    assert sr.search(desk, "lucky").hits == []
    assert labels(sr.search(desk, "happy")) == [("subject", "Happy Nails")]


@pytest.mark.parametrize("text", [
    '"', "' OR 1=1 --", "NEAR(a b)", "a AND OR NOT", "*", "col:value", "^start", "(((", "Robert'); DROP TABLE requests;--",
    "<script>alert(1)</script>", "x" * 5000, "\u202eevil", "🙂 emoji", "a" + '"' * 30, "NOT", "{x y}: z",
])
def test_hostile_input_never_crashes(desk, text):
    try:
        result = sr.search(desk, text)
    except InvalidInput as exc:
        assert "search for" in str(exc)
    else:
        assert isinstance(result.hits, list)
    assert desk.db.scalar("SELECT count(*) FROM requests") == 2


def test_empty_search_is_refused(desk):
    with pytest.raises(InvalidInput, match="search for"):
        sr.search(desk, "   ")


def test_search_is_audited_without_the_words(desk):
    sr.search(desk, "popescu")
    row = desk.db.one("SELECT * FROM audit_events WHERE action = 'search' ORDER BY seq DESC LIMIT 1")
    assert row["reason"] == "1 hits" and "popescu" not in repr(tuple(row)).lower()


def test_auditor_may_not_search(desk):
    auditor = reopen_as(desk, "dave", "auditor")
    with pytest.raises(AuthError):
        sr.search(auditor, "popescu")
    auditor.close()


# ---- across scripts and spellings (issue 17) ------------------------------------------------

@pytest.fixture
def people(desk):
    rq.create_request(desk, request_data(request_date="2026-04-07", information="Car wash workers.", subjects=[
        {"subject": {"name": "Миколай Шевченко", "date_of_birth": "1990-01-31"}, "role": "potential-victim"},
        {"subject": {"name": "Ana Țurcanu"}, "role": "associate"},
        {"subject": {"name": "Muhammad Rahimi", "aliases": ["Mo"], "date_of_birth": "1979-06-02"},
         "role": "suspected-perpetrator"}]))
    return desk


def hit_for(result, name):
    return next(h for h in result.hits if h.label == name)


def test_latin_spelling_finds_a_cyrillic_name(people):
    hit = hit_for(sr.search(people, "Shevchenko"), "Миколай Шевченко")
    assert hit.match == "spelling" and hit.kind == "subject"
    # the Cyrillic spelling finds it directly, and both spellings of the other Shevchenko
    assert hit_for(sr.search(people, "Шевченко"), "Миколай Шевченко").match == "words"
    assert ("subject", "Олександр Шевченко") in labels(sr.search(people, "shevchenko"))


def test_diacritics_are_optional(people):
    assert hit_for(sr.search(people, "Turcanu"), "Ana Țurcanu").match == "words"


def test_a_name_that_sounds_alike_is_shown_as_such(people):
    hit = hit_for(sr.search(people, "Mohammed"), "Muhammad Rahimi")
    assert hit.match == "sounds like"
    assert hit_for(sr.search(people, "Mohamed Rahimi"), "Muhammad Rahimi").match == "sounds like"
    assert hit_for(sr.search(people, "Muhammad"), "Muhammad Rahimi").match == "words"
    # a different name does not sound alike
    assert "Muhammad Rahimi" not in [h.label for h in sr.search(people, "Michael").hits]


def test_hits_tell_people_apart(people):
    hit = hit_for(sr.search(people, "Mohammed"), "Muhammad Rahimi")
    assert (hit.subject_kind, hit.aliases, hit.date_of_birth) == ("person", ("Mo",), "1979-06-02")
    assert (hit.role, hit.reference, hit.request_date) == ("suspected-perpetrator", "MSR-2026-0003", "2026-04-07")
    request = next(h for h in sr.search(people, "MSR-2026-0003").hits)
    assert request.request_date == "2026-04-07"
    assert hit.as_json()["match"] == "sounds like" and hit.as_json()["aliases"] == ["Mo"]


def test_keys_follow_edits_and_removal(people):
    hit = hit_for(sr.search(people, "Mohammed"), "Muhammad Rahimi")
    sj.update_subject(people, hit.record_id, {"name": "Yusuf Rahimi"})
    assert "Yusuf Rahimi" not in [h.label for h in sr.search(people, "Mohammed").hits]
    assert hit_for(sr.search(people, "Yousef"), "Yusuf Rahimi").match == "sounds like"
    seq = people.db.scalar("SELECT seq FROM subjects WHERE id = ?", (hit.record_id,))
    assert people.db.scalar("SELECT count(*) FROM subject_keys WHERE rowid = ?", (seq,)) == 1
    people.db.execute("DELETE FROM request_subjects WHERE subject_id = ?", (hit.record_id,))
    people.db.execute("DELETE FROM subjects WHERE id = ?", (hit.record_id,))
    assert people.db.scalar("SELECT count(*) FROM subject_keys WHERE rowid = ?", (seq,)) == 0


def test_hostile_names_make_keys_without_harm(desk):
    names = ["<b>Ivan</b> & Co", "\u202eنيمأ", "x" * 3000, "a\x00b", "\"; DROP TABLE subjects; --"]
    rq.create_request(desk, request_data(subjects=[{"subject": {"name": n}, "role": "unknown"} for n in names]))
    assert ("subject", "<b>Ivan</b> & Co") in labels(sr.search(desk, "ivan"))
    assert desk.db.scalar("SELECT count(*) FROM subject_keys") == desk.db.scalar("SELECT count(*) FROM subjects")


def test_name_keys_from_the_maintained_libraries():
    from app import namekeys
    assert namekeys.spelled_key("Миколай Шевченко", '["Коля"]') == "mikolay shevchenko kolya"
    assert namekeys.spelled_key("Țurcanu Nguyễn") == "turcanu nguyen"
    assert namekeys.sounds_key("Mohammed") == namekeys.sounds_key("Muhammad") == namekeys.sounds_key("Mohamed")
    assert namekeys.sounds_key("Li Wu") == ""  # too short to sound like anything useful
    assert namekeys.spelled_key("x", "not json") == "x not json" and namekeys.spelled_key(None, None) == ""


def test_a_subject_is_listed_once_and_looser_matches_respect_the_limit(people):
    # both Shevchenkos match "Шевченко" as typed and also by their spelled key: each is listed
    # once, as typed
    subjects = [h for h in sr.search(people, "Шевченко").hits if h.kind == "subject"]
    assert sorted(h.label for h in subjects) == ["Миколай Шевченко", "Олександр Шевченко"]
    assert {h.match for h in subjects} == {"words"}
    looser = sr.search(people, "Shevchenko", limit=1, kinds=("subject",))
    assert len(looser.hits) == 1 and looser.truncated
    assert looser.hits[0].label == "Миколай Шевченко"  # the newest first
