"""The disclosure register's queries (app.disclosures): the agency filter is a condition of the
register's SQL, parameterised, and pages of a filtered register are full pages of matches."""

from __future__ import annotations

import pytest

from app import disclosures
from app import requests as rq
from desk_helpers import make_desk, request_data


@pytest.fixture
def police(tmp_path):
    vault = make_desk(tmp_path / "dcon.vault")
    request = rq.create_request(vault, request_data())
    rq.send_to_agencies(vault, request.id, ["HMRC", "GLAA", "DCC/CSIS"])   # three "request sent" rows
    for n in range(9):
        disclosures.record_onward(vault, request.id, "DWP", what=f"note {n}", lawful_bases=["cda1998-s115"],
                                  channel="")
    yield vault, request
    if vault.is_open:
        vault.close()


def _all(vault, **kwargs) -> list:
    items, after = [], None
    while True:
        page = disclosures.list_disclosures(vault, after=after, **kwargs)
        items += page.items
        if page.next_after is None:
            return items
        after = page.next_after


def test_the_agency_filter_keeps_movements_sent_by_or_to_the_agency(police):
    vault, request = police
    everything = _all(vault)
    assert len(everything) == 12
    glaa = _all(vault, agency="GLAA")
    assert [(d.from_agency, d.to_agency) for d in glaa] == [("DCON", "GLAA")]
    # sent by this desk: every row; to DWP: the nine onward disclosures, newest first
    assert len(_all(vault, agency="DCON")) == 12
    dwp = _all(vault, agency="DWP")
    assert [d.what for d in dwp] == [f"note {n}" for n in range(8, -1, -1)]
    assert _all(vault, agency="DWP", request_id=request.id) == dwp
    assert _all(vault, agency="NCA") == []
    assert _all(vault, agency="") == everything and _all(vault, agency=None) == everything


def test_a_filtered_page_is_a_full_page_of_matches(police):
    vault, _request = police
    rq.send_to_agencies(vault, rq.create_request(vault, request_data()).id, ["GLAA"])  # newest: one GLAA row
    first = disclosures.list_disclosures(vault, agency="DWP", limit=4)
    assert [d.to_agency for d in first.items] == ["DWP"] * 4
    assert first.next_after == (first.items[-1].at, first.items[-1].seq)  # latest first, by time
    second = disclosures.list_disclosures(vault, agency="DWP", limit=4, after=first.next_after)
    assert len(second.items) == 4 and all((d.at, d.seq) < first.next_after for d in second.items)
    glaa = disclosures.list_disclosures(vault, agency="GLAA", limit=4)
    assert len(glaa.items) == 2 and glaa.next_after is None   # older rows reached in the same query


def test_the_agency_is_a_parameter_not_part_of_the_statement(police):
    vault, _request = police
    before = vault.db.scalar("SELECT count(*) FROM disclosures")
    for hostile in ("GLAA' OR '1'='1", "x') OR 1=1 --", "%", "DWP; DROP TABLE disclosures"):
        assert disclosures.list_disclosures(vault, agency=hostile).items == []
    assert vault.db.scalar("SELECT count(*) FROM disclosures") == before
