"""The audit trail: append-only events in an HMAC chain.

Each event's MAC covers the previous MAC and the event's fields, under a key derived from the
vault's data key (HKDF, separate from it). An edited, deleted, inserted or reordered event breaks
the chain from that point; cutting events off the end is caught against the chain head printed
on every report and export. Events never hold personal values: who, when, what action, which
record (by id or reference), and the reason where a clause asks for one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from app.timeutil import utc_now_iso
from app.vault import crypto
from app.vault.connection import Database

GENESIS = bytes(32)


@dataclass(frozen=True)
class ChainHead:
    seq: int
    mac: str

    def short(self) -> str:
        """The form printed on paper: event count and the first 16 hex digits of the MAC."""
        return f"{self.seq}:{self.mac[:16]}"


@dataclass
class ChainReport:
    events: int = 0
    head: ChainHead = field(default_factory=lambda: ChainHead(0, GENESIS.hex()))
    problems: list[str] = field(default_factory=list)
    mismatched_head: str | None = None  # the first --expect head that does not match

    @property
    def ok(self) -> bool:
        return not self.problems


def _message(prev_mac: bytes, seq: int, at: str, actor: str, action: str,
             record_type: str | None, record_id: str | None, reason: str | None) -> bytes:
    fields = [seq, at, actor, action, record_type, record_id, reason]
    return prev_mac + json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def record(
    db: Database,
    key: bytes,
    actor: str,
    action: str,
    *,
    record_type: str | None = None,
    record_id: str | None = None,
    reason: str | None = None,
    at: str | None = None,
) -> int:
    """Append one event; call it inside the transaction of the change it records."""
    return record_many(db, key, actor, [(action, record_type, record_id, reason)], at=at)


def record_many(db: Database, key: bytes, actor: str,
                events: list[tuple[str, str | None, str | None, str | None]], *, at: str | None = None) -> int:
    """Append events in the order given, `(action, record_type, record_id, reason)` each, with one
    statement for all (an import's event per record), each chained to the one before; returns the
    last one's number. Call it inside the transaction of the changes they record."""
    with db.transaction():
        last = head(db)
        seq, prev = last.seq, bytes.fromhex(last.mac)
        rows = []
        for action, record_type, record_id, reason in events:
            seq += 1
            when = at or utc_now_iso()
            prev = crypto.mac(key, _message(prev, seq, when, actor, action, record_type, record_id, reason))
            rows.append((seq, when, actor, action, record_type, record_id, reason, prev.hex()))
        if rows:
            db.executemany("INSERT INTO audit_events (seq, at, actor, action, record_type, record_id, reason, mac)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return seq


def chain_key(db: Database, dek: bytes | bytearray) -> bytes:
    """The chain's HMAC key: derived from the first data key, and kept inside the vault from its
    first rekey on, so the whole trail still verifies under a later data key."""
    kept = db.scalar("SELECT value FROM meta WHERE key = 'audit_chain_key'")
    if kept:
        return bytes.fromhex(kept)
    return crypto.audit_key(dek)


def head(db: Database) -> ChainHead:
    last = db.one("SELECT seq, mac FROM audit_events ORDER BY seq DESC LIMIT 1")
    return ChainHead(0, GENESIS.hex()) if last is None else ChainHead(last["seq"], last["mac"])


FIRST_ACTION = "vault.created"


def verify_chain(db: Database, key: bytes, *, max_problems: int = 20, recorded_seq: int = 0,
                 expect: list[tuple[int, str]] | tuple = ()) -> ChainReport:
    """Replay the chain from the start; report where it breaks.

    The trail must start with the vault's creation; it must be at least as long as the count
    the keyslot file recorded at the last lock (`recorded_seq`), and every head in `expect`
    (SEQ and a MAC prefix, as printed on paper or held by a partner desk) must be in it."""
    report = ChainReport()
    prev = GENESIS
    expected_seq = 1
    wanted = {}
    for seq, mac in expect:
        wanted.setdefault(int(seq), []).append(str(mac).lower())
    seen: dict[int, str] = {}
    cursor = db.execute(
        "SELECT seq, at, actor, action, record_type, record_id, reason, mac FROM audit_events ORDER BY seq"
    )
    for row in cursor:
        report.events += 1
        if report.events == 1 and (row["seq"] != 1 or row["action"] != FIRST_ACTION):
            report.problems.append(
                f"the audit trail does not start with the vault's creation ({FIRST_ACTION}): its "
                "beginning was cut off or replaced"
            )
        if row["seq"] in wanted and isinstance(row["mac"], str):
            seen[row["seq"]] = row["mac"]
        seq = row["seq"]
        if seq != expected_seq:
            report.problems.append(
                f"audit event {expected_seq} is missing (the next one found is {seq}): events were deleted"
            )
        computed = crypto.mac(
            key,
            _message(prev, seq, row["at"], row["actor"], row["action"],
                     row["record_type"], row["record_id"], row["reason"]),
        )
        stored = row["mac"]
        if not isinstance(stored, str) or computed.hex() != stored:
            report.problems.append(
                f"audit event {seq} does not match the chain: it was edited, inserted or moved"
            )
        if len(report.problems) >= max_problems:
            report.problems.append("… further problems not listed")
            break
        # Continue from the stored MAC so one bad event is reported once, not for every later one.
        try:
            prev = bytes.fromhex(stored)
        except (TypeError, ValueError):
            prev = computed
        expected_seq = seq + 1
        report.head = ChainHead(seq, stored if isinstance(stored, str) else "")
    if report.events == 0:
        report.problems.append(
            f"the audit trail is empty: it does not start with the vault's creation ({FIRST_ACTION}); "
            "its events were deleted"
        )
    if report.head.seq < recorded_seq:
        report.problems.append(
            f"the audit trail ends at event {report.head.seq} but the keyslot file recorded "
            f"{recorded_seq} events at the last lock: events were cut off the end"
        )
    for seq, mac in expect:
        held = seen.get(int(seq))
        if held is None or not held.lower().startswith(str(mac).lower()):
            report.mismatched_head = f"{seq}:{mac}"
            found = "the trail has no such event" if held is None else f"the trail has {seq}:{held[:16]}"
            report.problems.insert(0, f"the audit head {seq}:{mac} does not match ({found}): the trail "
                                   "was cut or rewritten after that head was printed or sent")
            break
    return report


AUDIT_FIELDS = ("seq", "at", "actor", "action", "record_type", "record_id", "reason")


def page(db: Database, *, before: int | None = None, limit: int = 500, action_contains: str = "",
         record_ids: tuple[str, ...] = (), oldest_first: bool = False, after: int | None = None) -> list[tuple]:
    """Audit events newest first, `limit` at a time below sequence `before` (keyset paging), or
    with `oldest_first` the oldest first, above sequence `after`; optionally only actions
    containing a text (taken literally, wildcards escaped) and only events about the given record
    ids. Sequence order is time order: events are appended as they happen."""
    where, params = [], []
    if after is not None:
        where.append("seq > ?")
        params.append(int(after))
    if record_ids:
        where.append("record_id IN (" + ", ".join("?" for _ in record_ids) + ")")  # markers only
        params.extend(record_ids)
    if before is not None:
        where.append("seq < ?")
        params.append(int(before))
    if action_contains:
        escaped = action_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("action LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    sql = "SELECT seq, at, actor, action, record_type, record_id, reason FROM audit_events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY seq {'ASC' if oldest_first else 'DESC'} LIMIT ?"  # one of two words of ours
    params.append(int(limit))
    return [tuple(row[f] for f in AUDIT_FIELDS) for row in db.query(sql, params)]

