"""What else a desk carries when it moves to a new vault (a whole-vault file only).

The corrections of clause 7.2 (notices, corrections with their old values, each recipient's
state), complaints (10.1) with their append-only updates, chases of overdue answers (2.6),
equipment malfunctions (10.2) with the signatories told, the packages register (packages made
and received, with the partners' audit heads held for the joint audit, `verify --expect`), the
compliance returns imported from partners (13.1) and each user's approval and training (3.1,
6.4). A request or response package carries none of them.

Each list holds whole rows, in the order recorded; a part names its parent by id
(`complaint_updates[].complaint_id`, `outage_notices[].outage_id`,
`correction_recipients[].correction_id`). A user's approval names the user by `user_name`, as
the new vault has its own users (with their own ids): the user must be set up in the new vault
first. Import, in the importer's one transaction after the other records: every row is new (a
whole-vault file goes only into an empty vault), and a part names its parent in the file; a chase
names a dispatch, a malfunction a breach and a call a register row, in the file or held (the ids
of requests, subjects and responses disposed of stay in these records, as on the old desk). The
references of notices, corrections and complaints are the highest held plus one, so the numbers
a moved desk gives next carry on after those it brought. The telephone log (9.5)
travels too (a chase by telephone names its call), and `dispatch_states` carries each dispatch's
package state and channel, so a moved desk still says "delivered" where a receipt came back.
"""

from __future__ import annotations

from app.records import dumps, loads

# (key in the file, table, columns, the columns stored as JSON text, order)
TABLES = (
    ("correction_notices", "correction_notices",
     ("id", "reference", "raised_by_agency", "controller", "item_type", "item_id", "field", "problem", "details",
      "suggested", "raised_at", "raised_by", "status", "package_id", "package_made_at", "delivered_at",
      "received_at", "correction_id", "closed_at", "closed_by", "decline_reason"), (), "seq"),
    ("corrections", "corrections",
     ("id", "reference", "controller", "direction", "item_type", "item_id", "field", "old_value", "new_value",
      "reason", "corrected_at", "recorded_at", "recorded_by", "package_id"), (), "seq"),
    ("correction_recipients", "correction_recipients",
     ("id", "correction_id", "agency", "state", "package_id", "made_at", "delivered_at"), (), "seq"),
    ("complaints", "complaints",
     ("id", "origin_agency", "reference", "complainant_kind", "complainant", "complainant_agency", "agency", "about",
      "received_at", "received_how", "request_ids", "subject_ids", "created_at", "created_by"),
     ("request_ids", "subject_ids"), "seq"),
    ("complaint_updates", "complaint_updates",
     ("id", "complaint_id", "kind", "at", "details", "recorded_at", "recorded_by"), ("details",), "seq"),
    ("dispatch_chases", "dispatch_chases",
     ("id", "dispatch_id", "at", "how", "to_whom", "previous_due", "promised_date", "note", "package_id", "call_id",
      "recorded_at", "recorded_by"), (), "seq"),
    ("channel_outages", "channel_outages",
     ("id", "partner", "channel", "down_at", "what", "fallback", "fallback_note", "breach_id", "recorded_at",
      "recorded_by", "repaired_at", "repair_note", "repaired_by"), (), "seq"),
    ("outage_notices", "outage_notices",
     ("id", "outage_id", "partner", "signatory", "how", "at", "recorded_at", "recorded_by"), (), "seq"),
    ("packages", "packages",
     ("package_id", "direction", "kind", "sender_agency", "sender_vault_id", "recipients", "reference", "request_id",
      "doc_sha256", "sender_head_seq", "sender_head_mac", "file_name", "created", "made_at", "received_at",
      "receipt_state", "receipt_at", "receipt_for"), ("recipients",), "seq"),
    ("compliance_returns", "compliance_returns",
     ("id", "partner", "made_at", "rows", "heads", "mismatches", "imported_at", "imported_by"),
     ("rows", "heads", "mismatches"), "seq"),
    ("telephone_calls", "telephone_calls",
     ("id", "at", "direction", "caller", "caller_agency", "callee", "callee_agency", "via_number", "identity_check",
      "what", "request_id", "disclosure_id", "partner_desk_id", "recorded_by", "recorded_at"), (), "seq"),
)
# A dispatch's desk-local state (DESIGN.md's honest states and the 10.2 channel): which package
# carried it, when it was made and delivered, and the channel it went by. A request package never
# carries these (they are the sending desk's own); a whole vault carries them apart, by dispatch.
DISPATCH_STATE_COLS = ("package_made_at", "package_id", "delivered_at", "channel", "outage_id")
APPROVAL_COLS = ("approved_by", "approved_on", "course", "trained_on", "renewal_due", "updated_at", "updated_by")
KEYS = tuple(t[0] for t in TABLES) + ("user_approvals", "dispatch_states")
WORDS = {"correction_notices": "correction notices", "corrections": "corrections",
         "correction_recipients": "correction recipients", "complaints": "complaints",
         "complaint_updates": "complaint updates", "dispatch_chases": "chases of overdue answers",
         "channel_outages": "equipment malfunctions", "outage_notices": "malfunction notices to signatories",
         "packages": "the packages register", "compliance_returns": "compliance returns",
         "user_approvals": "users' approval and training", "telephone_calls": "the telephone log",
         "dispatch_states": "the package states of agencies asked"}
# Agency codes and the times of each list, checked by name.
_AGENCIES = {"correction_notices": ("raised_by_agency", "controller"), "corrections": ("controller",),
             "correction_recipients": ("agency",), "complaints": ("origin_agency", "agency"),
             "channel_outages": ("partner",), "outage_notices": ("partner",), "packages": ("sender_agency",),
             "compliance_returns": ("partner",), "telephone_calls": ("caller_agency", "callee_agency")}
_TIMES = {"correction_notices": ("raised_at", "?package_made_at", "?delivered_at", "?received_at", "?closed_at"),
          "corrections": ("corrected_at", "recorded_at"),
          "correction_recipients": ("?made_at", "?delivered_at"),
          "complaints": ("received_at", "created_at"), "complaint_updates": ("at", "recorded_at"),
          "dispatch_chases": ("at", "recorded_at"),
          "channel_outages": ("down_at", "recorded_at", "?repaired_at"), "outage_notices": ("at", "recorded_at"),
          "packages": ("created", "?made_at", "?received_at", "?receipt_at"),
          "compliance_returns": ("made_at", "imported_at"), "user_approvals": ("updated_at",),
          "telephone_calls": ("at", "recorded_at")}
# A part and the list of its parent: (key, column, parent key).
_PARENTS = (("correction_recipients", "correction_id", "corrections"),
            ("complaint_updates", "complaint_id", "complaints"),
            ("outage_notices", "outage_id", "channel_outages"))


class Bad(Exception):
    def __init__(self, path: list, message: str):
        super().__init__(message)
        self.path, self.message = path, message


def _row_json(row, cols, json_cols) -> dict:
    return {c: (loads(row[c]) if c in json_cols else row[c]) for c in cols}


def _row_params(obj: dict, cols, json_cols) -> tuple:
    return tuple(dumps(obj[c]) if c in json_cols else obj[c] for c in cols)


def export_carried(vault) -> dict[str, list[dict]]:
    """Every row of the lists above, in the order recorded (users' approvals by user name)."""
    out: dict[str, list[dict]] = {}
    for key, table, cols, json_cols, order in TABLES:
        # Table, column and order names are this module's constants, never input.
        out[key] = [_row_json(r, cols, json_cols) for r in vault.db.query(f"SELECT * FROM {table} ORDER BY {order}")]
    out["user_approvals"] = [
        {"user_name": r["name"], **{c: r[c] for c in APPROVAL_COLS}} for r in vault.db.query(
            "SELECT u.name, a.* FROM user_approvals a JOIN users u ON u.id = a.user_id ORDER BY u.name COLLATE NOCASE")]
    out["dispatch_states"] = [{"dispatch_id": r["id"], **{c: r[c] for c in DISPATCH_STATE_COLS}} for r in vault.db.query(
        "SELECT * FROM dispatches WHERE package_made_at IS NOT NULL OR package_id IS NOT NULL OR delivered_at IS NOT"
        " NULL OR channel IS NOT NULL OR outage_id IS NOT NULL ORDER BY request_id, agency, sub_service, id")]
    return out


def check(doc: dict, codes: set[str]) -> None:
    """Scope, the agreement's agency codes, real times and dates, ids once, and that a part names
    a parent in the file (what rows name outside these lists is checked on import)."""
    from app.timeutil import parse_utc

    present = [k for k in KEYS if doc.get(k)]
    if present and doc["scope"] != "vault":
        raise Bad([present[0]], f"{WORDS[present[0]]} travel only in a whole-vault file")
    ids: dict[str, set] = {}
    for key, _table, _cols, _json, _order in TABLES:
        seen = ids.setdefault(key, set())
        id_col = "package_id" if key == "packages" else "id"
        for i, row in enumerate(doc.get(key) or []):
            if row[id_col] in seen:
                raise Bad([key, i, id_col], "appears twice in the file")
            seen.add(row[id_col])
            for col in _AGENCIES.get(key, ()):
                if row[col] not in codes:
                    raise Bad([key, i, col], f"unknown agency {row[col]!r}")
            for col in _TIMES.get(key, ()):
                nullable = col.startswith("?")
                col = col.lstrip("?")
                if row[col] is None and nullable:
                    continue
                try:
                    parse_utc(row[col])
                except (ValueError, TypeError):
                    raise Bad([key, i, col], "must be a UTC time like 2026-03-02T10:15:00+00:00") from None
    for key, col, parent in _PARENTS:
        for i, row in enumerate(doc.get(key) or []):
            if row[col] not in ids[parent]:
                raise Bad([key, i, col], f"names a record that is not in the file's {parent}")
    for i, row in enumerate(doc.get("complaints") or []):
        if row["complainant_agency"] and row["complainant_agency"] not in codes:
            raise Bad(["complaints", i, "complainant_agency"], f"unknown agency {row['complainant_agency']!r}")
    for i, row in enumerate(doc.get("packages") or []):
        if (row["direction"] == "made") != (row["made_at"] is not None):
            raise Bad(["packages", i, "made_at"], "a package made says when it was made; one received does not")
        if (row["direction"] == "received") != (row["received_at"] is not None):
            raise Bad(["packages", i, "received_at"], "a package received says when it arrived; one made does not")
        for j, recipient in enumerate(row["recipients"]):
            if recipient["agency"] not in codes:
                raise Bad(["packages", i, "recipients", j, "agency"], f"unknown agency {recipient['agency']!r}")
    users: set[str] = set()
    for i, row in enumerate(doc.get("user_approvals") or []):
        name = row["user_name"].casefold()
        if name in users:
            raise Bad(["user_approvals", i, "user_name"], "the same user appears twice in the file")
        users.add(name)
        if row["trained_on"] and row["renewal_due"] and row["renewal_due"] <= row["trained_on"]:
            raise Bad(["user_approvals", i, "renewal_due"], "must be after the training date")
    dispatches: set[str] = set()
    for i, row in enumerate(doc.get("dispatch_states") or []):
        if row["dispatch_id"] in dispatches:
            raise Bad(["dispatch_states", i, "dispatch_id"], "appears twice in the file")
        dispatches.add(row["dispatch_id"])
        for col in ("package_made_at", "delivered_at"):
            if row[col] is not None:
                try:
                    parse_utc(row[col])
                except (ValueError, TypeError):
                    raise Bad(["dispatch_states", i, col], "must be a UTC time like 2026-03-02T10:15:00+00:00") \
                        from None
        if row["delivered_at"] is not None and row["package_id"] is None:
            raise Bad(["dispatch_states", i, "delivered_at"], "only a package is delivered: it names its package_id")
        if row["outage_id"] is not None and row["outage_id"] not in ids["channel_outages"]:
            raise Bad(["dispatch_states", i, "outage_id"], "names a record that is not in the file's channel_outages")


def import_carried(vault, doc: dict, summary, refused) -> None:
    """Write the file's rows of the lists above (see the module's note). `refused(doc, where,
    message)` makes the importer's InvalidInput."""
    db = vault.db

    def held(table: str, record_id, column: str = "id") -> bool:
        # Table and column names are this module's constants, never input.
        return record_id is not None and db.one(f"SELECT 1 FROM {table} WHERE {column} = ?",
                                                (record_id,)) is not None

    # What a row names outside its own lists, and must be held: (key, column, table, words). Ids of
    # requests, subjects and responses are not checked: a record disposed of (clause 9.3) leaves
    # its id in corrections, complaints, packages and calls, by design, and never comes back.
    links = (("dispatch_chases", "dispatch_id", "dispatches", "an agency asked (dispatch)"),
             ("channel_outages", "breach_id", "breaches", "a breach"),
             ("telephone_calls", "disclosure_id", "disclosures", "a disclosure register row"))
    for key, table, cols, json_cols, _order in TABLES:
        id_col = "package_id" if key == "packages" else "id"
        for i, row in enumerate(doc.get(key) or []):
            if held(table, row[id_col], id_col):
                raise refused(doc, [key, i, id_col], "this vault already holds it")
            for lkey, col, target, words in links:
                if lkey != key:
                    continue
                if row[col] is not None and not held(target, row[col]):
                    raise refused(doc, [key, i, col], f"names {words} that is neither in the file nor in this vault")
            db.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
                       _row_params(row, cols, json_cols))  # our constant names, parameterised values
            summary.carried_added += 1
    for i, row in enumerate(doc.get("user_approvals") or []):
        user = db.one("SELECT id FROM users WHERE name = ? COLLATE NOCASE", (row["user_name"],))
        if user is None:
            raise refused(doc, ["user_approvals", i, "user_name"],
                          f"{row['user_name']!r} has no account in this vault; add the user first (they may be "
                          "disabled afterwards), then import again")
        if held("user_approvals", user["id"], "user_id"):
            raise refused(doc, ["user_approvals", i, "user_name"], "this vault already holds their approval")
        db.execute(f"INSERT INTO user_approvals (user_id, {', '.join(APPROVAL_COLS)}) VALUES "
                   f"(?, {', '.join('?' for _ in APPROVAL_COLS)})", (user["id"], *(row[c] for c in APPROVAL_COLS)))
        summary.carried_added += 1
    for i, row in enumerate(doc.get("dispatch_states") or []):
        if not held("dispatches", row["dispatch_id"]):
            raise refused(doc, ["dispatch_states", i, "dispatch_id"], "names an agency asked (dispatch) that is "
                                                                      "neither in the file nor in this vault")
        db.execute("UPDATE dispatches SET package_made_at = ?, package_id = ?, delivered_at = ?, channel = ?,"
                   " outage_id = ? WHERE id = ?", (*(row[c] for c in DISPATCH_STATE_COLS), row["dispatch_id"]))
        summary.carried_added += 1
    if any(doc.get(k) for k in KEYS):
        vault.audit("carried.imported", record_type="vault",
                    reason=", ".join(f"{k}={len(doc.get(k) or [])}" for k in KEYS))


__all__ = ["export_carried", "check", "import_carried", "Bad", "KEYS", "WORDS", "TABLES"]
