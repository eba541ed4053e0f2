"""The clause map (docs/agreement-map.md) stays true: one row for every operative clause of the
agreement, and every function, screen and test it names exists.

No Qt: `app` modules are imported (the core never imports Qt), but ui modules and tests are only
read, their classes and functions found with `ast`, so this runs without a display.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAP = REPO / "docs" / "agreement-map.md"

# Every operative clause of the agreement, as issue 14 lists them.
CLAUSES = (
    "1.4", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "3", "3.1", "4.3",
    "5.1", "5.2", "5.3", "5.4", "6.1", "6.2", "6.3", "6.4", "7.1", "7.2", "7.3", "8.1",
    "9.1", "9.2", "9.3", "9.4", "9.5", "10.1", "10.2", "11", "12.1", "12.2",
    "13.1", "13.2", "13.3", "13.4",
    "Appendix 1", "Appendix 2", "Appendix 2a", "Appendix 3", "Appendix 4", "Appendix 4a",
)
HEADER = ("Clause", "Asks", "app/", "Screen", "Tests", "Notes")
NOT_BUILT = "not built yet"

CLAUSE_KEY = re.compile(r"^(Appendix \d+[a-z]?|\d+(?:\.\d+)*)(?=\s|\(|$)")
TICKED = re.compile(r"`([^`]+)`")
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
APP_REF = re.compile(rf"^(app(?:\.{NAME})*):({NAME}(?:\.{NAME})*)$")
UI_REF = re.compile(rf"^(ui(?:\.{NAME})+)(?::({NAME}))?$")
TEST_REF = re.compile(r"^(tests/[A-Za-z0-9_/]+\.py)::(test_[A-Za-z0-9_]*)$")

# Which kind of reference each column holds; "Notes" may name any kind, and all are checked.
COLUMN_KIND = {"app/": "app", "Screen": "ui", "Tests": "test"}


def parse_table(text: str) -> list[dict[str, str]]:
    """The rows of the first Markdown table in `text`, as {header: cell}."""
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("|")]
    if len(lines) < 2:
        raise AssertionError("no table found")
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    header = tuple(cells[0])
    if header != HEADER:
        raise AssertionError(f"the table's columns are {header}, expected {HEADER}")
    if not all(set(cell) <= set("-: ") for cell in cells[1]):
        raise AssertionError("the second line of the table is not its separator")
    rows = []
    for number, row in enumerate(cells[2:], start=3):
        if len(row) != len(HEADER):
            raise AssertionError(f"table line {number} has {len(row)} cells, expected {len(HEADER)}: {row}")
        rows.append(dict(zip(HEADER, row)))
    return rows


def clause_key(cell: str) -> str | None:
    found = CLAUSE_KEY.match(cell)
    return found.group(1) if found else None


def kind_of(ref: str) -> str | None:
    """"app", "ui" or "test" for a well-formed reference; None for anything else."""
    if APP_REF.match(ref):
        return "app"
    if UI_REF.match(ref):
        return "ui"
    if TEST_REF.match(ref):
        return "test"
    return None


def looks_like_ref(token: str) -> bool:
    return token.startswith(("app.", "app:", "ui.", "ui:", "tests/"))


@functools.lru_cache(maxsize=None)
def _top_level_names(path: Path) -> frozenset[str]:
    """Classes and functions defined at the top of a module (and, for tests, in its classes)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names.update(n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return frozenset(names)


def check_app(ref: str) -> str | None:
    module_name, attribute = APP_REF.match(ref).groups()
    try:
        target = importlib.import_module(module_name)
    except ImportError as exc:
        return f"{ref}: module {module_name} does not import ({exc})"
    for part in attribute.split("."):
        if not hasattr(target, part):
            return f"{ref}: {module_name} has no {attribute}"
        target = getattr(target, part)
    return None


def _ui_file(root: Path, module_name: str) -> Path | None:
    base = root.joinpath(*module_name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def check_ui(ref: str, root: Path = REPO) -> str | None:
    module_name, name = UI_REF.match(ref).groups()
    path = _ui_file(root, module_name)
    if path is None:
        return f"{ref}: no module file for {module_name} under ui/"
    if name and name not in _top_level_names(path):
        return f"{ref}: {path.relative_to(root)} defines no class or function {name}"
    return None


def check_test(ref: str, root: Path = REPO) -> str | None:
    file_name, name = TEST_REF.match(ref).groups()
    path = root / file_name
    if not path.is_file():
        return f"{ref}: no file {file_name}"
    if name not in _top_level_names(path):
        return f"{ref}: {file_name} defines no test {name}"
    return None


CHECKS = {"app": check_app, "ui": check_ui, "test": check_test}


def problems_in_rows(rows: list[dict[str, str]]) -> list[str]:
    """Everything wrong with the references of `rows`: each problem names its clause and reference."""
    problems = []
    for row in rows:
        clause = row["Clause"]
        for column, cell in row.items():
            if column == "Clause":
                continue
            refs = TICKED.findall(cell)
            expected = COLUMN_KIND.get(column)
            if expected and not refs and NOT_BUILT not in cell:
                problems.append(f"{clause} {column}: names nothing and does not say {NOT_BUILT!r}")
            for ref in refs:
                kind = kind_of(ref)
                if kind is None:
                    if expected or looks_like_ref(ref):
                        problems.append(f"{clause} {column}: {ref!r} is not module:function, ui.module[:Name] "
                                        "or tests/file.py::test_name")
                    continue
                if expected and kind != expected:
                    problems.append(f"{clause} {column}: {ref} is a {kind} reference in the {column} column")
                    continue
                problem = CHECKS[kind](ref)
                if problem:
                    problems.append(f"{clause} {column}: {problem}")
    return problems


@functools.lru_cache(maxsize=None)
def map_rows() -> tuple[dict[str, str], ...]:
    return tuple(parse_table(MAP.read_text(encoding="utf-8")))


# ---- the map --------------------------------------------------------------------------------


def test_every_operative_clause_has_exactly_one_row():
    keys = [clause_key(row["Clause"]) for row in map_rows()]
    assert None not in keys, [row["Clause"] for row in map_rows() if clause_key(row["Clause"]) is None]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert duplicates == []
    assert sorted(set(CLAUSES) - set(keys)) == []  # clauses without a row
    assert sorted(set(keys) - set(CLAUSES)) == []  # rows for no listed clause


def test_every_row_says_what_the_clause_asks():
    assert [row["Clause"] for row in map_rows() if not row["Asks"]] == []


def test_every_named_function_screen_and_test_exists():
    assert problems_in_rows(list(map_rows())) == []


# ---- the checks themselves can fail ---------------------------------------------------------


def test_a_misspelt_or_misplaced_name_is_caught():
    good = map_rows()[0]
    bad_rows = [
        {**good, "Clause": "A", "app/": "`app.breaches:clockz`"},
        {**good, "Clause": "B", "app/": "`app.breachez:clocks`"},
        {**good, "Clause": "C", "app/": "`app.agreement:Agreement.lead_partnr`"},
        {**good, "Clause": "D", "Screen": "`ui.breaches.area:BreachAreaa`"},
        {**good, "Clause": "E", "Screen": "`ui.breaches.aera`"},
        {**good, "Clause": "F", "Tests": "`tests/test_breaches.py::test_no_such_test`"},
        {**good, "Clause": "G", "Tests": "`tests/test_no_such_file.py::test_clocks`"},
        {**good, "Clause": "H", "app/": "`app.breaches.clocks`"},  # a dot for the colon
        {**good, "Clause": "I", "Screen": "`tests/test_breaches.py::test_breach_categories`"},
        {**good, "Clause": "J", "Tests": ""},
        {**good, "Clause": "K", "Notes": "see `app.suspensions:suspendd`"},
    ]
    problems = problems_in_rows(bad_rows)
    assert sorted({p.split(" ", 1)[0] for p in problems}) == list("ABCDEFGHIJK"), problems
    assert problems_in_rows([good]) == []


def test_the_clause_keys_and_table_shape_are_read_strictly():
    assert clause_key("5.4 (5.4.1–5.4.3)") == "5.4"
    assert clause_key("Appendix 2a") == "Appendix 2a"
    assert clause_key("13.2") == "13.2"
    assert clause_key("5.4x") is None
    table = "| " + " | ".join(HEADER) + " |\n|---|---|---|---|---|---|\n| 1.4 | a | b | c | d |\n"
    try:
        parse_table(table)
    except AssertionError as exc:
        assert "5 cells" in str(exc)
    else:
        raise AssertionError("a short row was accepted")
