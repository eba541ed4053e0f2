"""Lists sorted in the database over the whole set (issue 17): every page of a sorted list
continues the order of the whole table, the sort keys are a whitelist, and the overdue answers
come oldest overdue first."""

from __future__ import annotations

import datetime as _dt

import pytest

from app import requests as rq
from app.errors import InvalidInput
from app.records import today_london
from desk_helpers import make_desk, request_data


@pytest.fixture
def desk(tmp_path):
    vault = make_desk(tmp_path / "desk.vault")
    yield vault
    vault.close()


def _all(desk, **kw) -> list:
    page = rq.list_requests(desk, limit=2, **kw)
    items = list(page.items)
    while page.next_after is not None:
        page = rq.list_requests(desk, after=page.next_after, limit=2, **kw)
        items += page.items
    return items


def test_each_page_of_a_sorted_list_continues_the_order_of_the_whole_set(desk):
    names = ["DS Echo", "ds alpha", "DS Delta", "DS Charlie", "DS Bravo", "DS alpha"]
    dates = ["2026-01-05", "2026-03-01", "2026-01-05", "2026-02-10", "2025-12-31", "2026-02-01"]
    made = [rq.create_request(desk, request_data(subjects=[], requester_name=name, request_date=day)).reference
            for name, day in zip(names, dates)]
    first = rq.list_requests(desk, limit=2, sort="requester", descending=False)
    # the first page of two is the two alphas of all six, not a re-sort of the newest two
    assert [i.requester_name for i in first.items] == ["ds alpha", "DS alpha"]
    by_name = [i.requester_name for i in _all(desk, sort="requester", descending=False)]
    assert by_name == ["ds alpha", "DS alpha", "DS Bravo", "DS Charlie", "DS Delta", "DS Echo"]
    by_date = [i.request_date for i in _all(desk, sort="date", descending=True)]
    assert by_date == sorted(dates, reverse=True) and len(by_date) == 6
    # ties (two on 05/01/2026) are broken by the request's number, so no row is lost or repeated
    refs = [i.reference for i in _all(desk, sort="date", descending=False)]
    assert len(set(refs)) == 6
    assert [i.reference for i in _all(desk)] == made[::-1]  # newest first by default
    assert rq.REQUEST_SORT.caption("requester", False) == "By requester, A to Z"
    assert rq.REQUEST_SORT.caption(None, None) == "Newest first"


def test_a_sort_not_in_the_whitelist_is_refused_in_words(desk):
    with pytest.raises(InvalidInput, match="Unknown sort 'requester_name; DROP TABLE requests'"):
        rq.list_requests(desk, sort="requester_name; DROP TABLE requests")
    with pytest.raises(InvalidInput, match="cursor"):
        rq.list_requests(desk, sort="date", after=7)


def test_the_overdue_answers_come_oldest_overdue_first_over_every_page(desk):
    late = []
    for n in range(5):
        request = rq.create_request(desk, request_data())
        sent = rq.send_to_agencies(desk, request.id, ["HMRC"], due_date=f"2026-0{5 - n}-01")
        late.append((sent[0].due_date, request.reference))
    today = today_london() + _dt.timedelta(days=400)
    page = rq.overdue_page(desk, limit=2, today=today)
    got = [(o.dispatch.due_date, o.reference) for o in page.items]
    while page.next_after is not None:
        page = rq.overdue_page(desk, after=page.next_after, limit=2, today=today)
        got += [(o.dispatch.due_date, o.reference) for o in page.items]
    assert got == sorted(late)  # oldest overdue first is the earliest due date first
    assert rq.OVERDUE_SORT.caption(None, None) == "Oldest overdue first"
    newest = rq.overdue_page(desk, limit=5, today=today, sort="reference", descending=True)
    assert [o.reference for o in newest.items] == sorted((r for _d, r in late), reverse=True)
