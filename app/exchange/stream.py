"""A large exchange document read a record at a time (issue 15: a whole vault of 10,000 requests
is a document of about 100 MB, and `json.loads` of it holds the text and every record at once,
about 480 MB).

`streamed_document(raw, name)` returns the document as a dict whose long lists (`requests`,
`subjects`, `disclosures`) are `StreamedItems`: sequences that parse their records from the
document's bytes one at a time each time they are walked, with `ijson` (its C backend, yajl),
so validation and import hold one record, not the whole file. Everything else in the document is
small and is built in full during one structural pass, which also counts each long list and
checks the whole text is well-formed JSON before anything is validated or written.

Speed (issue 8's import row; docs/benchmarks.md). Each walk parses only its own list, from the
byte where the list opens. yajl gives no offsets, so the structural pass feeds the parser the
text in pieces (ijson's push interface), cut just before every `[` that follows a long list's
name (`"requests": [`, found by regular expressions with a literal start; a request's own
`"subjects": [` is one too). Such a `[` opens the top-level list exactly when the parser's last
event before the cut is that key at the top level and its first event after the cut is a list's
start: the parser itself decides, so a name inside a text value or a nested list of the same
name is never taken for it. A list whose opening is not found that way (its name written with
`\\u` escapes) is walked from the document's start, as before. The pass reads yajl's basic
events (no prefixes: half the parser's own cost) and keeps the nesting depth itself; inside a
long list it only counts records. Callers walk each list as few times as they can: validation
once (schema and domain checks together, keeping the little that later checks need) and the
import once (app.exchange.validate, app.exchange.importer).

Only documents with no `\\uD800`-style escape are streamed: yajl would replace an unpaired
surrogate by "?" where `json.loads` keeps it for validation to refuse, so those few files take
the ordinary path (app.exchange.validate.parse_document).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from itertools import islice

from app.errors import InvalidInput

# Lists read a record at a time; the rest of a document is small.
STREAMED = ("requests", "subjects", "disclosures")
# From this size on a document is streamed; smaller ones are parsed whole (quicker, and the
# memory is small either way).
STREAM_FROM = 16 * 1024 * 1024
# The structural pass feeds the parser pieces of at most this size (ijson's own buffer size).
PIECE = 64 * 1024
# A long list's name followed by the `[` that may open it (each has a literal start, so the
# search runs at memchr speed).
_MAY_OPEN = tuple(re.compile(rb'"%s"\s*:\s*\[' % key.encode()) for key in STREAMED)
_OPENS = ("start_map", "start_array")
_CLOSES = ("end_map", "end_array")
_STEP = {"start_map": 1, "start_array": 1, "end_map": -1, "end_array": -1}


def _not_json(name: str, exc: Exception) -> InvalidInput:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else "it ends too early"
    return InvalidInput(f"{name} is not valid JSON ({first}); it was not read (nothing was changed).")


class StreamedItems(Sequence):
    """One long list of a document, parsed a record at a time from its bytes on every walk:
    from `start`, the offset of its `[`, when the structural pass found it (only the list is
    parsed), else from the document's start."""

    def __init__(self, raw: bytes, key: str, count: int, name: str, start: int | None = None):
        self._raw = raw
        self.key = key
        self._count = count
        self._name = name
        self._start = start

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator:
        import ijson

        # BytesIO over bytes shares the buffer (no copy); the text was checked well-formed by the
        # structural pass, so an error here means the bytes changed under us.
        source = io.BytesIO(self._raw)
        try:
            if self._start is None:
                yield from ijson.items(source, f"{self.key}.item", use_float=True)
                return
            source.seek(self._start)
            # The parser sees the list as a whole document; what follows its `]` would be an
            # error, so exactly its records are taken (counted by the structural pass).
            yield from islice(ijson.items(source, "item", use_float=True), self._count)
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


def _pieces(raw: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each piece the structural pass feeds the parser: every PIECE bytes, and
    cut just before each `[` that may open a long list."""
    cuts = set(range(0, len(raw), PIECE))
    for pattern in _MAY_OPEN:
        cuts.update(match.end() - 1 for match in pattern.finditer(raw))
    ordered = sorted(cuts)
    return zip(ordered, ordered[1:] + [len(raw)])


class _Structure:
    """The structural pass's state: the small values built so far, the long lists' counts and
    where each opens. It takes yajl's basic events (no prefixes: about half the parser's own
    cost) and keeps the nesting depth itself: 1 inside the top-level object, 2 inside one of its
    values."""

    def __init__(self, name: str):
        self.name = name
        self.doc: dict = {}
        self.counts = dict.fromkeys(STREAMED, 0)
        self.starts: dict[str, int] = {}
        self.whole = None  # the top-level value is not an object: built whole, for validation to refuse
        self._seen: set[str] = set()
        self._depth = 0
        self._builder = None  # building a small top-level value
        self._streaming = None  # inside a long list: only its records are counted
        self._key = None
        self._last = None  # the last event of the pieces before this one, and its depth

    def take(self, events: list, start: int) -> None:
        """The events of the piece that starts at byte `start` (one Python step per event: this
        loop is most of the pass's own time, so it keeps its state in locals)."""
        from ijson.common import ObjectBuilder

        if self._last is None and events[0][0] != "start_map":
            self.whole = ObjectBuilder()
        key = self._key
        if key in STREAMED and self._last == ("map_key", key, 1) and events[0] == ("start_array", None):
            self.starts[key] = start  # the parser confirms: this piece opens the top-level list
        if self.whole is not None:
            self._last = events[-1] + (None,)
            for event, value in events:
                self.whole.event(event, value)
            return
        doc, counts, builder, streaming, depth = self.doc, self.counts, self._builder, self._streaming, self._depth
        count = 0  # records of the long list being read, in this piece
        for event, value in events:
            if streaming is not None:  # most events: inside a long list, only its records are counted
                if event in _OPENS:
                    depth += 1
                    if depth == 3:
                        count += 1
                elif event in _CLOSES:
                    depth -= 1
                    if depth == 1:  # the list's end
                        counts[streaming] += count
                        count, streaming = 0, None
                elif depth == 2 and event != "map_key":
                    count += 1  # a record that is a plain value (for validation to refuse)
                continue
            depth += _STEP.get(event, 0)
            if builder is not None:
                builder.event(event, value)
                if depth == 1:
                    doc[key] = builder.value
                    builder = None
            elif depth <= 1:
                if event == "map_key":
                    key = value
                    if key in STREAMED and key in self._seen:
                        raise InvalidInput(f"{self.name} names {key} twice; it was not read (nothing was "
                                           "changed).")
                    self._seen.add(key)
                elif depth == 1 and event != "start_map":  # a small plain value: a text, number...
                    doc[key] = value
            elif key in STREAMED and event == "start_array":
                doc[key] = None  # streamed: replaced at the end
                streaming = key
            else:
                builder = ObjectBuilder()
                builder.event(event, value)
        if streaming is not None:
            counts[streaming] += count
        self._key, self._builder, self._streaming, self._depth = key, builder, streaming, depth
        self._last = events[-1] + (depth,)


def streamed_document(raw: bytes, name: str):
    """The document with its long lists streamed (see the module's note). A top-level value that
    is not an object is returned as it is, for validation to refuse in words."""
    import ijson

    structure = _Structure(name)
    events = ijson.sendable_list()
    parser = ijson.basic_parse_coro(events, use_float=True)
    view = memoryview(raw)
    try:
        for start, end in _pieces(raw):
            parser.send(view[start:end])
            if events:
                structure.take(events, start)
                del events[:]
        parser.close()  # the end of the text: an unfinished document is refused here
        if events:
            structure.take(events, len(raw))
    except ijson.JSONError as exc:
        raise _not_json(name, exc) from None
    if structure.whole is not None:
        return structure.whole.value
    doc = structure.doc
    for key, count in structure.counts.items():
        if key in doc and doc[key] is None:
            doc[key] = StreamedItems(raw, key, count, name, structure.starts.get(key))
    return doc
