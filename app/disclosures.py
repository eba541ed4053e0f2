"""The disclosure register: one row per movement of information between agencies.

Each row says what went from whom to whom and when (linked request, response and subjects), on
what lawful basis, through which Appendix 4 channel, and which agency originated the information
(whose written consent governs any onward disclosure, 6.2-6.3). Rows are written by the services,
never typed in by hand, except onward disclosures (`record_onward`):

- kind `request`: a request sent to a partner (`requests.send_to_agencies`);
- kind `response`: a response sent (`responses.mark_response_sent`) or received (import or
  `responses.receive_response`);
- kind `export`: an exchange file made for sending (`exchange.export_request`);
- kind `onward`: a further disclosure of collated information to a partner (5.3);
- kind `meeting`: a further disclosure the chair of a tactical meeting permitted (Appendix 1
  para 4; `meetings.record_permission`).
Consent (6.2, 6.3, 7.3; app.consent): each row lists the items that went and the written
consents relied on. Corrections (7.2) and subject access (12) hang off this register too.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.listing import Sort
from app.records import Page, dumps, loads, new_id
from app.roles import require
from app.timeutil import utc_now_iso

KINDS = ("request", "response", "onward", "export", "meeting")


@dataclass(frozen=True)
class Disclosure:
    id: str
    seq: int
    kind: str
    direction: str
    from_agency: str
    to_agency: str
    at: str
    request_id: str | None
    response_id: str | None
    subject_ids: tuple[str, ...]
    what: str
    lawful_bases: tuple[str, ...]
    channel: str
    originator: str
    recorded_by: str
    recorded_at: str
    items: tuple[str, ...] = ()  # what went, as consent items (response:ID, subject:ID, request:ID)
    consent_grants: tuple[str, ...] = ()  # the written consents (app.consent answers) relied on

    @classmethod
    def from_row(cls, row) -> "Disclosure":
        keys = set(row.keys())
        values = {k: row[k] for k in cls.__dataclass_fields__ if k in keys}
        for key in ("subject_ids", "lawful_bases", "items", "consent_grants"):
            if key in values:
                values[key] = tuple(loads(values[key]))
        return cls(**values)


def record(vault, *, kind: str, direction: str, from_agency: str, to_agency: str, what: str,
           originator: str, request_id: str | None = None, response_id: str | None = None,
           subject_ids=(), lawful_bases=(), channel: str = "", at: str | None = None, items=(),
           consent_grants=()) -> str:
    """Write one register row (service use; call inside the transaction of the act). `items`
    and `consent_grants`: what went and the written consents relied on (app.consent)."""
    if kind not in KINDS or direction not in ("sent", "received"):
        raise ValueError((kind, direction))
    did = new_id()
    now = utc_now_iso()
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO disclosures (id, kind, direction, from_agency, to_agency, at, request_id, response_id,"
            " subject_ids, what, lawful_bases, channel, originator, recorded_by, recorded_at, items, consent_grants)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (did, kind, direction, from_agency, to_agency, at or now, request_id, response_id,
             dumps(list(subject_ids)), what, dumps(list(lawful_bases)), channel, originator, vault.actor, now,
             dumps(list(items)), dumps(list(consent_grants))))
        vault.audit("disclosure.recorded", record_type="disclosure", record_id=did, reason=f"{kind} {direction}")
    return did


def refuse_if_suspended(vault, agency: str) -> None:
    """Clause 13.2: nothing is disclosed to a partner while its suspension is in force."""
    from app.suspensions import current

    found = current(vault, agency)
    if found is not None:
        from app.timeutil import london_display

        raise InvalidInput(f"{load_agreement().partner(agency).name} is suspended under clause 13.2 (since "
                           f"{london_display(found.from_at)}); nothing can be disclosed to them until the "
                           "suspension is lifted.")


def record_onward(vault, request_id: str, to_agency: str, *, what: str, lawful_bases, channel: str,
                  purpose: str | None = None, response_ids=(), subject_ids=()) -> Disclosure:
    """An onward disclosure of collated information to a partner (5.3). Its originator is not
    chosen: it is the origin of the answers and subjects it draws on (data). Information of
    another partner goes on only with that partner's written consent covering these items, this
    recipient and `purpose` (6.2, 6.3, 7.3: `app.consent.check_disclosure`); the row cites it."""
    from app import consent

    require(vault.role, "disclosures.write", "record onward disclosures")
    agreement = load_agreement()
    codes = agreement.partner_codes()
    if to_agency not in codes:
        raise InvalidInput(f"Unknown agency {to_agency!r}.")
    refuse_if_suspended(vault, to_agency)
    if not lawful_bases:
        raise InvalidInput("Choose the lawful basis for the disclosure.")
    for basis in lawful_bases:
        if basis not in {b.id for b in agreement.lawful_bases}:
            raise InvalidInput(f"Unknown lawful basis {basis!r}.")
    if channel and channel not in {c.id for c in agreement.secure_channels}:
        raise InvalidInput(f"Unknown secure channel {channel!r}.")
    if not (what or "").strip():
        raise InvalidInput("Describe what is disclosed.")
    if vault.db.one("SELECT 1 FROM requests WHERE id = ?", (request_id,)) is None:
        raise InvalidInput(f"There is no request {request_id} in this vault.")
    for rid in response_ids:
        if vault.db.one("SELECT 1 FROM responses r JOIN dispatches d ON d.id = r.dispatch_id"
                        " WHERE r.id = ? AND d.request_id = ?", (rid, request_id)) is None:
            raise InvalidInput("An answer ticked is not an answer to this request.")
    purpose = consent.check_purpose(purpose or consent.default_purpose(vault, request_id))
    items = [f"response:{r}" for r in response_ids] + [f"subject:{s}" for s in subject_ids]
    decision = consent.require_consent(vault, items, to_agency, purpose)
    originator = decision.originator or (decision.originators[0] if decision.originators else vault.agency)
    did = record(vault, kind="onward", direction="sent", from_agency=vault.agency, to_agency=to_agency,
                 what=what, originator=originator, request_id=request_id,
                 response_id=response_ids[0] if len(response_ids) == 1 else None, subject_ids=subject_ids,
                 lawful_bases=lawful_bases, channel=channel, items=decision.items, consent_grants=decision.grants)
    return Disclosure.from_row(vault.db.one("SELECT * FROM disclosures WHERE id = ?", (did,)))


DISCLOSURE_SORT = Sort(
    {"when": "at", "from": "from_agency", "to": "to_agency"}, tie="seq", default="when",
    captions={"when": ("Earliest first", "Latest first"), "from": ("By sender, A to Z", "By sender, Z to A"),
              "to": ("By recipient, A to Z", "By recipient, Z to A")})


def list_disclosures(vault, *, request_id: str | None = None, after=None, limit: int = 200,
                     agency: str | None = None, sort: str | None = None, descending: bool | None = None) -> Page:
    """The register, latest first by the time each movement happened (not the order it was
    entered), or sorted in the database by one of DISCLOSURE_SORT's keys over the whole register;
    keyset paged. With `agency`, only the movements sent by or to that agency (a condition of the
    query, so every page is a full page of matches)."""
    require(vault.role, "disclosures.read", "see the disclosure register")
    select, cursor_params, after_where, order = DISCLOSURE_SORT.plan(sort, descending, after)
    where, params = [], []
    if request_id is not None:
        where.append("request_id = ?")
        params.append(request_id)
    if agency:
        where.append("(from_agency = ? OR to_agency = ?)")
        params += [agency, agency]
    if after_where:
        where.append(after_where)
        params += cursor_params
    limit = max(1, min(int(limit), 5000))
    sql = f"SELECT *, {select} FROM disclosures" + (" WHERE " + " AND ".join(where) if where else "")
    rows = vault.db.query(sql + f" ORDER BY {order} LIMIT ?", (*params, limit))  # the order is DISCLOSURE_SORT's
    items = [Disclosure.from_row(r) for r in rows]
    if after is None:
        vault.audit("disclosures.listed", record_type="disclosure", record_id=request_id,
                    reason=f"{len(items)} shown")
    next_after = DISCLOSURE_SORT.cursor(sort, rows[-1], rows[-1]["seq"]) if len(rows) == limit else None
    return Page(items, next_after)


def count_disclosures(vault) -> int:
    require(vault.role, "disclosures.read", "see the disclosure register")
    return vault.db.scalar("SELECT count(*) FROM disclosures")
