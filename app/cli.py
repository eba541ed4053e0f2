"""The `spocdesk` command line: headless administration and scripting (DESIGN.md contract).

Exit codes: 0 success; 2 usage; 3 wrong user or passphrase (or not permitted); 4 invalid input,
nothing written; 5 vault damaged or tampered; 6 vault open in another process; 1 anything else.
Every error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Callable, Sequence

from app import __version__
from app.errors import AgreementError, InvalidInput as InvalidInputError, SpocError, UsageError

EXIT_CODES = """exit codes:
  0  success
  2  usage: the command line is wrong
  3  wrong user name or passphrase, disabled user, or not permitted for your role
  4  invalid input: nothing was written
  5  the vault, backup or package is damaged, or was tampered with or forged
  6  the vault is open in another SPOC Desk process"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(f"{message} (see `{self.prog} --help`)")


# ---- reading secrets ----------------------------------------------------------------------


class Secrets:
    """Passphrases from standard input, one per line (--passphrase-stdin), or a terminal prompt."""

    def __init__(self, from_stdin: bool):
        self.from_stdin = from_stdin
        self._line = 0

    def read(self, prompt: str, *, confirm: bool = False) -> str:
        if self.from_stdin:
            self._line += 1
            line = sys.stdin.readline()
            if not line:
                raise UsageError(f"{prompt} was expected on line {self._line} of standard input.")
            return line.rstrip("\r\n")
        if not sys.stdin.isatty():
            raise UsageError("No passphrase given: add --passphrase-stdin, or run in a terminal to be asked.")
        value = getpass.getpass(f"{prompt}: ")
        if confirm and getpass.getpass(f"{prompt} again: ") != value:
            raise UsageError("The two passphrases were not the same; nothing was changed.")
        return value


def _secrets(args) -> Secrets:
    return Secrets(bool(getattr(args, "passphrase_stdin", False) or getattr(args, "recovery_key_stdin", False)))


def _open(args, secrets: Secrets | None = None):
    from app.vault import Vault

    if not args.user:
        raise UsageError("Say who you are with --user NAME.")
    secrets = secrets or _secrets(args)
    passphrase = secrets.read(f"Passphrase for {args.user}")
    vault = _waiting(lambda: Vault.open(Path(args.vault), user=args.user, passphrase=passphrase))
    if vault.location_warning:
        print(f"spocdesk: warning: {vault.location_warning}", file=sys.stderr)
    return vault


def _waiting(unlock):
    """Unlock, first waiting out the core's back-off after repeated wrong passphrases."""
    import time

    from app.unlock_throttle import Throttled

    try:
        return unlock()
    except Throttled as wait:
        print(f"spocdesk: too many wrong attempts for this user; waiting {wait.seconds} s.", file=sys.stderr)
        time.sleep(wait.seconds)
        return unlock()


def _print_json(data) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


# ---- commands -----------------------------------------------------------------------------


class InvalidRole(UsageError):
    def __init__(self):
        super().__init__("The first user of a vault is always its administrator: use --role admin (or leave it out).")


def cmd_init(args) -> int:
    from app.vault import Vault

    if args.role != "admin":
        raise InvalidRole()
    secrets = _secrets(args)
    passphrase = secrets.read(f"New passphrase for {args.user}", confirm=True)
    vault, recovery_key = Vault.create(Path(args.vault), user=args.user, passphrase=passphrase, agency=args.agency,
                                       agreement_file=args.agreement)
    try:
        vault_path, keys_path = vault.path, vault.keyslot_path
        from app.governance import current_record

        record = current_record(vault)
    finally:
        vault.close()
    print(f"Vault created: {vault_path} (agency {args.agency}; administrator {args.user}).")
    if record is not None:
        print(f"It works under {record.short_name} ({record.version_text}; SHA-256 {record.sha256}).")
    print(f"Its keyslot file is {keys_path.name}: keep it beside the vault (backups carry it).")
    print()
    print("RECOVERY KEY (shown once; give it to your Data Protection Manager for the safe):")
    print()
    print(f"    {recovery_key}")
    print()
    print("Anyone holding this key can open the vault. It is not stored anywhere in readable form.")
    return 0


def _expected_head(text: str) -> tuple[int, str]:
    """SEQ:MAC as printed on a report or held by a partner desk (MAC: 16 or more hex digits)."""
    seq, _, mac = text.partition(":")
    mac = mac.strip().lower()
    if not seq.strip().isdigit() or int(seq) < 1 or len(mac) < 16 or any(c not in "0123456789abcdef" for c in mac):
        raise UsageError(f"--expect {text!r}: give SEQ:MAC, such as 42:9f3a61c2d4e5b708, as printed.")
    return int(seq), mac


def cmd_verify(args) -> int:
    from app.errors import VaultDamaged

    expected = [_expected_head(text) for text in (args.expect or [])]
    vault = _open(args)
    try:
        report = vault.verify(expect=expected)
    finally:
        vault.close()
    if args.json:
        _print_json(report.as_dict())
    else:
        data = report.as_dict()
        for label, key in (("Encrypted pages", "encryption_pages"), ("Database structure", "database_structure"),
                           ("Foreign keys", "foreign_keys"), ("Audit chain", "audit_chain")):
            print(f"{label + ':':22}{data[key]}")
        print(f"{'Audit events:':22}{data['audit_events']} (head {data['audit_head']})")
    if not report.ok:
        raise VaultDamaged("Verification failed: " + "; ".join(report.problems) + ".")
    return 0


def cmd_backup(args) -> int:
    vault = _open(args)
    try:
        info = vault.backup(Path(args.dest))
    finally:
        vault.close()
    print(f"Backup written and verified: {info.path} ({info.db_size // 1024} KiB, "
          f"{info.audit_events} audit events, chain head {info.audit_head}).")
    return 0


def cmd_restore(args) -> int:
    from app.vault.backup import restore_backup

    if not args.user:
        raise UsageError("Say who you are with --user NAME.")
    passphrase = _secrets(args).read(f"Passphrase for {args.user}")
    vault = restore_backup(Path(args.backup), Path(args.vault), user=args.user, passphrase=passphrase)
    try:
        head = vault.chain_head().short()
        path = vault.path
    finally:
        vault.close()
    print(f"Restored and verified: {path} (audit chain head {head}).")
    return 0


def cmd_status(args) -> int:
    from app.status import vault_status

    vault = _open(args)
    try:
        data = vault_status(vault)
    finally:
        vault.close()
    _print_json(data)
    return 0


def cmd_search(args) -> int:
    """The same hits as the desktop's search, as JSON; audited as the screen's search is."""
    from app.search import search

    if not 1 <= args.limit <= 1000:
        raise UsageError("--limit takes a number from 1 to 1000.")
    vault = _open(args)
    try:
        result = search(vault, " ".join(args.text), args.limit)
    finally:
        vault.close()
    _print_json({"hits": [hit.as_json() for hit in result.hits], "count": len(result.hits),
                 "truncated": result.truncated})
    return 0


def cmd_users(args) -> int:
    from app import users
    from app.timeutil import london_display
    from app.vault import Vault

    secrets = _secrets(args)
    if args.action == "passwd" and args.recovery_key_stdin:
        recovery_key = secrets.read("Recovery key")
        vault = _waiting(lambda: Vault.open_with_recovery(Path(args.vault), recovery_key))
    else:
        vault = _open(args, secrets)
    try:
        if args.action == "list":
            rows = users.list_users(vault)
            vault.audit("users.listed", record_type="user")
            if args.json:
                _print_json([{"name": u.name, "role": u.role, "agency": u.agency, "active": u.active,
                              "created_at": u.created_at, "disabled_at": u.disabled_at} for u in rows])
            else:
                print(f"{'USER':24}{'ROLE':10}{'AGENCY':10}{'STATUS':10}CREATED (UK time)")
                for u in rows:
                    print(f"{u.name:24}{u.role:10}{u.agency:10}{'active' if u.active else 'disabled':10}"
                          f"{london_display(u.created_at)}")
        elif args.action == "add":
            new_passphrase = secrets.read(f"New passphrase for {args.name}", confirm=True)
            user = users.add_user(vault, args.name, args.role, new_passphrase)
            print(f"Added {user.name} as {user.role} for {user.agency}.")
        elif args.action == "disable":
            outcome = users.disable_user(vault, args.name, args.reason)
            print(f"Disabled {outcome.user.name}; their keyslot is removed and they can no longer unlock the vault.")
            _say_rekeyed(outcome)
        elif args.action == "passwd":
            new_passphrase = secrets.read(f"New passphrase for {args.name}", confirm=True)
            outcome = users.change_passphrase(vault, args.name, new_passphrase, reset_reason=args.reason)
            print(f"Passphrase changed for {outcome.user.name}.")
            if args.reason == "may-be-known":
                _say_rekeyed(outcome)
        elif args.action == "standing":  # issue 20 (3.1, 6.4): approval and training
            from app import governance
            from app.records import today_london

            current = governance.standing(vault, args.name)
            given = {"approved_by": args.approved_by, "approved_on": args.approved_on, "course": args.course,
                     "trained_on": args.trained_on, "renewal_due": args.renewal_due}
            kept = {"approved_by": current.approved_by, "approved_on": current.approved_on,
                    "course": current.course, "trained_on": current.trained_on, "renewal_due": current.renewal_due}
            if any(v is not None for v in given.values()):
                current = governance.set_standing(vault, args.name, {k: kept[k] if v is None else v
                                                                     for k, v in given.items()})
            _print_json({"name": current.user_name, "role": current.role, "approved_by": current.approved_by,
                         "approved_on": current.approved_on, "course": current.course,
                         "trained_on": current.trained_on, "renewal_due": current.renewal_due,
                         "problems": current.problems(today_london())})
    finally:
        vault.close()
    return 0


def _say_rekeyed(outcome) -> None:
    if outcome.rekeyed:
        print("The vault was rekeyed: old copies of the keyslot file and old passphrases open nothing "
              "written from now on. Backups taken before now still open with the slots valid when they "
              "were taken: take a fresh backup and destroy the older ones.")
    else:
        print(f"spocdesk: {outcome.not_rekeyed_because}", file=sys.stderr)


def cmd_policy(args) -> int:
    from dataclasses import asdict

    from app.policy import get_policy, set_policy

    vault = _open(args)
    try:
        policy = set_policy(vault, args.key, args.value) if args.action == "set" else get_policy(vault)
    finally:
        vault.close()
    _print_json(asdict(policy))
    return 0


def cmd_import(args) -> int:
    from app.exchange.packages import import_whole_vault

    vault = _open(args)
    try:
        summary = import_whole_vault(vault, Path(args.file))
    finally:
        vault.close()
    print(f"Imported {Path(args.file).name}: {summary.line()}.")
    return 0


def _check_new_file(out: Path) -> None:
    """Refuse an output file before the vault is opened: it must be new, in a folder that exists."""
    if out.exists():
        raise InvalidInputError(f"{out} already exists; choose a new file name (nothing was written).")
    if not out.parent.is_dir():
        raise InvalidInputError(f"The folder {out.parent} does not exist.")


def cmd_export(args) -> int:
    from app.exchange import desks, packages

    if args.request or args.to:
        raise UsageError("export --request is replaced by `spocdesk send VAULT REF --to CODE --out DIR`, which "
                         "makes sealed packages.")
    if bool(args.to_card) == bool(args.unencrypted):
        raise UsageError("Choose --to-card FILE (sealed to the new vault's card) or --unencrypted (an "
                         "administrator's explicit choice, audited).")
    out = Path(args.out)
    _check_new_file(out)
    card = desks.read_card(Path(args.to_card)) if args.to_card else None
    vault = _open(args)
    try:
        if card is not None:
            made = packages.export_sealed(vault, card, out)
            head = vault.chain_head()
            print(f"Exported the whole vault to {out}, sealed to the card of vault {card['vault_id']} "
                  f"(fingerprint {desks.fingerprint(card)}; audit chain head {head.short()}).")
            print(f"Package id {made.package_id}. Import it into the new vault with `spocdesk import`.")
        else:
            doc = packages.export_unencrypted(vault, out)
            print(f"Exported the whole vault ({len(doc['requests'])} requests) UNENCRYPTED to {out} (audit chain "
                  f"head {doc['audit_chain_head']['seq']}:{doc['audit_chain_head']['mac'][:16]}).")
            print("Anyone who can read that file reads every record: move it at once and delete it; "
                  "this export is recorded and shown to the Data Protection Manager.")
    finally:
        vault.close()
    return 0




def cmd_keys(args) -> int:
    from app.exchange import desks
    from app.timeutil import london_display

    card = None
    if args.action == "card":
        _check_new_file(Path(args.out))
    elif args.action == "trust":
        card = desks.read_card(Path(args.file))
        given = [args.fingerprint, args.checked_by, args.via]
        if any(given) and not all(given):
            raise UsageError("Trusting a card needs all of --fingerprint FP, --checked-by NAME and --via NUMBER.")
    vault = _open(args)
    try:
        if args.action == "card":
            fp = desks.write_card(vault, Path(args.out))
            print(f"Desk card of {vault.agency} written to {args.out}.")
            print(f"Fingerprint (read it to partners on the telephone): {fp}")
        elif args.action == "trust":
            if args.fingerprint:
                partner = desks.trust_partner(vault, card, fingerprint=args.fingerprint, checked_by=args.checked_by,
                                              via=args.via)
                print(f"Trusted the desk card of {partner['agency_name']} ({partner['agency']}), fingerprint "
                      f"{partner['fingerprint']}, checked by {partner['checked_by']} via {partner['via_number']}.")
            else:
                partner = desks.accept_rotation(vault, card)
                if partner is None:
                    raise InvalidInputError("That card is not a rotation of a card this desk trusts: check its "
                                            "fingerprint on the telephone and give --fingerprint, --checked-by and "
                                            "--via; nothing was trusted.")
                print(f"Accepted the rotated desk card of {partner['agency_name']} ({partner['agency']}), "
                      f"fingerprint {partner['fingerprint']}: it is signed by the card this desk trusted.")
        elif args.action == "list":
            rows = desks.partner_desks(vault)
            vault.audit("partners.listed", record_type="partner_desk", reason=f"{len(rows)} shown")
            if args.json:
                _print_json(rows)
            else:
                print(f"{'AGENCY':8}{'STATE':12}{'FINGERPRINT':49}CHECKED (UK time), BY, VIA")
                for p in rows:
                    print(f"{p['agency']:8}{p['state']:12}{p['fingerprint']:49}{london_display(p['checked_at'])}, "
                          f"{p['checked_by']}, {p['via_number']}" + (" (rotation)" if p["trusted_how"] == "rotation"
                                                                      else ""))
        elif args.action == "rotate":
            new = desks.rotate_keys(vault)
            print(f"New desk keys made (card version {new['card_version']}); fingerprint {desks.fingerprint(new)}.")
            print("Save the new card (keys card) and send it to partners: it is signed by the old key, so "
                  "desks that trust the old card accept it without a new call.")
        elif args.action == "revoke":
            done = desks.revoke_partner(vault, args.agency, args.reason)
            print(f"Revoked {len(done)} desk card(s) of {args.agency}: its packages are refused from now on.")
    finally:
        vault.close()
    return 0


def cmd_send(args) -> int:
    from app.exchange import packages

    out = Path(args.out)
    if not out.is_dir():
        raise InvalidInputError(f"The folder {out} does not exist; nothing was made.")
    vault = _open(args)
    try:
        made = packages.send(vault, args.ref, args.to, out, purpose=args.purpose)
    finally:
        vault.close()
    for package in made:
        where = f"attach it to a secure e-mail to {package.email}" if package.email else \
            "attach it to a secure e-mail to their SPOC (no address in the partners directory)"
        print(f"Package made for {package.agency}: {package.path} ({where}).")
    print("Nothing has been sent yet: each dispatch says 'package made' until the partner's receipt arrives.")
    return 0


def cmd_receive(args) -> int:
    from app.exchange import packages

    vault = _open(args)
    try:
        received = packages.receive(vault, Path(args.package),
                                    receipt_out=Path(args.receipt_out) if args.receipt_out else None)
    finally:
        vault.close()
    print(received.line + ("" if received.already_received_at else "."))
    if received.receipt_path:
        print(f"Receipt written: {received.receipt_path} (send it back to {received.sender_agency} by secure e-mail).")
    return 0


def cmd_report(args) -> int:
    from app.reports import KINDS, build_report, record_use, save_pdf

    if args.kind not in KINDS:
        raise UsageError(f"Unknown report kind {args.kind!r}; choose one of: {', '.join(KINDS)}.")
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise UsageError(f"--out must name a .pdf file (got {out.name}).")
    _check_new_file(out)
    ref = args.ref
    if args.kind == "compliance":  # issue 20: the period and partner of the joint compliance report
        from app.compliance import parse_scope

        if args.date_from or args.date_to:
            if not (args.date_from and args.date_to):
                raise UsageError("Give both --from DATE and --to DATE for the compliance report.")
            ref = f"{args.date_from}..{args.date_to}" + (f"/{args.partner}" if args.partner else "")
        parse_scope(None, ref.split("/")[0])  # a bad period is refused before the vault is opened
    vault = _open(args)
    try:
        report = build_report(vault, args.kind, ref, for_agency=args.for_agency, purpose=args.purpose)
        save_pdf(report.data, out)
        record_use(vault, report, "saved")
    finally:
        vault.close()
    print(f"Wrote {report.title} {report.reference} to {out} ({report.page_count} page{'s' if report.page_count != 1 else ''}, OFFICIAL-SENSITIVE).")
    return 0


def cmd_corrections(args) -> int:
    """Clause 7.2: what waits, oldest first (references, fields and agencies only)."""
    from app import corrections

    vault = _open(args)
    try:
        items = corrections.outstanding(vault)
    finally:
        vault.close()
    _print_json([{"kind": i.kind, "reference": i.reference, "what": i.what, "since": i.since,
                  "age_days": i.age_days} for i in items])
    return 0


def cmd_retention(args) -> int:
    """The DPM's retention review (JSON of what is due) and approved disposal with its certificate."""
    from app import retention
    from app.reports import build_report, record_use, save_pdf

    if args.action == "review":
        vault = _open(args)
        try:
            items = retention.review(vault, due_only=not args.all)
        finally:
            vault.close()
        _print_json([i.as_json() for i in items])
        return 0
    out = Path(args.certificate_out) if args.certificate_out else None
    if out is not None:
        if out.suffix.lower() != ".pdf":
            raise UsageError(f"--certificate-out must name a .pdf file (got {out.name}).")
        _check_new_file(out)
    vault = _open(args)
    try:
        plan = retention.plan_disposal(vault, args.refs)
        if plan.problems:
            raise InvalidInputError("Nothing was disposed of: " + "; ".join(
                p.message if p.message.startswith(p.field) else f"{p.field} {p.message}" for p in plan.problems[:5]))
        if not args.approve:
            for item in plan.items:
                print(f"{item.reference}: {item.counts_text()}; sent to {', '.join(item.sent_to) or 'no partner'}")
            raise UsageError(f"Nothing was disposed of: {len(plan.items)} record(s) listed above; add --approve to "
                             "dispose of them as the Data Protection Manager.")
        cert = retention.dispose(vault, args.refs, approve=True)
        if out is not None:
            report = build_report(vault, "disposal-certificate", cert.reference)
            save_pdf(report.data, out)
            record_use(vault, report, "saved")
    finally:
        vault.close()
    partners = ", ".join(cert.partners) or "none"
    print(f"Disposed of {len(cert.items)} record(s) under certificate {cert.reference} (audit chain head "
          f"{cert.head_short}); partners to tell: {partners}." + (f" Certificate written to {out}." if out else ""))
    return 0


DEMO_USERS = (("admin", "admin"), ("spoc", "spoc"), ("dpm", "dpm"), ("chair", "chair"))
DEMO_WORDS = ("amber", "beacon", "cobalt", "drizzle", "ember", "falcon", "glacier", "harbour", "indigo",
              "juniper", "kestrel", "lantern", "meadow", "nectar", "orchid", "pebble", "quartz", "ripple",
              "saffron", "thistle", "umber", "velvet", "willow", "yonder", "zephyr", "copper", "marble")


def _demo_passphrase(name: str, agency: str) -> str:
    """Four random words and a number that the vault's own passphrase rule accepts for `name` at
    `agency`: a draw the strength estimate scores too low (a word drawn twice, say) is drawn
    again, so making a demo vault never fails on its own passphrase."""
    import secrets

    from app.vault import passphrase as passphrase_rules

    while True:
        value = " ".join(secrets.choice(DEMO_WORDS) for _ in range(4)) + f" {secrets.randbelow(90) + 10}"
        if not passphrase_rules.problems(value, (name, agency)):
            return value


def cmd_demo(args) -> int:
    import time

    from app import demo, users
    from app.vault import Vault

    if not 1 <= args.size <= demo.MAX_SIZE:
        raise UsageError(f"--size must be between 1 and {demo.MAX_SIZE}.")
    started = time.monotonic()
    passphrases = {name: _demo_passphrase(name, args.agency) for name, _ in DEMO_USERS}
    vault, recovery_key = Vault.create(Path(args.vault), user="admin", passphrase=passphrases["admin"],
                                       agency=args.agency)
    try:
        for name, role in DEMO_USERS[1:]:
            users.add_user(vault, name, role, passphrases[name])
        summary = demo.populate(vault, args.size, seed=args.seed)
        path = vault.path
    finally:
        vault.close()
    print(f"Demo vault created: {path} (agency {args.agency}; fictitious data only).")
    print(f"  {summary.requests} requests, {summary.subjects} subjects, {summary.dispatches} dispatches, "
          f"{summary.responses} responses, {summary.disclosures} disclosures, {summary.contacts} contacts "
          f"({time.monotonic() - started:.1f} s)")
    print()
    print(f"{'USER':8}{'ROLE':8}PASSPHRASE")
    for name, role in DEMO_USERS:
        print(f"{name:8}{role:8}{passphrases[name]}")
    print()
    print(f"Recovery key: {recovery_key}")
    print("These are shown once. Sign in as spoc for requests and responses, as admin for users.")
    return 0


def cmd_self_test(args) -> int:
    from app.selftest import run_checks

    checks = run_checks()
    if args.json:
        _print_json([c.__dict__ for c in checks])
    else:
        for c in checks:
            mark = "ok" if c.ok else ("FAIL" if c.required else "warn")
            print(f"{mark:5} {c.name:20} {c.detail}")
    failed = [c for c in checks if c.required and not c.ok]
    if failed:
        print(f"spocdesk: self-test failed: {', '.join(c.name for c in failed)}", file=sys.stderr)
        return 1
    return 0


# ---- parser -------------------------------------------------------------------------------


def cmd_desktop(vault: str | None, desktop: Callable[[str | None], int] | None) -> int:
    """The desktop app, started by the launcher above app/ and ui/ (spocdesk.launcher), which
    passes `desktop`; app/ never imports the screens."""
    from app.errors import InvalidInput

    if vault is not None and not Path(vault).is_file():
        raise InvalidInput(f"There is no vault at {vault}.")
    if desktop is None:
        raise UsageError("The desktop app is started by the spocdesk command (python -m spocdesk), not app.cli.")
    return desktop(vault)


def _auth(parser: argparse.ArgumentParser, *, user_required: bool = True) -> None:
    parser.add_argument("--user", metavar="NAME", required=user_required, help="your user name in the vault")
    parser.add_argument("--passphrase-stdin", action="store_true",
                        help="read the passphrase (then any new passphrase) one per line from standard input")


class _SkippedCommand:
    """Stands in for the parser of a command that was not asked for: building all of them costs
    every command (and the desktop's start) ~15 ms of argparse."""

    def add_argument(self, *args, **kwargs) -> None:
        pass

    def add_subparsers(self, *args, **kwargs) -> "_SkippedCommand":
        return self

    def add_parser(self, *args, **kwargs) -> "_SkippedCommand":
        return self


def cmd_agreement(args) -> int:
    """The agreement register (13.2-13.4): show it, adopt a new version, record signatories and disputes."""
    from app import governance

    vault = _open(args)
    try:
        if args.action == "show":
            from app.roles import require

            require(vault.role, "governance.read", "see the agreement register")
            record = governance.current_record(vault)
            data = {"agreement": record.as_json() if record else None,
                    "signatories": [{"partner": s.partner, "name": s.name, "position": s.position,
                                     "signed_on": s.signed_on, "review_due": s.review_due}
                                    for s in governance.signatories(vault)],
                    "disputes": [{"reference": d.reference, "partner": d.partner, "raised_on": d.raised_on,
                                  "due_on": d.due_on, "status": d.status} for d in governance.list_disputes(vault)]}
            vault.audit("agreement.register_viewed", record_type="agreement")
            _print_json(data)
            return 0
        if args.action == "adopt":
            record = governance.adopt_agreement(vault, Path(args.file), args.reason or "")
            print(f"Adopted {record.short_name} {record.version_text} (SHA-256 {record.sha256}).")
        elif args.action == "signatory":
            signed = governance.set_signatory(vault, args.partner, {"name": args.name, "position": args.position,
                                                                     "signed_on": args.signed})
            print(f"Recorded {signed.name} ({signed.position}) for {signed.partner_name}, signed {signed.signed_on}; "
                  f"review due {signed.review_due}.")
        elif args.action == "dispute":
            dispute = governance.raise_dispute(vault, {"partner": args.partner, "raised_by": args.raised_by,
                                                       "about": args.about, "raised_on": args.raised})
            print(f"Recorded dispute {dispute.reference} with {dispute.partner_name}; due {dispute.due_on}.")
        elif args.action == "close-dispute":
            dispute = governance.close_dispute(vault, args.ref, args.outcome, {"note": args.note,
                                                                               "closed_on": args.on})
            print(f"{dispute.reference} {dispute.status} on {dispute.closed_on}.")
    finally:
        vault.close()
    return 0


def cmd_compliance(args) -> int:
    """Compliance returns between desks (13.1): make one for a partner, or import a partner's."""
    from app import reconcile

    vault = _open(args)
    try:
        if args.action == "return":
            path = reconcile.make_return(vault, args.to.upper(), Path(args.out))
            print(f"Compliance return for {args.to.upper()} written: {path} (send it by secure e-mail).")
            return 0
        result = reconcile.import_return(vault, Path(args.file))
    finally:
        vault.close()
    print(result.line)
    for m in result.mismatches[:50]:
        print(f"  {m['what']}: {m['id']} — {m['detail']}")
    if len(result.mismatches) > 50:
        print(f"  … and {len(result.mismatches) - 50} more (see the compliance report)")
    return 0


def _governance_commands(command) -> None:
    p = command("compliance", cmd_compliance, "compliance returns: reconcile disclosure registers with a partner (13.1)")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    q = sub.add_parser("return", help="make this desk's signed compliance return for a partner")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("--to", metavar="CODE", required=True)
    q.add_argument("--out", metavar="DIR", required=True)
    _auth(q)
    q = sub.add_parser("import", help="import a partner's return and reconcile the registers")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("file", metavar="FILE")
    _auth(q)

    p = command("agreement", cmd_agreement, "the agreement register: version, signatories, reviews, disputes (13)")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    q = sub.add_parser("show", help="print the register as JSON")
    q.add_argument("vault", metavar="VAULT")
    _auth(q)
    q = sub.add_parser("adopt", help="adopt a new version of the same agreement (admin; audited)")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--reason", required=True, help="why, e.g. 'agreed at the 13.4 review'")
    _auth(q)
    q = sub.add_parser("signatory", help="record who signed for a partner, and when (admin)")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("partner", metavar="CODE")
    q.add_argument("--name", required=True)
    q.add_argument("--position", required=True)
    q.add_argument("--signed", required=True, metavar="DATE", help="YYYY-MM-DD or DD/MM/YYYY")
    _auth(q)
    q = sub.add_parser("dispute", help="record a dispute with a partner (13.3)")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("partner", metavar="CODE")
    q.add_argument("--raised-by", choices=("us", "partner"), required=True)
    q.add_argument("--about", required=True)
    q.add_argument("--raised", required=True, metavar="DATE")
    _auth(q)
    q = sub.add_parser("close-dispute", help="record a dispute resolved or escalated")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("ref", metavar="REF")
    q.add_argument("--outcome", choices=("resolved", "escalated"), required=True)
    q.add_argument("--note", required=True)
    q.add_argument("--on", metavar="DATE", default=None)
    _auth(q)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` the one command named (when it is one)."""
    parser = _Parser(
        prog="spocdesk",
        description="SPOC Desk: an encrypted desk for a Modern Slavery information sharing agreement.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"spocdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        if only is not None and name != only:
            return _SkippedCommand()  # type: ignore[return-value]
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    p = command("init", cmd_init, "create a new vault with its administrator; prints the recovery key once")
    p.add_argument("vault", metavar="VAULT")
    p.add_argument("--user", metavar="NAME", required=True, help="the administrator's user name")
    p.add_argument("--role", default="admin", help="always admin for the first user")
    p.add_argument("--agency", metavar="CODE", required=True, help="this desk's agency code, e.g. DCON")
    p.add_argument("--passphrase-stdin", action="store_true", help="read the new passphrase from standard input")
    p.add_argument("--agreement", metavar="FILE", default=None,
                   help="the agreement file this vault works under (default: the Derby and Derbyshire agreement)")

    p = command("verify", cmd_verify, "check the encryption, the structure and the audit chain")
    p.add_argument("vault", metavar="VAULT")
    _auth(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--expect", metavar="SEQ:MAC", action="append",
                   help="an audit head printed on a report or held by a partner desk (repeatable); "
                   "exit 5 naming the first that does not match")

    p = command("backup", cmd_backup, "write an encrypted, verified backup file that carries its keyslots")
    p.add_argument("vault", metavar="VAULT")
    p.add_argument("dest", metavar="DEST")
    _auth(p)

    p = command("restore", cmd_restore, "restore a backup to a new vault path and verify it")
    p.add_argument("backup", metavar="BACKUP")
    p.add_argument("vault", metavar="VAULT")
    _auth(p)

    p = command("status", cmd_status, "print a JSON summary of the vault")
    p.add_argument("vault", metavar="VAULT")
    _auth(p)

    p = command("search", cmd_search, "find requests, subjects and responses; prints the hits as JSON (audited)")
    p.add_argument("vault", metavar="VAULT")
    p.add_argument("text", metavar="TEXT", nargs="+", help="a name (any script or spelling), reference or words")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N hits of each kind (default 50)")
    _auth(p)

    p = command("users", cmd_users, "list, add or disable users, or change a passphrase")
    users_sub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    q = users_sub.add_parser("list", help="list the vault's users")
    q.add_argument("vault", metavar="VAULT")
    _auth(q)
    q.add_argument("--json", action="store_true")
    q = users_sub.add_parser("add", help="add a user (admin); their passphrase is read after yours")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--role", required=True, help="admin, spoc, dpm, chair or auditor")
    _auth(q)
    q = users_sub.add_parser("disable", help="disable a user (admin) and remove their keyslot")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--reason", help="why, for the audit trail")
    _auth(q)
    q = users_sub.add_parser("passwd", help="change your passphrase, or reset another's (admin or recovery key)")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("name", metavar="NAME")
    _auth(q, user_required=False)
    q.add_argument("--recovery-key-stdin", action="store_true",
                   help="unlock with the recovery key (line 1) instead of a user's passphrase")
    q.add_argument("--reason", choices=("forgotten", "may-be-known"), default=None,
                   help="why it is reset: may-be-known (someone else may know it) rekeys the vault")

    q = users_sub.add_parser("standing", help="show or record a user's approval and training (admin; 3.1, 6.4)")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--approved-by", metavar="WHO", help="the agency's nominated representative who approved them")
    q.add_argument("--approved-on", metavar="DATE")
    q.add_argument("--course", metavar="NAME", help="the training course")
    q.add_argument("--trained-on", metavar="DATE")
    q.add_argument("--renewal-due", metavar="DATE")
    _auth(q)

    p = command("policy", cmd_policy, "show or set the vault policy (idle lock, keyring, due days)")
    policy_sub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    q = policy_sub.add_parser("show", help="print the policy as JSON")
    q.add_argument("vault", metavar="VAULT")
    _auth(q)
    q = policy_sub.add_parser("set", help="change one setting (admin)")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("key", metavar="KEY")
    q.add_argument("value", metavar="VALUE")
    _auth(q)

    p = command("open", lambda args: cmd_desktop(args.vault, args.desktop), "open the desktop app at this vault's unlock screen")
    p.add_argument("vault", metavar="VAULT")

    p = command("import", cmd_import, "import a whole-vault file or vault package into an empty vault (a move)")
    p.add_argument("vault", metavar="VAULT")
    p.add_argument("file", metavar="FILE")
    _auth(p)

    p = command("export", cmd_export,
                "export the whole vault (admin): sealed to the new vault's card, or unencrypted by explicit choice")
    p.add_argument("vault", metavar="VAULT")
    p.add_argument("--out", metavar="FILE", required=True, help="the file to write (must not exist)")
    p.add_argument("--to-card", metavar="FILE", help="the desk card of the new, empty vault to seal it to")
    p.add_argument("--unencrypted", action="store_true", help="write readable JSON (audited; avoid)")
    p.add_argument("--request", metavar="REF", help=argparse.SUPPRESS)
    p.add_argument("--to", metavar="CODE", action="append", help=argparse.SUPPRESS)
    _auth(p)

    p = command("keys", cmd_keys, "this desk's card and keys; partner desks trusted after a telephone check")
    keys_sub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    q = keys_sub.add_parser("card", help="write this desk's card to a file; prints its fingerprint")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("--out", metavar="FILE", required=True, help="the card file to write (must not exist)")
    _auth(q)
    q = keys_sub.add_parser("trust", help="trust a partner's card after reading its fingerprint back by telephone")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--fingerprint", metavar="FP", help="the fingerprint read back on the call (8 groups of 5 digits)")
    q.add_argument("--checked-by", metavar="NAME", help="who made the call")
    q.add_argument("--via", metavar="NUMBER", help="the switchboard or known number the call went through")
    _auth(q)
    q = keys_sub.add_parser("list", help="partner desks: agency, fingerprint, when and how checked")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("--json", action="store_true")
    _auth(q)
    q = keys_sub.add_parser("rotate", help="make new desk keys; the new card is signed by the old key")
    q.add_argument("vault", metavar="VAULT")
    _auth(q)
    q = keys_sub.add_parser("revoke", help="revoke a partner's desk card: its packages are refused")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("agency", metavar="AGENCY")
    q.add_argument("--reason", default="compromised", help="compromised (default), left-partnership, replaced, error")
    _auth(q)

    p = command("send", cmd_send, "make one sealed package per recipient desk for a request or a response")
    p.add_argument("vault", metavar="VAULT")
    p.add_argument("ref", metavar="REF", help="MSR-2026-0001 (a request) or MSR-2026-0001/DWP (this desk's response)")
    p.add_argument("--to", metavar="CODE[,CODE...]", action="append", help="recipient agencies")
    p.add_argument("--out", metavar="DIR", required=True, help="the folder to write the packages into")
    p.add_argument("--purpose", metavar="ID", help="the purpose (4.3) it is disclosed for, as a consent grant "
                   "names it (default: the request's first purpose)")
    _auth(p)

    p = command("receive", cmd_receive, "verify, open and import a package; writes a signed receipt for the sender")
    p.add_argument("vault", metavar="VAULT")
    p.add_argument("package", metavar="PACKAGE")
    p.add_argument("--receipt-out", metavar="DIR", help="where to write the receipt (default: beside the package)")
    _auth(p)

    p = command("report", cmd_report, "print a document to a PDF file, marked OFFICIAL-SENSITIVE on every page")
    p.add_argument("vault", metavar="VAULT")
    p.add_argument("kind", metavar="KIND", help="request, response, collation, disclosures, audit, meeting-pack, "
                   "breach, complaint, breach-register, disposal-certificate, subject-file, response-pack or "
                   "exemption-schedule, case, relationship-map, corrections or consents")
    p.add_argument("ref", metavar="REF", nargs="?", default="all",
                   help="the reference: MSR-2026-0001, MSR-2026-0001/DWP for a response, TM-2026-0001, BR-2026-0001, CP-2026-0001,"
                   " CASE-2026-0001; a case or request reference or subject:ID for a relationship-map;"
                   " 'all' (the default) for the registers and the audit trail")
    p.add_argument("--out", metavar="FILE.pdf", required=True, help="the PDF file to write (must not exist)")
    p.add_argument("--for", dest="for_agency", metavar="CODE", help="printed to give to this partner: refused "
                   "without written consent for other partners' information in it (6.3)")
    p.add_argument("--purpose", metavar="ID", help="with --for: the purpose (4.3) it is given for")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="compliance: the first day of the period")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="compliance: the last day of the period")
    p.add_argument("--partner", metavar="CODE", help="compliance: one partner only")
    _auth(p)

    _governance_commands(command)

    p = command("retention", cmd_retention, "the DPM's retention review and approved disposal (8.1, 9.3)")
    retention_sub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    q = retention_sub.add_parser("review", help="print JSON of the retained records due for review, oldest first")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("--all", action="store_true", help="every retained record with its rule and state, not only those due")
    _auth(q)
    q = retention_sub.add_parser("dispose", help="dispose of records (DPM); without --approve it lists them only")
    q.add_argument("vault", metavar="VAULT")
    q.add_argument("refs", metavar="REF", nargs="+", help="request references, e.g. MSR-2026-0001")
    q.add_argument("--approve", action="store_true", help="the Data Protection Manager approves disposing of them")
    q.add_argument("--certificate-out", metavar="FILE.pdf", help="write the marked disposal certificate here (new file)")
    _auth(q)

    p = command("corrections", cmd_corrections, "corrections of inaccurate data (7.2): what is outstanding")
    corrections_sub = p.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=_Parser)
    q = corrections_sub.add_parser("list", help="print JSON of the notices not yet corrected and the recipients not "
                                   "yet confirmed by a receipt, oldest first, with their age in days")
    q.add_argument("vault", metavar="VAULT")
    _auth(q)

    p = command("demo", cmd_demo, "create a vault full of realistic fictitious data; prints its users' passphrases")
    p.add_argument("vault", metavar="VAULT")
    p.add_argument("--size", type=int, default=200, metavar="N", help="number of requests (1 to 100000; default 200)")
    p.add_argument("--agency", default="DCON", metavar="CODE", help="the desk's agency (default DCON, the lead)")
    p.add_argument("--seed", type=int, default=None, help="random seed, for repeatable data")

    p = command("self-test", cmd_self_test, "check this installation: SQLCipher, storage, keys, data, Qt, keyring")
    p.add_argument("--json", action="store_true")
    if only is not None and only not in sub.choices:
        return build_parser()  # not a command: the whole parser names the ones there are
    return parser


def _actions_of(parser: argparse.ArgumentParser, command: str) -> set[str]:
    """The actions a command takes (`users`: list, add, ...), or none."""
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        sub = action.choices.get(command)
        if sub is not None and sub._subparsers is not None:
            return {name for group in sub._subparsers._group_actions for name in group.choices}
    return set()


def _vault_first(argv: list[str]) -> list[str]:
    """Both orders work (DESIGN.md, the command line): `users VAULT list`, as the docs write it,
    is read as `users list VAULT`."""
    if len(argv) >= 3 and not argv[1].startswith("-"):
        actions = _actions_of(build_parser(only=argv[0]), argv[0])
        if actions and argv[1] not in actions:
            if argv[2] not in actions and Path(argv[1]).exists():
                raise UsageError(f"{argv[0]}: {argv[2]!r} is not an action; choose from {', '.join(sorted(actions))}"
                                 f" (spocdesk {argv[0]} VAULT ACTION ...).")
            if argv[2] in actions:
                argv[1], argv[2] = argv[2], argv[1]
    return argv


def main(argv: Sequence[str] | None = None, *, desktop: Callable[[str | None], int] | None = None) -> int:
    from app.logsetup import log_crash, setup_logging

    argv = list(sys.argv[1:] if argv is None else argv)
    # The desktop's two starts, `spocdesk` and `spocdesk open VAULT`, need no parser: building the
    # whole one costs ~20 ms before the first window can show.
    desktop_start = not argv or (len(argv) == 2 and argv[0] == "open" and not argv[1].startswith("-"))
    try:
        argv = argv if desktop_start else _vault_first(argv)
    except UsageError as exc:
        print(f"spocdesk: {exc}", file=sys.stderr)
        return exc.exit_code
    try:
        if desktop_start:
            return cmd_desktop(argv[1] if argv else None, desktop)
        parser = build_parser(only=argv[0] if not argv[0].startswith("-") else None)
        args = parser.parse_args(argv)
        args.desktop = desktop
        if getattr(args, "handler", None) is None:
            parser.print_help()
            return 2
        if args.command == "users" and args.action == "passwd" and not args.recovery_key_stdin and not args.user:
            raise UsageError("Say who you are with --user NAME, or use --recovery-key-stdin.")
        setup_logging()
        return args.handler(args)
    except SpocError as exc:
        print(f"spocdesk: {exc}", file=sys.stderr)
        return exc.exit_code
    except AgreementError as exc:
        print(f"spocdesk: the agreement data of this installation is broken: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("spocdesk: interrupted; nothing more was done.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 - never a traceback on the terminal
        log_crash(exc)
        print(f"spocdesk: internal error ({type(exc).__name__}); details are in the log folder.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())  # headless only: the desktop starts from spocdesk.launcher
