"""Sorting a keyset-paged list in the database, over the whole set (issue 17).

A list names the columns it can be sorted by in a `Sort`: a key a screen or the CLI passes
("date", "requester") mapped to a SQL expression we wrote, never text from the user. A page is
`ORDER BY expression, tie` (the tie a unique column, so the order is total) and the next page
starts after the last row's `(value, tie)` cursor (a row-value comparison an index can serve),
so page 2 of a list sorted by name is the next 200 names of the whole table, not a re-sort of
the rows loaded so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.errors import InvalidInput

SORT_VALUE = "_sort_value"  # the column alias the cursor is read from


@dataclass(frozen=True)
class Sort:
    columns: dict[str, str]  # key -> SQL expression (ours)
    tie: str                 # a unique column, e.g. "r.seq"
    default: str
    default_descending: bool = True
    captions: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (ascending, descending) words

    def check(self, key: str | None) -> str:
        key = self.default if key is None else key
        if key not in self.columns:
            raise InvalidInput(f"Unknown sort {key!r}; choose one of: {', '.join(self.columns)}.")
        return key

    def plan(self, key: str | None, descending: bool | None, after) -> tuple[str, list, str, str]:
        """(select expression, where params, where clause or "", ORDER BY clause) for one page.

        `after` is the previous page's `next_after`: the tie value alone when the sort is the tie
        column itself, else a `(value, tie)` pair."""
        key = self.check(key)
        descending = self.default_descending if descending is None else bool(descending)
        expr = self.columns[key]
        direction, compare = ("DESC", "<") if descending else ("ASC", ">")
        where, params = "", []
        if after is not None:
            if expr == self.tie:
                where = f"{self.tie} {compare} ?"
                params = [int(after[-1] if isinstance(after, (tuple, list)) else after)]
            else:
                if not isinstance(after, (tuple, list)) or len(after) != 2:
                    raise InvalidInput("That page cursor does not belong to this sort; read the list from the start.")
                where = f"({expr}, {self.tie}) {compare} (?, ?)"
                params = [after[0], after[1]]
        order = f"{expr} {direction}, {self.tie} {direction}" if expr != self.tie else f"{self.tie} {direction}"
        return f"{expr} AS {SORT_VALUE}", params, where, order

    def cursor(self, key: str | None, row, tie_value):
        """The `next_after` of a page whose last row is `row` (reading its SORT_VALUE)."""
        key = self.check(key)
        if self.columns[key] == self.tie:
            return tie_value
        return (row[SORT_VALUE], tie_value)

    def caption(self, key: str | None, descending: bool | None) -> str:
        """How a list says what order it shows ("Newest first", "Requester Z to A")."""
        key = self.check(key)
        descending = self.default_descending if descending is None else bool(descending)
        ascending_words, descending_words = self.captions.get(key, (f"{key} ascending", f"{key} descending"))
        return descending_words if descending else ascending_words
