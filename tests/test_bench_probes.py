"""The benchmark's GUI probes still drive the real app: a bare window, the unlock screen, and an
unlock through to the requests list scrolled to its end (a small vault; `python -m bench` runs
them at 1,000 to 100,000 requests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import demo, users
from app.vault import Vault
from bench import seed

pytestmark = pytest.mark.slow  # the bench probes start the whole desktop several times

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_vault(vault_path):
    vault, _ = Vault.create(vault_path, user=seed.ADMIN, passphrase=seed.PASSPHRASE, agency="DCON")
    try:
        users.add_user(vault, seed.USER, "spoc", seed.PASSPHRASE)
        demo.populate(vault, 60, seed=seed.SEED, user=seed.USER)
    finally:
        vault.close()
    return vault_path


def probe(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen", "BENCH_USER": seed.USER,
           "BENCH_PASSPHRASE": seed.PASSPHRASE, "BENCH_T0": repr(time.monotonic())}
    proc = subprocess.run([sys.executable, "-m", "bench.gui_probe", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_bare_window_and_unlock_screen_report_when_they_are_painted(small_vault):
    bare = probe("bare-window")
    shown = probe("app-unlock", str(small_vault))
    for result in (bare, shown):
        assert 0 < result["shown_s"] < 60 and result["peak_rss_mb"] > 10


def test_unlock_to_the_requests_list_scrolled_to_its_end(small_vault):
    result = probe("app-unlock", str(small_vault), "--list")
    assert result["rows"] == 60
    assert 0 < result["unlock_to_main_s"] <= result["unlock_to_list_s"]
    assert result["list_first_paint_s"] > 0 and result["scroll_to_end_s"] > 0
    # the open vault's peak is counted from after the unlock; the unlock's own is reported beside it
    assert result["unlock_peak_rss_mb"] > 10 and result["peak_rss_mb"] >= result["list_rss_mb"] > 10


def test_the_sorted_lists_probe_times_every_step_against_its_floor(small_vault):
    from bench.gui_probe import SORTED_STEPS

    app = probe("app-sorted", str(small_vault))
    bare = probe("bare-sorted", str(small_vault))
    names = [name for name, _a, _s in SORTED_STEPS]
    assert list(app["steps"]) == names and list(bare["steps"]) == names
    assert all(0 < v < 60 for v in [*app["steps"].values(), *bare["steps"].values()])


def test_the_package_bench_seals_against_its_raw_floor(tmp_path):
    """bench/packages.py still measures the app's seal and its floor on the same bytes (the
    figures themselves are the bench's business, never asserted here)."""
    from bench import packages as bench_packages

    result = bench_packages.measure_seal(tmp_path, rounds=3)
    assert result["app_s"] > 0 and result["floor_s"] > 0 and result["document_bytes"] > 5_000


def test_the_key_rows_measure_unlock_and_rekey(small_vault, tmp_path):
    from bench.run import key_rows

    unlock, rekey = key_rows(60, small_vault, tmp_path, reps=1)
    assert unlock.figure > 0 and unlock.floor > 0 and unlock.target == "≤ 1.2×"
    assert rekey.figure > 0 and rekey.floor > 0 and "rekey of 60 requests" in rekey.measure
    Vault.open(small_vault, user=seed.USER, passphrase=seed.PASSPHRASE).close()  # opens under its new key


def test_the_meeting_pack_bench_rebuilds_the_pack_with_bare_reportlab(small_vault):
    """bench/meeting_pack.py builds a meeting the consent rule allows (a partner's answers are
    not passed on without its grant) and its floor can rebuild every flowable the pack uses."""
    from bench import meeting_pack

    vault = Vault.open(small_vault, user=seed.USER, passphrase=seed.PASSPHRASE)
    try:
        reference = meeting_pack.make_meeting(vault, requests=12, cases=3)
        recipe = meeting_pack.pack_recipe(vault, reference)
    finally:
        vault.close()
    pdf, pages = meeting_pack.bare_reportlab(recipe)
    assert pdf.startswith(b"%PDF") and pages >= 2


def test_the_search_bench_compares_the_app_with_its_named_floor(small_vault):
    from bench.run import measure_search

    result = measure_search(small_vault)
    assert result["samples"] == 2 * result["words"] > 0 and result["hits"] > 0
    assert result["app_p95"] > 0 and result["raw_p95"] > 0
