"""The house's layer contract (DESIGN.md, Layers), checked by tools rather than by one import.

`lint-imports` holds the contracts of pyproject.toml: the launcher above the screens above the
core; the core never imports Qt; screens reach the vault only through what app.vault exports;
areas never import each other's screens; the kit knows no area. `ruff` holds the rule sets."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_the_layer_contracts_hold():
    result = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"Contracts: \d+ kept, 0 broken", result.stdout)


def test_ruff_finds_nothing():
    result = subprocess.run([str(BIN / "ruff"), "check", "--no-cache", "."], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


def test_no_sql_in_the_screens():
    """Rules and storage live in app/: a screen never runs SQL or opens a transaction."""
    pattern = re.compile(r"\.execute\(|\.executemany\(|\.transaction\(|\.db\.|\bSELECT\b.+\bFROM\b")
    found = [f"{path.relative_to(REPO)}:{n}" for path in (REPO / "ui").rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert found == []


def test_the_core_names_no_screen():
    pattern = re.compile(r"^\s*(from|import)\s+(ui|PySide6)\b|[\"']ui\.", re.M)
    found = [str(path.relative_to(REPO)) for path in (REPO / "app").rglob("*.py")
             if pattern.search(path.read_text(encoding="utf-8"))]
    assert found == []
