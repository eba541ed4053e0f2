"""Compliance returns between desks, and the reconciliation of two disclosure registers (13.1).

A desk makes a signed compliance return for one partner: the rows of its disclosure register with
that partner (ids, times and kinds only; no names, no text) and the audit heads of the partner's
desk that it holds from their packages. It travels as a sealed package of kind
"compliance-return" (app.exchange.packages: sealed to the partner's trusted card, signed by this
desk). The partner imports it: the two registers are matched row for row (a request or response
by its global ids, the two agencies and its kind), and the heads are checked against the
importing desk's own audit chain, as `verify --expect` does. Every mismatch is kept with the
return and listed in the compliance report.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.files import write_private
from app.roles import require
from app.timeutil import parse_utc, utc_now_iso

FORMAT = "spocdesk-compliance-return/1"
KIND = "compliance-return"
ROW_KEYS = ("id", "kind", "direction", "from", "to", "at", "request_id", "response_id")
MAX_ROWS = 2_000_000
CLOCK_LEEWAY = _dt.timedelta(minutes=5)  # two desks' clocks differ a little
DELIVERY_DAYS = 7  # received more than this long after it was sent: the times disagree

MISMATCH_WORDS = {
    "sent-not-received": "Sent here, not received there",
    "received-never-sent": "Received here, never sent there",
    "sent-there-not-received": "Sent there, not received here",
    "received-there-never-sent": "Received there, never sent here",
    "times-disagree": "Times disagree",
    "head-mismatch": "Audit head does not match this desk's chain",
}


def _register_rows(vault, partner: str) -> list[dict]:
    # Requests and responses: both desks record each of them (sent here, received there). Onward
    # disclosures are recorded by the desk that makes them only, so they are not reconciled.
    rows = vault.db.query(
        "SELECT id, kind, direction, from_agency, to_agency, at, request_id, response_id FROM disclosures"
        " WHERE kind IN ('request', 'response') AND ((direction = 'sent' AND to_agency = ?)"
        " OR (direction = 'received' AND from_agency = ?)) ORDER BY seq", (partner, partner))
    return [{"id": r["id"], "kind": r["kind"], "direction": r["direction"], "from": r["from_agency"],
             "to": r["to_agency"], "at": r["at"], "request_id": r["request_id"] or "",
             "response_id": r["response_id"] or ""} for r in rows]


def return_document(vault, partner: str) -> dict:
    """The return's content: no personal data, only ids, kinds, agencies and times."""
    from app.exchange.packages import held_heads

    heads = sorted({h["head"] for h in held_heads(vault) if h["agency"] == partner})
    return {"format": FORMAT, "from": vault.agency, "to": partner, "made_at": utc_now_iso(),
            "rows": _register_rows(vault, partner),
            "heads": [{"seq": int(h.split(":")[0]), "mac": h.split(":")[1]} for h in heads]}


def make_return(vault, partner: str, out_dir) -> Path:
    """Seal this desk's compliance return for `partner` into `out_dir`; returns the file."""
    from app.exchange.packages import SUFFIX, _trusted_card, seal

    require(vault.role, "compliance.returns", "make compliance returns")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise InvalidInput(f"The folder {out_dir} does not exist; nothing was written.")
    card = _trusted_card(vault, partner)
    document = return_document(vault, partner)
    data_bytes = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    stamp = document["made_at"][:10].replace("-", "")
    package_id = str(uuid.uuid4())
    head = vault.chain_head()
    data = seal(vault, kind=KIND, document=data_bytes, recipient_card=card, reference=f"CR-{stamp}",
                package_id=package_id, head=head)
    path = out_dir / f"compliance-return_{vault.agency}_to_{partner}_{stamp}_{package_id[:8]}{SUFFIX}"
    write_private(path, data)
    with vault.db.transaction():
        vault.audit("compliance.return_made", record_type="package", record_id=package_id,
                    reason=f"for {partner}: {len(document['rows'])} register rows, {len(document['heads'])} heads")
    return path


def _check_document(raw: bytes, name: str, sender: str, here: str) -> dict:
    def bad(problem: str) -> InvalidInput:
        return InvalidInput(f"{name} is not a valid compliance return: {problem}; nothing was changed.")

    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise bad("its document is not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or set(doc) != {"format", "from", "to", "made_at",
                                                                               "rows", "heads"}:
        raise bad(f"it is not {FORMAT!r}")
    if doc["from"] != sender or doc["to"] != here:
        raise bad(f"it is from {doc['from']!r} for {doc['to']!r}, but was signed by {sender} for {here}")
    rows, heads = doc["rows"], doc["heads"]
    if not isinstance(rows, list) or len(rows) > MAX_ROWS or not isinstance(heads, list) or len(heads) > 10_000:
        raise bad("its rows or heads are not lists of a sensible size")
    for n, row in enumerate(rows):
        if not isinstance(row, dict) or set(row) != set(ROW_KEYS) or not all(isinstance(row[k], str) for k in ROW_KEYS):
            raise bad(f"register row {n + 1} has missing, unknown or non-text fields")
        if row["direction"] not in ("sent", "received"):
            raise bad(f"register row {n + 1} has direction {row['direction']!r}")
        try:
            parse_utc(row["at"])
        except (ValueError, TypeError):
            raise bad(f"register row {n + 1} has no valid time") from None
    for n, head in enumerate(heads):
        if not isinstance(head, dict) or set(head) != {"seq", "mac"} or not isinstance(head["seq"], int) \
                or isinstance(head["seq"], bool) or not isinstance(head["mac"], str) or not head["mac"]:
            raise bad(f"audit head {n + 1} is not a sequence number and a MAC")
    return doc


def _key(row: dict) -> tuple:
    return row["kind"], row["request_id"], row["response_id"], row["from"], row["to"]


def reconcile(mine: list[dict], theirs: list[dict], partner: str) -> list[dict]:
    """Every disagreement between this desk's rows with `partner` and the partner's rows with us."""
    def index(rows, direction):
        out: dict[tuple, dict] = {}
        for row in rows:
            if row["direction"] == direction:
                out.setdefault(_key(row), row)
        return out

    my_sent, my_received = index(mine, "sent"), index(mine, "received")
    their_sent, their_received = index(theirs, "sent"), index(theirs, "received")
    found = []

    def add(what: str, row: dict, detail: str) -> None:
        found.append({"partner": partner, "kind": what, "what": MISMATCH_WORDS[what], "id": row["id"],
                      "detail": detail})

    def describe(row: dict) -> str:
        return f"{row['kind']} {row['from']} to {row['to']} at {row['at'][:16]} (request {row['request_id'][:8]})"

    for key, row in my_sent.items():
        other = their_received.get(key)
        if other is None:
            add("sent-not-received", row, describe(row))
        else:
            _compare_times(add, row, other, sent_here=True)
    for key, row in my_received.items():
        other = their_sent.get(key)
        if other is None:
            add("received-never-sent", row, describe(row))
        else:
            _compare_times(add, other, row, sent_here=False)
    for key, row in their_sent.items():
        if key not in my_received:
            add("sent-there-not-received", row, describe(row))
    for key, row in their_received.items():
        if key not in my_sent:
            add("received-there-never-sent", row, describe(row))
    return found


def _compare_times(add, sent: dict, received: dict, *, sent_here: bool) -> None:
    gap = parse_utc(received["at"]) - parse_utc(sent["at"])
    if gap < -CLOCK_LEEWAY:
        add("times-disagree", sent if sent_here else received,
            f"received {received['at'][:16]} before it was sent {sent['at'][:16]} (UTC)")
    elif gap > _dt.timedelta(days=DELIVERY_DAYS):
        add("times-disagree", sent if sent_here else received,
            f"sent {sent['at'][:16]}, received {received['at'][:16]} (UTC): {gap.days} days apart")


@dataclass(frozen=True)
class Imported:
    partner: str
    rows: int
    heads: int
    mismatches: tuple[dict, ...]
    already: bool = False

    @property
    def line(self) -> str:
        name = load_agreement().partner_name(self.partner)
        if self.already:
            return f"This compliance return from {name} was already imported; nothing was changed."
        return (f"Compliance return from {name}: {self.rows} register rows and {self.heads} audit heads checked; "
                f"{len(self.mismatches)} mismatch{'es' if len(self.mismatches) != 1 else ''}.")


def import_return(vault, path) -> Imported:
    """Verify and open a partner's compliance return, reconcile it, and keep the result."""
    from app.exchange.packages import open_package

    require(vault.role, "compliance.returns", "import compliance returns")
    path = Path(path)
    manifest, document, _rotated = open_package(vault, path)
    if manifest["kind"] != KIND:
        raise InvalidInput(f"{path.name} is a {manifest['kind']} package, not a compliance return; "
                           "nothing was changed.")
    partner = manifest["sender"]["agency"]
    package_id = manifest["package_id"]
    if vault.db.scalar("SELECT count(*) FROM compliance_returns WHERE id = ?", (package_id,)):
        row = vault.db.one("SELECT * FROM compliance_returns WHERE id = ?", (package_id,))
        return Imported(partner, len(json.loads(row["rows"])), len(json.loads(row["heads"])),
                        tuple(json.loads(row["mismatches"])), already=True)
    doc = _check_document(document, path.name, partner, vault.agency)
    mismatches = reconcile(_register_rows(vault, partner), doc["rows"], partner)
    mismatches += check_heads(vault, partner, doc["heads"])
    with vault.db.transaction():
        vault.db.execute("INSERT INTO compliance_returns (id, partner, made_at, rows, heads, mismatches, imported_at,"
                         " imported_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (package_id, partner, doc["made_at"], json.dumps([r["id"] for r in doc["rows"]]),
                          json.dumps(doc["heads"]), json.dumps(mismatches), utc_now_iso(), vault.actor))
        vault.audit("compliance.return_imported", record_type="package", record_id=package_id,
                    reason=f"from {partner}: {len(mismatches)} mismatches")
    return Imported(partner, len(doc["rows"]), len(doc["heads"]), tuple(mismatches))


def check_heads(vault, partner: str, heads: list[dict]) -> list[dict]:
    """The heads the partner holds from this desk's packages, checked as `verify --expect` does:
    the chain replayed once from its start, then each head looked up in it."""
    from app import audit

    def mismatch(head_id: str, detail: str) -> dict:
        return {"partner": partner, "kind": "head-mismatch", "what": MISMATCH_WORDS["head-mismatch"],
                "id": head_id, "detail": detail}

    if not heads:
        return []
    found = []
    chain = audit.verify_chain(vault.db, vault.audit_key)
    if chain.problems:
        found.append(mismatch("chain", f"this desk's own audit chain fails verification: {chain.problems[0]}"))
    for head in heads:
        held = vault.db.scalar("SELECT mac FROM audit_events WHERE seq = ?", (head["seq"],))
        if held is None or not str(held).lower().startswith(head["mac"].lower()):
            where = "the trail has no such event" if held is None else f"the trail has {head['seq']}:{str(held)[:16]}"
            found.append(mismatch(f"{head['seq']}:{head['mac'][:16]}",
                                  f"the partner holds {head['seq']}:{head['mac'][:16]} from this desk, but {where}: "
                                  "the trail was cut or rewritten after that package was sent"))
    return found


def latest_mismatches(vault, partner: str | None = None) -> list[dict]:
    """The mismatches of the latest return imported from each partner (or from `partner`)."""
    sql = ("SELECT partner, mismatches FROM compliance_returns c WHERE seq = (SELECT max(seq) FROM"
           " compliance_returns WHERE partner = c.partner)")
    params: tuple = ()
    if partner:
        sql, params = sql + " AND partner = ?", (partner,)
    out = []
    for row in vault.db.query(sql + " ORDER BY partner", params):
        out.extend(json.loads(row["mismatches"]))
    return out
