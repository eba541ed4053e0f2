"""Import: a checked exchange document written in one transaction (all or nothing)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from app.errors import AuthError, InvalidInput
from app.exchange.columns import (REQUEST_COLS, SUBJECT_COLS, DISPATCH_COLS, RESPONSE_COLS, DISCLOSURE_COLS,
                                  CONTACT_COLS, SUSPENSION_COLS, BREACH_COLS, BREACH_UPDATE_COLS,
                                  MEETING_COLS, DECISION_COLS, ACTION_UPDATE_COLS, PERMISSION_COLS,
                                  MEETING_PARTS, Progress, to_json, to_params, insert_sql)
from app.exchange.export import _meetings_json
from app.exchange.validate import _read, _register_mismatch, _where, validate_document
from app.roles import require
from app.timeutil import utc_now_iso

@dataclass
class ImportSummary:
    requests_added: int = 0
    requests_updated: int = 0
    subjects_added: int = 0
    subjects_updated: int = 0
    dispatches_added: int = 0
    dispatches_updated: int = 0
    responses_added: int = 0
    responses_updated: int = 0
    responses_received: int = 0
    disclosures_added: int = 0
    contacts_added: int = 0
    suspensions_added: int = 0
    breaches_added: int = 0
    breach_updates_added: int = 0
    meetings_added: int = 0
    meetings_updated: int = 0
    cases_added: int = 0
    cases_updated: int = 0
    links_added: int = 0
    rights_added: int = 0
    info_requests_added: int = 0
    carried_added: int = 0
    unchanged: int = 0
    references: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.requests_added} requests added, {self.requests_updated} updated, "
                f"{self.subjects_added} subjects ({self.subjects_updated} updated), "
                f"{self.dispatches_added} dispatches ({self.dispatches_updated} updated), "
                f"{self.responses_added} responses ({self.responses_received} newly received, "
                f"{self.responses_updated} updated), "
                f"{self.disclosures_added} disclosures, {self.contacts_added} contacts, "
                f"{self.suspensions_added} suspensions, "
                f"{self.breaches_added} breaches ({self.breach_updates_added} breach updates), "
                f"{self.meetings_added} meetings added, {self.meetings_updated} updated, "
                f"{self.cases_added} cases added, {self.cases_updated} updated, {self.links_added} links, "
                f"{self.rights_added} retention records, {self.info_requests_added} subject access and FOI requests, "
                f"{self.carried_added} corrections, complaints, chases, malfunctions, packages, calls and approvals; "
                f"{self.unchanged} records already held")

    def sentences(self) -> str:
        """What the import did, in whole sentences, naming only what happened: "2 requests were
        added and 1 was updated. 5 subjects were added. ..." (the screens show this)."""
        def n(count: int, word: str, many: str | None = None) -> str:
            return f"{count} {word if count == 1 else (many or word + 's')}"

        def was(count: int) -> str:
            return "was" if count == 1 else "were"

        out = []
        for added, updated, word, many in (
                (self.requests_added, self.requests_updated, "request", None),
                (self.subjects_added, self.subjects_updated, "subject", None),
                (self.dispatches_added, self.dispatches_updated, "agency asked", "agencies asked"),
                (self.meetings_added, self.meetings_updated, "meeting", None),
                (self.cases_added, self.cases_updated, "case", None)):
            if added and updated:
                out.append(f"{n(added, word, many)} {was(added)} added and {updated} {was(updated)} updated.")
            elif added or updated:
                count = added or updated
                out.append(f"{n(count, word, many)} {was(count)} {'added' if added else 'updated'}.")
        if self.responses_added or self.responses_updated:
            count = self.responses_added + self.responses_updated
            text = f"{n(count, 'response')} {was(count)} recorded"
            if self.responses_received:
                text += f", {self.responses_received} of them newly received and now in the disclosure register"
            out.append(text + ".")
        for count, word, many in ((self.disclosures_added, "disclosure register entry", "disclosure register entries"),
                                  (self.contacts_added, "partner contact", None),
                                  (self.suspensions_added, "suspension", None),
                                  (self.breaches_added, "breach", "breaches"),
                                  (self.breach_updates_added, "breach update", None),
                                  (self.links_added, "link between subjects", "links between subjects"),
                                  (self.carried_added, "other record (corrections, complaints, chases, "
                                   "malfunctions, packages, telephone log, approvals)", "other records (corrections, "
                                   "complaints, chases, malfunctions, packages, telephone log, approvals)")):
            if count:
                out.append(f"{n(count, word, many)} {was(count)} added.")
        if self.unchanged:
            out.append(f"{n(self.unchanged, 'record')} {was(self.unchanged)} already held and left as {'it was' if self.unchanged == 1 else 'they were'}.")
        return " ".join(out) or "Nothing new: every record in the file was already held."

    def counts(self) -> str:
        """Every count, as codes and numbers only (for the audit trail)."""
        return ", ".join(f"{name}={value}" for name, value in self.__dict__.items() if isinstance(value, int))



def _existing(vault, table: str) -> set[str]:
    return {r[0] for r in vault.db.query(f"SELECT id FROM {table}")}  # our constant table names


FLUSH_EVERY = 1000  # requests whose rows are written together
LINK_SQL = "INSERT INTO request_subjects (request_id, subject_id, role, position) VALUES (?, ?, ?, ?)"


def _note_counter(counters: dict, here: str, origin: str, reference: str) -> None:
    """Remember the highest imported number of this desk's own references, per year."""
    if origin != here:
        return
    try:
        _prefix, year, number = reference.rsplit("-", 2)
        key, value = (origin, int(year)), int(number)
    except ValueError:
        return
    counters[key] = max(counters.get(key, 0), value)


def _response_arrived(vault, disclosures, request: dict, dispatch_id: str, response: dict, status: str,
                      passed_on_by: str | None = None) -> None:
    """A partner's answer came in: settle its dispatch, audit it, and enter it in the register."""
    now = utc_now_iso()
    vault.db.execute("UPDATE dispatches SET status = ?, closed_at = ?, decline_reason = ?,"
                     " updated_at = ?, updated_by = ? WHERE id = ?",
                     (status, now, response["decline_reason"] or None, now, vault.actor, dispatch_id))
    vault.audit("response.received", record_type="response", record_id=response["id"], reason=request["reference"])
    disclosures.record(vault, kind="onward" if passed_on_by else "response", direction="received",
                       from_agency=passed_on_by or response["origin_agency"],
                       to_agency=vault.agency, request_id=request["id"], response_id=response["id"],
                       subject_ids=[s["subject_id"] for s in request["subjects"]]
                       if response["kind"] == "disclosure" else [],
                       what=f"{response['kind']} response to {request['reference']}",
                       lawful_bases=response["lawful_bases"], originator=response["origin_agency"])


PACKAGE_ONLY = ("disclosures", "contacts", "partner_suspensions", "breaches", "meetings", "retention_events",
                "retention_decisions", "disposals", "info_requests", "sar_consultations", "consent_requests",
                "consent_answers", "governance", "correction_notices", "corrections", "correction_recipients",
                "complaints", "complaint_updates", "dispatch_chases", "channel_outages", "outage_notices", "packages",
                "compliance_returns", "user_approvals", "telephone_calls", "dispatch_states")
PACKAGE_ONLY_WORDS = {"disclosures": "the disclosure register", "contacts": "the partners directory",
                      "partner_suspensions": "partner suspensions", "breaches": "breaches", "meetings": "meetings",
                      "retention_events": "retention records", "retention_decisions": "retention decisions",
                      "disposals": "disposal certificates", "info_requests": "subject access and FOI requests",
                      "sar_consultations": "subject access consultations", "consent_requests": "consent requests",
                      "consent_answers": "consent answers",
                      "governance": "signatories and disputes"}
PACKAGE_ONLY_WORDS.update({"correction_notices": "correction notices", "corrections": "corrections",
                           "correction_recipients": "correction recipients", "complaints": "complaints",
                           "complaint_updates": "complaint updates", "dispatch_chases": "chases of overdue answers",
                           "channel_outages": "equipment malfunctions",
                           "outage_notices": "malfunction notices to signatories",
                           "packages": "the packages register", "compliance_returns": "compliance returns",
                           "user_approvals": "users' approval and training", "telephone_calls": "the telephone log",
                           "dispatch_states": "the package states of agencies asked"})


def holds_records(vault) -> bool:
    """True when the vault holds any record a whole-vault file would bring (it is a live desk)."""
    for table in ("requests", "subjects", "breaches", "meetings", "disclosures", "contacts", "info_requests",
                  "disposals", "complaints", "corrections", "correction_notices", "channel_outages"):
        if vault.db.one(f"SELECT 1 FROM {table} LIMIT 1") is not None:  # our constant table names
            return True
    return False


def _newer(file_value, held_value) -> bool:
    """An older (or the same) version never overwrites a newer one: UTC ISO times compare as text
    only when both are present."""
    return bool(file_value) and bool(held_value) and str(file_value) > str(held_value)


def import_document(vault, doc, progress: Progress | None = None, *,
                    may_hold_surrogates: bool = True, sender: str | None = None,
                    forwarded: bool = False) -> ImportSummary:
    """Validate and import an exchange document, all or nothing.

    `sender` is the agency whose desk signed the package the document came in (verified by
    app.exchange.packages), never a field of the document. A request-scope document is accepted
    only with a sender; a whole-vault document only into an empty vault (a move, by an
    administrator). `forwarded`: the package passes on other partners' information under the
    sender's section 6 check (app.consent): their answers to the sender's own request, or their
    subject details on it, are added (never changed) with their own origin, held from the sender.
    """
    from app import disclosures
    from app.requests import keep_counter_beyond
    from app.responses import DISPATCH_STATUS_FOR

    require(vault.role, "import", "import exchange files")
    validate_document(doc, may_hold_surrogates=may_hold_surrogates)
    refused = "Import refused, nothing was changed"
    if doc["scope"] == "vault":
        if vault.role != "admin":
            raise AuthError("A whole-vault file can only be imported by an administrator.")
        if sender is not None and sender != vault.agency:
            raise InvalidInput(f"{refused}: this whole-vault package is from {sender}'s desk; a whole-vault move "
                               f"goes only to a new desk of the same agency ({vault.agency}).")
        if doc["desk"]["agency"] != vault.agency:
            raise InvalidInput(f"{refused}: the file is the vault of {doc['desk']['agency']}, and this vault is "
                               f"{vault.agency}'s; a whole-vault file moves a desk to a new vault of the same agency.")
        if holds_records(vault):
            raise InvalidInput(f"{refused}: this vault already holds records; a whole-vault file is imported only "
                               "into a new, empty vault (a move), never merged into a live desk.")
    else:
        if sender is None:
            raise InvalidInput(f"{refused}: a request or response file is accepted only inside a sealed package "
                               "from a trusted partner desk (`spocdesk receive`).")
        if doc["desk"]["agency"] != sender:
            raise InvalidInput(f"{refused}: the document says it is from {doc['desk']['agency']}, but the package "
                               f"is signed by {sender}'s desk.")
        for name in PACKAGE_ONLY:
            if doc.get(name):
                raise InvalidInput(f"{refused}: {name}: a request or response package carries only requests, their "
                                   f"subjects, dispatches and responses; {PACKAGE_ONLY_WORDS[name]} travel only "
                                   "in a whole-vault file.")
    summary = ImportSummary()
    from_desk = sender or doc["desk"]["agency"]
    here = vault.agency
    acting = doc["scope"] == "request"  # act on arrivals; a vault file is a plain restore
    db = vault.db
    total = len(doc["requests"])

    def origin_refusal(where: list, origin: str) -> InvalidInput:
        return InvalidInput(f"{refused}: {_where(doc, where)}: a record of {origin} can be created or changed "
                            f"only by {origin}'s own desk, and this package is from {from_desk}.")

    with db.transaction():
        have_requests = {r["id"]: r for r in db.query("SELECT id, origin_agency, updated_at FROM requests")}
        have_subjects = {r["id"]: r for r in db.query("SELECT id, origin_agency, updated_at FROM subjects")}
        have_dispatches = {r["id"]: r for r in db.query("SELECT id, request_id, updated_at FROM dispatches")}
        have_responses = {r["id"]: r for r in db.query("SELECT id, origin_agency, updated_at FROM responses")}
        refs = {(r["origin_agency"], r["reference"]): r["id"]
                for r in db.query("SELECT id, origin_agency, reference FROM requests")}
        # New rows are gathered and inserted with executemany, parents before children (the
        # foreign keys are checked at once); what depends on them (counters, audit events,
        # register rows, dispatch statuses) runs afterwards, in the file's order.
        new_subjects, new_requests, new_links, new_dispatches, new_responses = [], [], [], [], []
        # Steps run after the rows are written: a callable, or an audit event as the tuple
        # (action, record_type, record_id, reason); runs of events are written together.
        afterwards: list[Callable[[], None] | tuple] = []
        counters: dict[tuple[str, int], int] = {}

        def flush() -> None:
            """Write the rows gathered so far, parents before children, and let them go: a large
            file's rows are not all held as parameters at once."""
            db.executemany(insert_sql("requests", REQUEST_COLS), new_requests)
            db.executemany(LINK_SQL, new_links)
            db.executemany(insert_sql("dispatches", DISPATCH_COLS), new_dispatches)
            db.executemany(insert_sql("responses", RESPONSE_COLS), new_responses)
            for rows in (new_requests, new_links, new_dispatches, new_responses):
                rows.clear()

        def later(action: str, record_type: str, record_id: str, reason: str | None = None) -> None:
            afterwards.append((action, record_type, record_id, reason))

        def may_change(where: list, held, origin_in_file: str, updated_at: str) -> bool:
            """Whether the file's copy replaces a record held (origin rules), refusing a claim
            to move a held record to another origin."""
            if held["origin_agency"] != origin_in_file:
                raise InvalidInput(f"{refused}: {_where(doc, where)}: the origin of a record never changes "
                                   f"(this vault holds it as {held['origin_agency']}'s).")
            return acting and held["origin_agency"] == from_desk and from_desk != here \
                and _newer(updated_at, held["updated_at"])

        for i, subject in enumerate(doc["subjects"]):
            held = have_subjects.get(subject["id"])
            if held is None:
                # Another partner's subject details passed on (`forwarded`) are added with their own
                # origin, never changed; a record in this desk's own name never arrives from another.
                passed_on = forwarded and subject["origin_agency"] not in (from_desk, here)
                if acting and subject["origin_agency"] != from_desk and not passed_on:
                    raise origin_refusal(["subjects", i, "origin_agency"], subject["origin_agency"])
                new_subjects.append(to_params(subject, SUBJECT_COLS))
                summary.subjects_added += 1
                if len(new_subjects) >= FLUSH_EVERY:
                    db.executemany(insert_sql("subjects", SUBJECT_COLS), new_subjects)
                    new_subjects.clear()
                if acting:
                    later("subject.imported", "subject", subject["id"], from_desk)
            elif may_change(["subjects", i, "origin_agency"], held, subject["origin_agency"], subject["updated_at"]):
                db.execute(insert_sql("subjects", SUBJECT_COLS, upsert=True), to_params(subject, SUBJECT_COLS))
                summary.subjects_updated += 1
                later("subject.updated_by_origin", "subject", subject["id"], from_desk)
            else:
                summary.unchanged += 1
        db.executemany(insert_sql("subjects", SUBJECT_COLS), new_subjects)
        new_subjects.clear()
        for i, request in enumerate(doc["requests"]):
            rid = request["id"]
            # (Refused inside the transaction: nothing written so far is kept.)
            other = refs.get((request["origin_agency"], request["reference"]))
            if other is not None and other != rid:
                raise InvalidInput(f"{refused}: {_where(doc, ['requests', i, 'reference'])}: "
                                   f"this vault already holds a different request with that reference.")
            held = have_requests.get(rid)
            is_new = held is None
            origin = request["origin_agency"]
            if is_new and acting and origin != from_desk:
                raise origin_refusal(["requests", i, "origin_agency"], origin)
            changes = is_new or may_change(["requests", i, "origin_agency"], held, origin, request["updated_at"])
            if changes:
                links = [(rid, link["subject_id"], link["role"], n) for n, link in enumerate(request["subjects"])]
                if is_new:
                    new_requests.append(to_params(request, REQUEST_COLS))
                    new_links.extend(links)
                    summary.requests_added += 1
                else:
                    db.execute(insert_sql("requests", REQUEST_COLS, upsert=True), to_params(request, REQUEST_COLS))
                    db.execute("DELETE FROM request_subjects WHERE request_id = ?", (rid,))
                    db.executemany(LINK_SQL, links)
                    summary.requests_updated += 1
                _note_counter(counters, here, origin, request["reference"])
                summary.references.append(request["reference"])
                later("request.imported" if is_new else "request.updated_by_origin", "request", request["reference"],
                      from_desk)
                if acting and is_new and origin != here:
                    afterwards.append(functools.partial(
                        disclosures.record, vault, kind="request", direction="received", from_agency=from_desk,
                        to_agency=here, request_id=rid, subject_ids=[s["subject_id"] for s in request["subjects"]],
                        what=f"Personal data request {request['reference']}", originator=origin,
                        channel="package"))
            else:
                summary.unchanged += 1
            for j, dispatch in enumerate(request["dispatches"]):
                row = dict(dispatch, request_id=rid)
                held_dispatch = have_dispatches.get(dispatch["id"])
                if held_dispatch is not None and held_dispatch["request_id"] != rid:
                    raise InvalidInput(f"{refused}: {_where(doc, ['requests', i, 'dispatches', j, 'id'])}: this vault "
                                       "holds that dispatch under another request.")
                if held_dispatch is None:
                    if acting and origin != from_desk:
                        raise origin_refusal(["requests", i, "dispatches", j], origin)
                    new_dispatches.append(to_params(row, DISPATCH_COLS))
                    summary.dispatches_added += 1
                    if acting:
                        later("dispatch.imported", "dispatch", dispatch["id"], request["reference"])
                elif acting and origin == from_desk and from_desk != here and \
                        _newer(dispatch["updated_at"], held_dispatch["updated_at"]):
                    db.execute(insert_sql("dispatches", DISPATCH_COLS, upsert=True), to_params(row, DISPATCH_COLS))
                    summary.dispatches_updated += 1
                    later("dispatch.updated_by_origin", "dispatch", dispatch["id"], request["reference"])
                for k, response in enumerate(dispatch["responses"]):
                    rwhere = ["requests", i, "dispatches", j, "responses", k]
                    resp = dict(response, dispatch_id=dispatch["id"])
                    passed_on = forwarded and response["origin_agency"] not in (from_desk, here) \
                        and dispatch["agency"] == response["origin_agency"]
                    if passed_on and response["id"] in have_responses:
                        summary.unchanged += 1
                        continue
                    if acting and response["origin_agency"] != from_desk and not passed_on:
                        raise InvalidInput(f"{refused}: {_where(doc, rwhere + ['origin_agency'])}: a package may carry "
                                           f"only its sender's own responses ({from_desk}'s), not "
                                           f"{response['origin_agency']}'s.")
                    if acting and response["status"] == "draft":
                        raise InvalidInput(f"{refused}: {_where(doc, rwhere + ['status'])}: a draft response is "
                                           "never sent.")
                    held_response = have_responses.get(response["id"])
                    if held_response is not None:
                        if may_change(rwhere + ["origin_agency"], held_response, response["origin_agency"],
                                      response["updated_at"]):
                            resp["status"] = "received"
                            resp["received_at"] = utc_now_iso()
                            db.execute(insert_sql("responses", RESPONSE_COLS, upsert=True),
                                       to_params(resp, RESPONSE_COLS))
                            summary.responses_updated += 1
                            later("response.updated_by_origin", "response", response["id"], request["reference"])
                        else:
                            summary.unchanged += 1
                        continue
                    arriving = acting and response["origin_agency"] != here and response["status"] == "sent"
                    if arriving:
                        resp["status"] = "received"
                        resp["received_at"] = utc_now_iso()
                    new_responses.append(to_params(resp, RESPONSE_COLS))
                    summary.responses_added += 1
                    if arriving:
                        summary.responses_received += 1
                        afterwards.append(functools.partial(
                            _response_arrived, vault, disclosures, request, dispatch["id"], response,
                            DISPATCH_STATUS_FOR[response["kind"]], from_desk if passed_on else None))
            if len(new_requests) >= FLUSH_EVERY:
                flush()
            if progress and i % 500 == 0:
                progress(i, total)
        flush()
        for (agency, year), number in counters.items():
            keep_counter_beyond(vault, agency, year, number)
        events: list[tuple] = []
        for step in afterwards:
            if isinstance(step, tuple):
                events.append(step)
                continue
            vault.audit_many(events)  # the events before this step, in the file's order
            events.clear()
            step()
        vault.audit_many(events)
        for name, table, cols, counter in (
                ("disclosures", "disclosures", DISCLOSURE_COLS, "disclosures_added"),
                ("contacts", "contacts", CONTACT_COLS, "contacts_added"),
                ("partner_suspensions", "partner_suspensions", SUSPENSION_COLS, "suspensions_added")):
            rows = doc.get(name) or []
            if not rows:
                continue
            have = _existing(vault, table)
            fresh: list = []
            added = 0
            for row in rows:  # in chunks: a streamed list is not held whole as parameters
                if row["id"] not in have:
                    fresh.append(to_params(row, cols))
                if len(fresh) >= FLUSH_EVERY:
                    db.executemany(insert_sql(table, cols), fresh)
                    added += len(fresh)
                    fresh.clear()
            db.executemany(insert_sql(table, cols), fresh)
            added += len(fresh)
            setattr(summary, counter, getattr(summary, counter) + added)
            summary.unchanged += len(rows) - added
        _import_consents(vault, doc, summary)
        _import_breaches(vault, doc, summary)
        _import_cases(vault, doc, summary, lambda origin: False)
        _import_meetings(vault, doc, summary, lambda origin: False)
        _import_rights(vault, doc, summary)
        if doc["scope"] == "vault":
            from app.governance import import_governance

            import_governance(vault, doc.get("governance"))  # issue 20: signatories and disputes
            from app.exchange.carry import import_carried

            import_carried(vault, doc, summary, _refused)
        vault.audit("import", record_type="exchange", record_id=doc["scope"],
                    reason=f"from {from_desk}: " + summary.counts())
    if progress:
        progress(total, total)
    return summary


def _import_consents(vault, doc: dict, summary: ImportSummary) -> None:
    """Consent requests and answers of a whole-vault file (a desk's move): each one not held is
    added, requests before the answers that name them; one held must be the same record."""
    from app.exchange.columns import CONSENT_ANSWER_COLS, CONSENT_REQUEST_COLS

    db = vault.db
    for key, table, cols in (("consent_requests", "consent_requests", CONSENT_REQUEST_COLS),
                             ("consent_answers", "consent_answers", CONSENT_ANSWER_COLS)):
        for i, row in enumerate(doc.get(key) or []):
            held = db.one(f"SELECT * FROM {table} WHERE id = ?", (row["id"],))  # our constant table names
            if held is not None:
                if to_json(held, cols) != {c: row[c] for c in cols}:
                    raise _refused(doc, [key, i], "differs from the consent record this vault holds with the same id")
                summary.unchanged += 1
                continue
            if key == "consent_answers" and db.one("SELECT 1 FROM consent_requests WHERE id = ?",
                                                   (row["consent_request_id"],)) is None:
                raise _refused(doc, [key, i, "consent_request_id"], "names a consent request that is neither in the "
                                                                    "file nor in this vault")
            db.execute(insert_sql(table, cols), to_params(row, cols))


def _import_breaches(vault, doc: dict, summary: ImportSummary) -> None:
    """Breaches are append-only: a new one is added with its updates; one already held must be
    the same record, and only updates it does not hold yet are appended (in the file's order)."""
    db = vault.db
    for i, breach in enumerate(doc.get("breaches", [])):
        held = db.one("SELECT * FROM breaches WHERE id = ?", (breach["id"],))
        if held is None:
            clash = db.one("SELECT 1 FROM breaches WHERE origin_agency = ? AND reference = ?",
                           (breach["origin_agency"], breach["reference"]))
            if clash is not None:
                raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, ['breaches', i, 'reference'])}:"
                                   " this vault already holds a different breach with that reference.")
            db.execute(insert_sql("breaches", BREACH_COLS), to_params(breach, BREACH_COLS))
            summary.breaches_added += 1
            vault.audit("breach.imported", record_type="breach", record_id=breach["id"], reason=breach["reference"])
        else:
            if to_json(held, BREACH_COLS) != {c: breach[c] for c in BREACH_COLS}:
                raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, ['breaches', i])}: differs "
                                   "from the breach this vault holds with the same id; a breach is never rewritten.")
            summary.unchanged += 1
        have = {r["id"]: to_json(r, BREACH_UPDATE_COLS)
                for r in db.query("SELECT * FROM breach_updates WHERE breach_id = ?", (breach["id"],))}
        for j, update in enumerate(breach["updates"]):
            if update["id"] in have:
                if have[update["id"]] != dict(update, breach_id=breach["id"]):
                    raise InvalidInput(f"Import refused, nothing was changed: {_where(doc, ['breaches', i, 'updates', j])}:"
                                       " differs from the update this vault holds with the same id; breach updates"
                                       " are never rewritten.")
                summary.unchanged += 1
                continue
            row = dict(update, breach_id=breach["id"])
            db.execute(insert_sql("breach_updates", BREACH_UPDATE_COLS), to_params(row, BREACH_UPDATE_COLS))
            summary.breach_updates_added += 1


def _import_cases(vault, doc: dict, summary: ImportSummary, file_wins: Callable[[str], bool]) -> None:
    from app.exchange.cases import check_agenda_cases, import_cases

    import_cases(vault, doc, summary, file_wins, _refused)
    check_agenda_cases(vault, doc, _refused)


def _import_rights(vault, doc: dict, summary: ImportSummary) -> None:
    from app.exchange.rights import import_rights

    import_rights(vault, doc, summary, _refused)


def _refused(doc: dict, where: list, message: str) -> InvalidInput:
    return InvalidInput(f"Import refused, nothing was changed: {_where(doc, where)}: {message}.")


def _import_meetings(vault, doc: dict, summary: ImportSummary, file_wins: Callable[[str], bool]) -> None:
    """After the requests and the register: a new meeting is added with all its parts. A meeting
    already held is left as it is (like a request), unless the file was written by its originating
    desk and this desk is not that desk: then the file's copy replaces its details, attendees,
    agenda and actions. Either way decisions, action status history and permission decisions are
    append-only: one already held must be the same in the file (or nothing is imported), and
    those not held yet are appended only when the meeting is added or replaced. A granted
    permission keeps the register row it names (from the file or already in the vault); no
    second row is written."""
    db = vault.db
    for i, meeting in enumerate(doc.get("meetings", [])):
        where = ["meetings", i]
        items = {item["id"]: item for item in meeting["agenda"]}
        for j, item in enumerate(meeting["agenda"]):
            if item["request_id"] is not None and db.one("SELECT 1 FROM requests WHERE id = ?",
                                                         (item["request_id"],)) is None:
                raise _refused(doc, where + ["agenda", j, "request_id"],
                               "links a request that is neither in the file nor in this vault")
        for j, permission in enumerate(meeting["permissions"]):
            if permission["disclosure_id"] is None:
                continue
            pwhere = where + ["permissions", j, "disclosure_id"]
            row = db.one("SELECT * FROM disclosures WHERE id = ?", (permission["disclosure_id"],))
            if row is None:
                raise _refused(doc, pwhere, "names a disclosure register row that is neither in the file nor "
                                            "in this vault")
            problem = _register_mismatch(permission, to_json(row, DISCLOSURE_COLS), items)
            if problem:
                raise _refused(doc, pwhere, problem)
            other = db.one("SELECT id FROM meeting_permissions WHERE disclosure_id = ? AND id != ?",
                           (permission["disclosure_id"], permission["id"]))
            if other is not None:
                raise _refused(doc, pwhere, "another permission in this vault names the same register row")
        held = db.one("SELECT * FROM meetings WHERE id = ?", (meeting["id"],))
        if held is None:
            clash = db.one("SELECT 1 FROM meetings WHERE origin_agency = ? AND reference = ?",
                           (meeting["origin_agency"], meeting["reference"]))
            if clash is not None:
                raise _refused(doc, where + ["reference"],
                               "this vault already holds a different meeting with that reference")
            db.execute(insert_sql("meetings", MEETING_COLS), to_params(meeting, MEETING_COLS))
            _write_meeting_parts(vault, meeting, replace=False)
            summary.meetings_added += 1
            vault.audit("meeting.imported", record_type="meeting", record_id=meeting["id"],
                        reason=meeting["reference"])
            continue
        _same_append_only(vault, doc, where, meeting)
        if _meetings_json(vault, meeting["id"]) == [meeting] or not file_wins(meeting["origin_agency"]):
            summary.unchanged += 1
            continue
        db.execute(insert_sql("meetings", MEETING_COLS, upsert=True), to_params(meeting, MEETING_COLS))
        _write_meeting_parts(vault, meeting, replace=True)
        summary.meetings_updated += 1
        vault.audit("meeting.imported", record_type="meeting", record_id=meeting["id"], reason=meeting["reference"])


def _same_append_only(vault, doc: dict, where: list, meeting: dict) -> None:
    """Decisions, action updates and permissions are never rewritten: one this vault holds must be
    exactly the same in the file."""
    db = vault.db
    checks = [(["decisions", j], "meeting_decisions", DECISION_COLS, dict(d, meeting_id=meeting["id"]))
              for j, d in enumerate(meeting["decisions"])]
    checks += [(["permissions", j], "meeting_permissions", PERMISSION_COLS, dict(p, meeting_id=meeting["id"]))
               for j, p in enumerate(meeting["permissions"])]
    checks += [(["actions", j, "updates", k], "meeting_action_updates", ACTION_UPDATE_COLS,
                dict(u, action_id=a["id"]))
               for j, a in enumerate(meeting["actions"]) for k, u in enumerate(a["updates"])]
    for path, table, cols, expected in checks:
        row = db.one(f"SELECT * FROM {table} WHERE id = ?", (expected["id"],))  # our constant table names
        if row is not None and to_json(row, cols) != {c: expected[c] for c in cols}:
            raise _refused(doc, where + path, "differs from the record this vault holds with the same id; "
                                              "decisions, action history and permissions are never rewritten")


def _write_meeting_parts(vault, meeting: dict, *, replace: bool) -> None:
    """Write a meeting's parts. `replace`: the file's copy replaces the held attendees, agenda and
    actions (ones it no longer has are removed, as its desk removed them) and adds the decisions,
    action updates and permissions not held yet."""
    db = vault.db
    mid = meeting["id"]
    if replace:
        keep_items = [i["id"] for i in meeting["agenda"]]
        keep_people = [a["id"] for a in meeting["attendees"]]
        for table, keep in (("meeting_attendees", keep_people), ("meeting_agenda_items", keep_items)):
            marks = ", ".join("?" for _ in keep) or "NULL"
            # Our constant table names, and placeholders only.
            db.execute(f"DELETE FROM {table} WHERE meeting_id = ? AND id NOT IN ({marks})", (mid, *keep))
    for key, table, cols, _ in MEETING_PARTS:
        append_only = key in ("decisions", "permissions")
        have = _existing_in(vault, table, [r["id"] for r in meeting[key]]) if replace else set()
        for part in meeting[key]:
            row = dict(part, meeting_id=mid)
            if part["id"] in have:
                if not append_only:
                    db.execute(insert_sql(table, cols, upsert=True), to_params(row, cols))
                continue
            db.execute(insert_sql(table, cols), to_params(row, cols))
    for action in meeting["actions"]:
        ids = [u["id"] for u in action["updates"]]
        have = _existing_in(vault, "meeting_action_updates", ids) if replace else set()
        fresh = [to_params(dict(u, action_id=action["id"]), ACTION_UPDATE_COLS)
                 for u in action["updates"] if u["id"] not in have]
        db.executemany(insert_sql("meeting_action_updates", ACTION_UPDATE_COLS), fresh)


def _existing_in(vault, table: str, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        found.update(r[0] for r in vault.db.query(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk))  # ours
    return found


def import_file(vault, path: Path, progress: Progress | None = None) -> ImportSummary:
    doc, escapes = _read(path)
    return import_document(vault, doc, progress, may_hold_surrogates=escapes)


def _guarded(function):
    """A clash the checks did not foresee (a constraint of the vault) is refused like any other."""
    import functools

    from app.vault.connection import IntegrityError

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except IntegrityError as exc:
            raise InvalidInput("Import refused, nothing was changed: a record in the file clashes with one "
                               f"already in this vault ({str(exc).split(':')[0]}).") from None

    return wrapper


import_document = _guarded(import_document)