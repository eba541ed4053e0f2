"""Equipment malfunction (clause 10.2): "the lead officer will inform the signatories and will
arrange an alternative form of exchange until repair."

`record_outage` records a partner's channel as down (which channel, since when, what is wrong)
and the alternative form of exchange chosen from the agreement's secure channels (Appendix 4)
or the telephone (9.5). Until `record_repair`, Send uses that alternative for the partner
(`channel_for`): a request sent to it is recorded in the disclosure register by the alternative
channel, and its dispatch keeps the malfunction's id and the channel, so it says it was sent that
way. The alternative "telephone" makes no package: the information is given by telephone and
logged in the telephone log. `record_notice` records that one partner's signatory was informed
(one record per partner, with how); `missing_notices` names the partners still to be told.

A malfunction is never deleted; the repair is the only change to it. Every step is audited with
ids and codes only. Breaches of the equipment-malfunction kind can be linked.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.records import Problem, check_text, check_time, new_id, raise_if
from app.roles import require
from app.timeutil import utc_now, utc_now_iso

TELEPHONE = "telephone"
TELEPHONE_NAME = "Telephone, with the identity check of clause 9.5 (the telephone log)"


@dataclass(frozen=True)
class Notice:
    id: str
    outage_id: str
    partner: str
    signatory: str
    how: str
    at: str
    recorded_at: str
    recorded_by: str

    @property
    def partner_name(self) -> str:
        return load_agreement().partner_name(self.partner)


@dataclass(frozen=True)
class Outage:
    id: str
    partner: str
    channel: str
    down_at: str
    what: str
    fallback: str
    fallback_note: str
    breach_id: str | None
    recorded_at: str
    recorded_by: str
    repaired_at: str | None
    repair_note: str | None
    repaired_by: str | None
    notices: tuple[Notice, ...] = field(default=())

    @property
    def open(self) -> bool:
        return self.repaired_at is None

    @property
    def partner_name(self) -> str:
        return load_agreement().partner_name(self.partner)

    @property
    def channel_name(self) -> str:
        return channel_name(self.channel)

    @property
    def fallback_name(self) -> str:
        return channel_name(self.fallback)

    def words(self) -> str:
        """'Alternative exchange while Criminal Justice Secure Mail is down (10.2): PNN e-mail'."""
        return f"Alternative exchange while {self.channel_name} is down (10.2): {self.fallback_name}"


def channel_name(channel: str) -> str:
    return TELEPHONE_NAME if channel == TELEPHONE else load_agreement().channel_name(channel)


def channels(agency: str) -> list[str]:
    """The channels a partner's exchange can use: the agreement's secure channels, those the
    partner normally uses first (app.requests.channels_for)."""
    from app.requests import channels_for

    return channels_for(agency)


def _row(vault, outage_id: str) -> Outage:
    row = vault.db.one("SELECT * FROM channel_outages WHERE id = ?", (outage_id,))
    if row is None:
        raise InvalidInput(f"There is no equipment malfunction {outage_id} in this vault.")
    notices = tuple(Notice(**{k: r[k] for k in Notice.__dataclass_fields__}) for r in vault.db.query(
        "SELECT * FROM outage_notices WHERE outage_id = ? ORDER BY seq", (outage_id,)))
    return Outage(**{k: row[k] for k in Outage.__dataclass_fields__ if k != "notices"}, notices=notices)


def get_outage(vault, outage_id: str) -> Outage:
    require(vault.role, "contacts.read", "see equipment malfunctions")
    return _row(vault, outage_id)


def list_outages(vault, *, open_only: bool = False) -> list[Outage]:
    """Open ones first, then the repaired ones, newest first."""
    require(vault.role, "contacts.read", "see equipment malfunctions")
    sql = "SELECT id FROM channel_outages" + (" WHERE repaired_at IS NULL" if open_only else "") + \
        " ORDER BY repaired_at IS NOT NULL, seq DESC"
    return [_row(vault, r["id"]) for r in vault.db.query(sql)]


def current(vault, agency: str) -> Outage | None:
    """The open malfunction of `agency`'s channel, if any (no permission needed: Send asks)."""
    row = vault.db.one("SELECT id FROM channel_outages WHERE partner = ? AND repaired_at IS NULL"
                       " ORDER BY seq DESC LIMIT 1", (agency,))
    return _row(vault, row["id"]) if row else None


def channel_for(vault, agency: str) -> tuple[str, Outage | None]:
    """The channel Send uses for `agency` now: the alternative while its channel is recorded down,
    otherwise the partner's usual one (app.requests.default_channel)."""
    from app.requests import default_channel

    outage = current(vault, agency)
    return (outage.fallback, outage) if outage is not None else (default_channel(agency), None)


def validate_outage(vault, data: dict, *, now: _dt.datetime | None = None) -> tuple[list[Problem], dict]:
    now = now or utc_now()
    agreement = load_agreement()
    problems: list[Problem] = []
    clean: dict = {}
    partner = data.get("partner") or ""
    if partner not in agreement.partner_codes():
        problems.append(Problem("partner", "Choose the partner whose equipment has failed"))
    clean["partner"] = partner
    known = channels(partner) if partner in agreement.partner_codes() else [c.id for c in agreement.secure_channels]
    channel = data.get("channel") or ""
    if channel not in known:
        problems.append(Problem("channel", "Choose the channel that is down"))
    clean["channel"] = channel
    fallback = data.get("fallback") or ""
    if fallback not in (*known, TELEPHONE):
        problems.append(Problem("fallback", "Choose the alternative form of exchange from the agreement's "
                                            "channels or the telephone"))
    elif fallback == channel:
        problems.append(Problem("fallback", "The alternative must be another channel than the one that is down"))
    clean["fallback"] = fallback
    clean["what"] = check_text(problems, "what", data.get("what"), required=True,
                               missing="Enter what has failed (for example the secure e-mail gateway)")
    clean["fallback_note"] = check_text(problems, "fallback_note", data.get("fallback_note"))
    clean["down_at"] = check_time(problems, "down_at", data.get("down_at"), required=False, missing="",
                                  what="The time it failed", now=now) \
        or now.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")
    if partner and current(vault, partner) is not None:
        problems.append(Problem("partner", f"{agreement.partner_name(partner)}'s equipment is already recorded as "
                                           "down; record the repair first"))
    clean["breach_id"] = None
    ref = (data.get("breach_ref") or "").strip()
    if ref:
        row = vault.db.one("SELECT id FROM breaches WHERE reference = ? COLLATE NOCASE", (ref,))
        if row is None:
            problems.append(Problem("breach_ref", f"There is no breach {ref} in this vault"))
        else:
            clean["breach_id"] = row["id"]
    return problems, clean


def record_outage(vault, data: dict, *, now: _dt.datetime | None = None) -> Outage:
    require(vault.role, "exchange.fallback", "record an equipment malfunction")
    problems, clean = validate_outage(vault, data, now=now)
    raise_if(problems, "The equipment malfunction was not recorded")
    oid = new_id()
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO channel_outages (id, partner, channel, down_at, what, fallback, fallback_note, breach_id,"
            " recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (oid, clean["partner"], clean["channel"], clean["down_at"], clean["what"], clean["fallback"],
             clean["fallback_note"], clean["breach_id"], utc_now_iso(), vault.actor))
        vault.audit("outage.recorded", record_type="outage", record_id=oid,
                    reason=f"{clean['partner']} {clean['channel']} to {clean['fallback']}")
    return _row(vault, oid)


def record_notice(vault, outage_id: str, data: dict, *, now: _dt.datetime | None = None) -> Outage:
    """One partner's signatory informed of the malfunction, and how (one record per partner)."""
    require(vault.role, "exchange.fallback", "record that a signatory was informed")
    now = now or utc_now()
    outage = _row(vault, outage_id)
    problems: list[Problem] = []
    partner = data.get("partner") or ""
    if partner not in load_agreement().partner_codes():
        problems.append(Problem("partner", "Choose the partner whose signatory was informed"))
    elif any(n.partner == partner for n in outage.notices):
        problems.append(Problem("partner", f"{load_agreement().partner_name(partner)}'s signatory is already "
                                           "recorded as informed"))
    signatory = check_text(problems, "signatory", data.get("signatory"), required=True,
                           missing="Enter the signatory informed (name and position)", limit=500)
    how = check_text(problems, "how", data.get("how"), required=True,
                     missing="Enter how they were informed (for example telephone, e-mail)", limit=500)
    at = check_time(problems, "at", data.get("at"), required=False, missing="", what="The time they were informed",
                    now=now) or now.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")
    if at < outage.down_at:
        problems.append(Problem("at", "The time they were informed must be after the malfunction"))
    raise_if(problems, "The notice was not recorded")
    with vault.db.transaction():
        nid = new_id()
        vault.db.execute("INSERT INTO outage_notices (id, outage_id, partner, signatory, how, at, recorded_at,"
                         " recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (nid, outage.id, partner, signatory, how, at, utc_now_iso(), vault.actor))
        vault.audit("outage.signatory_informed", record_type="outage", record_id=outage.id, reason=partner)
    return _row(vault, outage.id)


def missing_notices(outage: Outage) -> list[str]:
    """The partners whose signatory is not yet recorded as informed, in the agreement's order."""
    told = {n.partner for n in outage.notices}
    return [p.code for p in load_agreement().partners if p.code not in told]


def record_repair(vault, outage_id: str, data: dict, *, now: _dt.datetime | None = None) -> Outage:
    """The repair: Send goes back to the partner's usual channel."""
    require(vault.role, "exchange.fallback", "record a repair")
    now = now or utc_now()
    outage = _row(vault, outage_id)
    problems: list[Problem] = []
    if not outage.open:
        problems.append(Problem("repaired_at", "The repair is already recorded"))
    note = check_text(problems, "repair_note", data.get("repair_note"), required=True,
                      missing="Enter what was repaired and how it was checked")
    at = check_time(problems, "repaired_at", data.get("repaired_at"), required=False, missing="",
                    what="The time of the repair", now=now) \
        or now.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")
    if at < outage.down_at:
        problems.append(Problem("repaired_at", "The repair must be after the malfunction"))
    raise_if(problems, "The repair was not recorded")
    with vault.db.transaction():
        vault.db.execute("UPDATE channel_outages SET repaired_at = ?, repair_note = ?, repaired_by = ?"
                         " WHERE id = ? AND repaired_at IS NULL", (at, note, vault.actor, outage.id))
        vault.audit("outage.repaired", record_type="outage", record_id=outage.id, reason=outage.partner)
    return _row(vault, outage.id)


def dispatch_words(vault, dispatch_id: str) -> str:
    """'' or how a dispatch sent during a malfunction went (for the request view)."""
    row = vault.db.one("SELECT outage_id, channel FROM dispatches WHERE id = ?", (dispatch_id,))
    if row is None or not row["outage_id"]:
        return ""
    try:
        outage = _row(vault, row["outage_id"])
    except InvalidInput:
        return f"Sent by {channel_name(row['channel'] or '')}, an alternative exchange (10.2)"
    return f"Sent by {channel_name(row['channel'] or outage.fallback)}, the alternative exchange while " \
           f"{outage.channel_name} was down (10.2)"


__all__ = ["Outage", "Notice", "TELEPHONE", "channel_for", "current", "record_outage", "record_notice",
           "record_repair", "missing_notices", "list_outages", "get_outage", "dispatch_words", "channel_name"]
