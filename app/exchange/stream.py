"""A large exchange document read a record at a time (issue 15: a whole vault of 10,000 requests
is a document of about 100 MB, and `json.loads` of it holds the text and every record at once,
about 480 MB).

`streamed_document(raw, name)` returns the document as a dict whose long lists (`requests`,
`subjects`, `disclosures`) are `StreamedItems`: sequences that parse their records from the
document's bytes one at a time each time they are walked, with `ijson` (its C backend, yajl),
so validation and import hold one record, not the whole file. Everything else in the document is
small and is built in full during one structural pass, which also counts each long list and
checks the whole text is well-formed JSON before anything is validated or written.

Only documents with no `\\uD800`-style escape are streamed: yajl would replace an unpaired
surrogate by "?" where `json.loads` keeps it for validation to refuse, so those few files take
the ordinary path (app.exchange.validate.parse_document).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from itertools import islice

from app.errors import InvalidInput

# Lists read a record at a time; the rest of a document is small.
STREAMED = ("requests", "subjects", "disclosures")
# From this size on a document is streamed; smaller ones are parsed whole (quicker, and the
# memory is small either way).
STREAM_FROM = 16 * 1024 * 1024


def _not_json(name: str, exc: Exception) -> InvalidInput:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else "it ends too early"
    return InvalidInput(f"{name} is not valid JSON ({first}); it was not read (nothing was changed).")


class StreamedItems(Sequence):
    """One long list of a document, parsed a record at a time from its bytes on every walk."""

    def __init__(self, raw: bytes, key: str, count: int, name: str):
        self._raw = raw
        self.key = key
        self._count = count
        self._name = name

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator:
        import ijson

        # BytesIO over bytes shares the buffer (no copy); the text was checked well-formed by the
        # structural pass, so an error here means the bytes changed under us.
        try:
            yield from ijson.items(io.BytesIO(self._raw), f"{self.key}.item", use_float=True)
        except ijson.JSONError as exc:
            raise _not_json(self._name, exc) from None

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(islice(iter(self), index.start, index.stop, index.step))
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return next(islice(iter(self), index, None))

    def __repr__(self) -> str:  # never the records themselves (personal data)
        return f"<{self.key}: {self._count} records, streamed>"


def streamed_document(raw: bytes, name: str):
    """The document with its long lists streamed (see the module's note). A top-level value that
    is not an object is returned as it is, for validation to refuse in words."""
    import ijson
    from ijson.common import ObjectBuilder

    doc: dict = {}
    counts = dict.fromkeys(STREAMED, 0)
    seen: set[str] = set()
    builder = None  # building a small top-level value
    streaming = None  # inside a long list: only its records are counted
    item_prefix = ""
    key = None
    try:
        events = ijson.parse(io.BytesIO(raw), use_float=True)
        first = next(events, None)
        if first is None:
            raise _not_json(name, Exception("it is empty"))
        if first[1] != "start_map":  # not an object: built whole, for validation to refuse in words
            builder = ObjectBuilder()
            builder.event(first[1], first[2])
            for _prefix, event, value in events:
                builder.event(event, value)
            return builder.value
        for prefix, event, value in events:
            if builder is not None:
                builder.event(event, value)
                if prefix == key and event in ("end_map", "end_array"):
                    doc[key] = builder.value
                    builder = None
            elif streaming is not None:
                if prefix == streaming and event == "end_array":
                    streaming = None
                elif prefix == item_prefix and event not in ("end_map", "end_array", "map_key"):
                    counts[streaming] += 1
            elif prefix == "" and event == "map_key":
                key = value
                if key in STREAMED and key in seen:
                    raise InvalidInput(f"{name} names {key} twice; it was not read (nothing was changed).")
                seen.add(key)
            elif prefix == "" and event == "end_map":
                continue
            elif key in STREAMED and event == "start_array":
                doc[key] = None  # streamed: replaced below
                streaming, item_prefix = key, f"{key}.item"
            else:
                builder = ObjectBuilder()
                builder.event(event, value)
                if event not in ("start_map", "start_array"):
                    doc[key] = builder.value
                    builder = None
    except ijson.JSONError as exc:
        raise _not_json(name, exc) from None
    for list_key, count in counts.items():
        if list_key in doc and doc[list_key] is None:
            doc[list_key] = StreamedItems(raw, list_key, count, name)
    return doc


def is_streamed(doc) -> bool:
    return isinstance(doc, dict) and any(isinstance(doc.get(k), StreamedItems) for k in STREAMED)
