"""Chasing an answer that is overdue (clause 2.6: "All partners will respond to this request").

A chase records when the partner was chased, how (the sealed package re-sent, a telephone call
in the telephone log, or an e-mail), to whom, and the new date they promised; the dispatch's due
date becomes that date, and the date it replaced is kept on the chase. "Package re-sent" makes
the dispatch's sealed package again (app.exchange.packages.send), so it is offered only where
the partner's desk card is trusted; a telephone chase is also an entry in the telephone log
(app.exchange.desks.log_call, clause 9.5). Each chase and the dispatch's new date are written in
one transaction; a package file made for a chase that then fails is removed.

An answer overdue again after a chase is flagged for the lead officer (`flagged`), shown on the
request and on Home. `chase_counts(vault, start, end)` counts chases for the compliance report.
Every chase is audited with ids only.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.records import Problem, check_date, check_text, check_time, new_id, parse_date, raise_if, today_london
from app.roles import require
from app.timeutil import parse_utc, utc_now, utc_now_iso
from app.vault.migrations import CHASE_HOW

HOW_TITLES = {"package": "Package re-sent", "telephone": "Telephone (in the telephone log)", "email": "E-mail"}
assert tuple(HOW_TITLES) == CHASE_HOW
AWAITING = ("sent", "acknowledged")


@dataclass(frozen=True)
class Chase:
    id: str
    seq: int
    dispatch_id: str
    at: str
    how: str
    to_whom: str
    previous_due: str | None
    promised_date: str
    note: str
    package_id: str | None
    call_id: str | None
    recorded_at: str
    recorded_by: str

    @classmethod
    def from_row(cls, row) -> "Chase":
        return cls(**{k: row[k] for k in cls.__dataclass_fields__})

    @property
    def how_text(self) -> str:
        return HOW_TITLES.get(self.how, self.how)


@dataclass(frozen=True)
class Flag:
    """An answer overdue again after at least one chase: for the lead officer."""

    request_id: str
    reference: str
    dispatch_id: str
    agency: str
    due_date: str
    days_overdue: int
    chases: int

    @property
    def agency_name(self) -> str:
        return load_agreement().partner_name(self.agency)

    def text(self) -> str:
        return (f"{self.reference}: {self.agency_name} is overdue again after "
                f"{self.chases} chase{'' if self.chases == 1 else 's'} "
                f"({self.days_overdue} day{'' if self.days_overdue == 1 else 's'} past the promised date)")


def package_possible(vault, agency: str) -> str | None:
    """None if the package can be re-made for `agency`, else why not, in words."""
    from app.exchange import packages

    try:
        packages._trusted_card(vault, agency)
    except InvalidInput as exc:
        return str(exc)
    return None


def validate_chase(dispatch, data: dict, *, now: _dt.datetime | None = None) -> tuple[list[Problem], dict]:
    now = now or utc_now()
    problems: list[Problem] = []
    clean: dict = {}
    how = data.get("how") or ""
    if how not in HOW_TITLES:
        problems.append(Problem("how", "Choose how the partner was chased: package re-sent, telephone or e-mail"))
    clean["how"] = how
    clean["to_whom"] = check_text(problems, "to_whom", data.get("to_whom"), required=True,
                                  missing="Enter who was chased (a name, a role or a team)", limit=500)
    clean["at"] = check_time(problems, "at", data.get("at"), required=False, missing="", what="The time of the chase",
                             now=now) or now.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")
    if dispatch.sent_at and clean["at"] < dispatch.sent_at:
        problems.append(Problem("at", "The time of the chase must be after the request was sent"))
    promised = check_date(problems, "promised_date", data.get("promised_date"), required=True,
                          missing="Enter the new date the partner promised an answer by",
                          what="The date promised", not_future=False)
    if promised and parse_date(promised) < parse_utc(clean["at"]).date():
        problems.append(Problem("promised_date", "The date promised must be on or after the day of the chase"))
    clean["promised_date"] = promised
    clean["note"] = check_text(problems, "note", data.get("note"))
    if how == "telephone":
        clean["via"] = check_text(problems, "via", data.get("via"), required=True,
                                  missing="Enter the number the call went through", limit=500)
        clean["identity_check"] = check_text(problems, "identity_check", data.get("identity_check"), required=True,
                                             missing="Enter how the identity of the person called was checked",
                                             limit=2000)
    if dispatch.status not in AWAITING:
        problems.append(Problem("how", f"{dispatch.agency_name} has already answered; there is nothing to chase"))
    return problems, clean


def record_chase(vault, dispatch_id: str, data: dict, *, out_dir=None, now: _dt.datetime | None = None):
    """Record one chase of `dispatch_id`'s answer; returns (Chase, made packages).
    `out_dir` is the folder for the re-made package when `how` is "package"."""
    from app import requests as rq

    require(vault.role, "requests.write", "chase answers")
    dispatch = rq.get_dispatch(vault, dispatch_id)
    reference = vault.db.scalar("SELECT reference FROM requests WHERE id = ?", (dispatch.request_id,))
    origin = vault.db.scalar("SELECT origin_agency FROM requests WHERE id = ?", (dispatch.request_id,))
    problems, clean = validate_chase(dispatch, data, now=now)
    if origin != vault.agency:
        problems.append(Problem("how", f"{reference} came from another desk; only the requesting desk chases"))
    if clean["how"] == "package" and not problems:
        why_not = package_possible(vault, dispatch.agency)
        if why_not:
            problems.append(Problem("how", why_not))
        elif out_dir is None or not Path(out_dir).is_dir():
            problems.append(Problem("out_dir", "Choose an existing folder for the package"))
    raise_if(problems, "The chase was not recorded")
    made: list = []
    try:
        with vault.db.transaction():
            return _write_chase(vault, dispatch, reference, clean, out_dir, made)
    except BaseException:
        for package in made:  # nothing half-recorded: no package file without its chase
            Path(package.path).unlink(missing_ok=True)
        raise


def _write_chase(vault, dispatch, reference: str, clean: dict, out_dir, made: list):
    from app.exchange import desks, packages

    package_id = call_id = None
    if clean["how"] == "package":
        made.extend(packages.send(vault, reference, [dispatch.agency], out_dir))
        package_id = made[0].package_id if made else None
    elif clean["how"] == "telephone":
        call = desks.log_call(vault, direction="given", caller=vault.actor, callee=clean["to_whom"],
                              other_agency=dispatch.agency, via=clean["via"],
                              identity_check=clean["identity_check"],
                              what=f"Chased the answer to {reference}; new date promised "
                                   f"{parse_date(clean['promised_date']).strftime('%d/%m/%Y')}",
                              request=reference, at=clean["at"])
        call_id = call["id"]
    cid = new_id()
    stamp = utc_now_iso()
    vault.db.execute(
        "INSERT INTO dispatch_chases (id, dispatch_id, at, how, to_whom, previous_due, promised_date, note,"
        " package_id, call_id, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (cid, dispatch.id, clean["at"], clean["how"], clean["to_whom"], dispatch.due_date,
         clean["promised_date"], clean["note"], package_id, call_id, stamp, vault.actor))
    vault.db.execute("UPDATE dispatches SET due_date = ?, updated_at = ?, updated_by = ? WHERE id = ?",
                     (clean["promised_date"], stamp, vault.actor, dispatch.id))
    vault.audit("dispatch.chased", record_type="dispatch", record_id=dispatch.id,
                reason=f"{reference} to {dispatch.target} by {clean['how']}")
    return chase(vault, cid), list(made)


def chase(vault, chase_id: str) -> Chase:
    row = vault.db.one("SELECT * FROM dispatch_chases WHERE id = ?", (chase_id,))
    if row is None:
        raise InvalidInput(f"There is no chase {chase_id} in this vault.")
    return Chase.from_row(row)


def chases_of(vault, dispatch_id: str) -> list[Chase]:
    require(vault.role, "requests.read", "see chases")
    return [Chase.from_row(r) for r in
            vault.db.query("SELECT * FROM dispatch_chases WHERE dispatch_id = ? ORDER BY seq", (dispatch_id,))]


def chases_by_dispatch(vault, request_id: str) -> dict[str, list[Chase]]:
    """Every chase of one request's dispatches, by dispatch id, oldest first."""
    require(vault.role, "requests.read", "see chases")
    out: dict[str, list[Chase]] = {}
    for r in vault.db.query("SELECT c.* FROM dispatch_chases c JOIN dispatches d ON d.id = c.dispatch_id"
                            " WHERE d.request_id = ? ORDER BY c.seq", (request_id,)):
        out.setdefault(r["dispatch_id"], []).append(Chase.from_row(r))
    return out


def flagged(vault, *, today: _dt.date | None = None, request_id: str | None = None) -> list[Flag]:
    """Answers still awaited, past the date promised at their last chase: overdue a second time,
    for the lead officer. Longest overdue first."""
    require(vault.role, "requests.read", "see answers overdue after a chase")
    today = today or today_london()
    sql = ("SELECT d.id, d.request_id, d.agency, d.due_date, r.reference, count(c.id) AS chases"
           " FROM dispatches d JOIN requests r ON r.id = d.request_id JOIN dispatch_chases c ON c.dispatch_id = d.id"
           " WHERE d.status IN ('sent','acknowledged') AND d.due_date < ?")
    params: list = [today.isoformat()]
    if request_id:
        sql += " AND d.request_id = ?"
        params.append(request_id)
    rows = vault.db.query(sql + " GROUP BY d.id ORDER BY d.due_date, r.seq", tuple(params))
    return [Flag(r["request_id"], r["reference"], r["id"], r["agency"], r["due_date"],
                 (today - parse_date(r["due_date"])).days, r["chases"]) for r in rows]


def chase_counts(vault, start, end) -> dict:
    """Chases made from `start` up to but not including `end` (dates or aware datetimes; a date
    is midnight UK time), for the compliance report: the total, by how, by partner, the
    dispatches chased, and how many of those are overdue again now. Counts only."""
    from app.timeutil import LONDON

    def moment(value) -> str:
        if isinstance(value, str):
            value = parse_date(value) if len(value) <= 10 else parse_utc(value)
        if isinstance(value, _dt.datetime):
            if value.tzinfo is None:
                raise InvalidInput("Give the period's times with their time zone.")
            return value.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")
        if isinstance(value, _dt.date):
            local = _dt.datetime.combine(value, _dt.time(0), tzinfo=LONDON)
            return local.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")
        raise InvalidInput(f"{value!r} is not a date or a time.")

    require(vault.role, "requests.read", "count chases")
    lo, hi = moment(start), moment(end)
    if hi < lo:
        raise InvalidInput("The end of the period is before its start.")
    rows = chases_by_partner(vault, lo, hi, today=today_london())
    by_how = {how: sum(r[how] for r in rows) for how in HOW_TITLES}
    return {"total": sum(r["chases"] for r in rows), "by_how": by_how,
            "by_agency": {r["agency"]: r["chases"] for r in rows},
            "dispatches_chased": sum(r["dispatches"] for r in rows),
            "overdue_again": sum(r["overdue_again"] for r in rows)}


def chases_by_partner(vault, lo_utc: str, hi_utc: str, *, today: _dt.date, agency: str | None = None) -> list[dict]:
    """Chases made from `lo_utc` up to `hi_utc` (UTC ISO times), one dict per partner chased (in
    code order): chases in all and by how, the answers (dispatches) chased, how many of those are
    answered now, and how many are overdue again now (past the date promised at the last chase, as
    `flagged` counts them). One aggregate statement; counts only. The caller checks permission
    (chase_counts: requests.read; the compliance report: compliance.read)."""
    how_sums = "".join(f", sum(c.how = '{how}') AS \"{how}\"" for how in HOW_TITLES)  # our constants
    rows = vault.db.query(
        "SELECT d.agency, count(*) AS chases" + how_sums + ", count(DISTINCT c.dispatch_id) AS dispatches,"
        " count(DISTINCT CASE WHEN d.status IN ('responded', 'nil-return', 'declined') THEN d.id END) AS answered,"
        " count(DISTINCT CASE WHEN d.status IN ('sent', 'acknowledged') AND d.due_date < ? THEN d.id END)"
        " AS overdue_again FROM dispatch_chases c JOIN dispatches d ON d.id = c.dispatch_id"
        " WHERE c.at >= ? AND c.at < ?" + (" AND d.agency = ?" if agency else "") + " GROUP BY d.agency"
        " ORDER BY d.agency", (today.isoformat(), lo_utc, hi_utc) + ((agency,) if agency else ()))
    return [dict(r) for r in rows]


def chases_section(scope):
    """The compliance report's chases (2.6): by partner and how, the answers chased, answered since
    and overdue again now after a chase."""
    from app.compliance import Section

    rows = chases_by_partner(scope.vault, scope.start_utc, scope.end_utc, today=scope.today, agency=scope.partner)
    agreement = load_agreement()
    order = {code: n for n, code in enumerate(agreement.partner_codes())}
    rows.sort(key=lambda r: order.get(r["agency"], 99))

    def total(key: str) -> int:
        return sum(r[key] for r in rows)

    how = ", ".join(f"{HOW_TITLES[h].split(' (')[0].lower()}: {total(h)}" for h in HOW_TITLES)
    lines = (f"Chases of overdue answers in the period: {total('chases')} ({how}).",
             f"Answers chased: {total('dispatches')}; answered since: {total('answered')}; overdue again now, past "
             f"the date promised at the last chase (flagged for the lead officer): {total('overdue_again')}.")
    return Section("chases", "Chasing overdue answers", "2.6", lines,
                   ("Partner", "Chases", "Package re-sent", "Telephone", "E-mail", "Answers chased", "Answered since",
                    "Overdue again"),
                   tuple((agreement.partner_name(r["agency"]), str(r["chases"]), *(str(r[h]) for h in HOW_TITLES),
                          str(r["dispatches"]), str(r["answered"]), str(r["overdue_again"])) for r in rows),
                   (2.8, 1.1, 1.3, 1.4, 1.0, 1.3, 1.3, 1.3))


__all__ = ["Chase", "Flag", "HOW_TITLES", "validate_chase", "record_chase", "chases_of", "chases_by_dispatch",
           "flagged", "chase_counts", "chases_by_partner", "chases_section", "package_possible"]
