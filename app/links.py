"""Links between subjects and the relationship map (4.3(4): "sensitively map vulnerable
individuals, businesses and offenders and share information on locations, relationships, needs
and concerns").

A link joins two subjects (a person, a location, a business), or a subject and a vehicle (by its
registration), with a kind (associate of, family of, lives at, works at, runs or directs,
registered at, uses vehicle), the dates it held, a confidence, and the record it came from: a
request, a response by a named partner, or a case. Its originator is data, never a choice: the
desk that wrote the request or the response, or this desk for its own case. A link learnt from a
partner's response carries that partner as originator, and section 6 applies to it as to the
response itself (documents showing it carry the conditions of use).

The map is a graph for a case, a request or a subject (and its neighbours to a chosen depth). Its
layout comes from networkx, seeded and over nodes in a fixed order, so a map opens the same way
every time; it runs in the caller's thread (the desktop calls it from a worker).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from app.agreement import load_agreement
from app.errors import InvalidInput
from app.records import Problem, check_date, check_text, new_id, raise_if
from app.roles import require
from app.timeutil import utc_now_iso
from app.vault.migrations import LINK_CONFIDENCE, LINK_KINDS, LINK_SOURCES

# kind -> (label, the kinds it may go from, the kinds it may go to; 'vehicle' is a registration)
KINDS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "associate-of": ("associate of", ("person",), ("person",)),
    "family-of": ("family of", ("person",), ("person",)),
    "lives-at": ("lives at", ("person",), ("location",)),
    "works-at": ("works at", ("person",), ("business", "location")),
    "runs": ("runs or directs", ("person",), ("business",)),
    "registered-at": ("registered at", ("business",), ("location",)),
    "uses-vehicle": ("uses vehicle", ("person", "business"), ("vehicle",)),
}
assert tuple(KINDS) == LINK_KINDS
CONFIDENCE = {"confirmed": "Confirmed", "probable": "Probable", "possible": "Possible"}
assert tuple(CONFIDENCE) == LINK_CONFIDENCE
SOURCE_KINDS = {"request": "Request", "response": "Response", "case": "Case"}
assert tuple(SOURCE_KINDS) == LINK_SOURCES
NODE_KINDS = {"person": "Person", "location": "Location", "business": "Business", "vehicle": "Vehicle"}
SCOPES = ("case", "request", "subject")
# One palette for the screen and the printed map (GOV.UK colours: each at least 3:1 against white,
# the contrast WCAG asks of graphics). Shapes tell the node kinds apart without colour; line
# dashes tell the confidence.
NODE_STYLE = {"person": ("circle", "#1d70b8"), "location": ("square", "#00703c"),
              "business": ("diamond", "#b35900"), "vehicle": ("triangle", "#4c2c92")}
LINK_COLOURS = {"associate-of": "#505a5f", "family-of": "#912b88", "lives-at": "#00703c", "works-at": "#b35900",
                "runs": "#d4351c", "registered-at": "#007a74", "uses-vehicle": "#4c2c92"}
CONFIDENCE_DASH = {"confirmed": None, "probable": (5, 3), "possible": (1.5, 2.5)}
MAX_DEPTH = 3
LAYOUT_SEED = 21  # one seed for every map: the same graph lays out the same way at every opening


def kind_label(kind: str) -> str:
    return KINDS.get(kind, (kind,))[0]


def vehicle_key(registration: str) -> str:
    return "vehicle:" + "".join(registration.split()).upper()


@dataclass(frozen=True)
class Link:
    id: str
    origin_agency: str
    from_subject: str
    to_subject: str | None
    vehicle: str
    kind: str
    valid_from: str | None
    valid_to: str | None
    confidence: str
    source_kind: str
    source_id: str
    source_label: str  # "MSR-2026-0001", "MSR-2026-0001/DWP response", "CASE-2026-0001"
    originator: str
    case_id: str | None
    notes: str
    created_at: str
    created_by: str
    from_name: str = ""
    to_name: str = ""

    @property
    def target(self) -> str:
        """The node id the link goes to: a subject id, or the vehicle's key."""
        return self.to_subject or vehicle_key(self.vehicle)

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def dates(self) -> str:
        """The dates the link held, in UK form: "from 01/05/2024", "01/05/2024 to 01/09/2025"."""
        begin, end = _uk(self.valid_from), _uk(self.valid_to)
        if begin and end:
            return f"{begin} to {end}"
        if begin:
            return f"from {begin}"
        if end:
            return f"until {end}"
        return ""


def _uk(iso: str | None) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if iso and len(iso) >= 10 else ""


_LINK_SQL = (
    "SELECT l.*, f.name AS from_name, coalesce(t.name, l.vehicle) AS to_name,"
    " CASE l.source_kind WHEN 'request' THEN (SELECT reference FROM requests WHERE id = l.source_id)"
    "  WHEN 'case' THEN (SELECT reference FROM cases WHERE id = l.source_id)"
    "  ELSE (SELECT r.reference || '/' || p.origin_agency || ' response' FROM responses p"
    "        JOIN dispatches d ON d.id = p.dispatch_id JOIN requests r ON r.id = d.request_id"
    "        WHERE p.id = l.source_id) END AS source_label"
    " FROM subject_links l JOIN subjects f ON f.id = l.from_subject LEFT JOIN subjects t ON t.id = l.to_subject")


_LINK_FIELDS = tuple(Link.__dataclass_fields__)


def _link(row) -> Link:
    held = set(row.keys())
    values = {k: row[k] for k in _LINK_FIELDS if k in held}
    values["source_label"] = values.get("source_label") or row["source_id"]
    return Link(**values)


def _source(vault, source_kind: str, source_id: str) -> tuple[str, str | None] | None:
    """(originator, the case the source belongs to) of a link's source, or None if it is not here."""
    if source_kind == "request":
        row = vault.db.one("SELECT origin_agency FROM requests WHERE id = ?", (source_id,))
        return (row["origin_agency"], None) if row else None
    if source_kind == "response":
        row = vault.db.one("SELECT origin_agency FROM responses WHERE id = ?", (source_id,))
        return (row["origin_agency"], None) if row else None
    if source_kind == "case":
        row = vault.db.one("SELECT origin_agency FROM cases WHERE id = ?", (source_id,))
        return (row["origin_agency"], source_id) if row else None
    return None


def validate_link(vault, data: dict) -> tuple[list[Problem], dict]:
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    kind = data.get("kind") or ""
    if kind not in KINDS:
        problems.append(Problem("kind", "Choose how the two are linked" if not kind else
                                f"{kind!r} is not one of: {', '.join(KINDS)}"))
    clean["kind"] = kind
    kinds = {}
    for key in ("from_subject", "to_subject"):
        value = data.get(key) or None
        clean[key] = value
        if value:
            found = vault.db.scalar("SELECT kind FROM subjects WHERE id = ?", (value,))
            if found is None:
                problems.append(Problem(key, "That subject is not in this vault"))
            kinds[key] = found
    if not clean["from_subject"]:
        problems.append(Problem("from_subject", "Choose the subject the link is from"))
    vehicle = check_text(problems, "vehicle", data.get("vehicle"), limit=40).strip()
    clean["vehicle"] = vehicle
    if kind == "uses-vehicle":
        clean["to_subject"] = None
        if not vehicle:
            problems.append(Problem("vehicle", "Enter the vehicle's registration"))
    elif kind:
        clean["vehicle"] = ""
        if not clean["to_subject"]:
            problems.append(Problem("to_subject", "Choose the subject the link is to"))
        elif clean["to_subject"] == clean["from_subject"]:
            problems.append(Problem("to_subject", "A subject cannot be linked to itself"))
    if kind in KINDS:
        label, froms, tos = KINDS[kind]
        if kinds.get("from_subject") and kinds["from_subject"] not in froms:
            problems.append(Problem("from_subject", f"“{label}” goes from a {' or '.join(froms)}"))
        if kind != "uses-vehicle" and kinds.get("to_subject") and kinds["to_subject"] not in tos:
            problems.append(Problem("to_subject", f"“{label}” goes to a {' or '.join(tos)}"))
    clean["valid_from"] = check_date(problems, "valid_from", data.get("valid_from"), required=False, missing="",
                                     what="The date the link began", not_future=False)
    clean["valid_to"] = check_date(problems, "valid_to", data.get("valid_to"), required=False, missing="",
                                   what="The date the link ended", not_future=False)
    if clean["valid_from"] and clean["valid_to"] and clean["valid_to"] < clean["valid_from"]:
        problems.append(Problem("valid_to", "The date the link ended must be on or after the date it began"))
    confidence = data.get("confidence") or ""
    if confidence not in CONFIDENCE:
        problems.append(Problem("confidence", "Choose how sure the link is: confirmed, probable or possible"))
    clean["confidence"] = confidence
    source_kind, source_id = data.get("source_kind") or "", data.get("source_id") or ""
    clean["source_kind"], clean["source_id"] = source_kind, source_id
    found = _source(vault, source_kind, source_id) if source_kind in SOURCE_KINDS and source_id else None
    if not source_kind or not source_id:
        problems.append(Problem("source_id", "Choose the record the link came from: a request, a response or a case"))
    elif found is None:
        problems.append(Problem("source_id", "The record the link came from is not in this vault"))
    clean["originator"] = found[0] if found else ""
    clean["case_id"] = data.get("case_id") or (found[1] if found else None)
    if clean["case_id"] and not vault.db.scalar("SELECT 1 FROM cases WHERE id = ?", (clean["case_id"],)):
        problems.append(Problem("case_id", "The case is not in this vault"))
    clean["notes"] = check_text(problems, "notes", data.get("notes"))
    return problems, clean


def add_link(vault, data: dict) -> Link:
    """Record a link: from_subject, to_subject (or vehicle), kind, valid_from, valid_to,
    confidence, source_kind and source_id (the request, response or case it came from), optional
    case_id and notes. The originator is taken from the source."""
    require(vault.role, "requests.write", "record links between subjects")
    problems, clean = validate_link(vault, data)
    raise_if(problems, "The link was not saved")
    lid = new_id()
    with vault.db.transaction():
        vault.db.execute(
            "INSERT INTO subject_links (id, origin_agency, from_subject, to_subject, vehicle, kind, valid_from,"
            " valid_to, confidence, source_kind, source_id, originator, case_id, notes, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (lid, vault.agency, clean["from_subject"], clean["to_subject"], clean["vehicle"], clean["kind"],
             clean["valid_from"], clean["valid_to"], clean["confidence"], clean["source_kind"], clean["source_id"],
             clean["originator"], clean["case_id"], clean["notes"], utc_now_iso(), vault.actor))
        vault.audit("link.created", record_type="subject_link", record_id=lid,
                    reason=f"{clean['kind']} {clean['source_kind']} {clean['originator']}")
    return get_link(vault, lid)


def remove_link(vault, link_id: str, reason: str) -> None:
    """Remove a link recorded in error (the audit keeps its id and the reason code)."""
    require(vault.role, "requests.write", "remove links between subjects")
    problems: list[Problem] = []
    check_text(problems, "reason", reason, required=True, missing="Enter why the link is removed")
    raise_if(problems, "The link was not removed")
    link = get_link(vault, link_id)
    with vault.db.transaction():
        vault.db.execute("DELETE FROM subject_links WHERE id = ?", (link.id,))
        vault.audit("link.removed", record_type="subject_link", record_id=link.id, reason=link.kind)


def get_link(vault, link_id: str) -> Link:
    require(vault.role, "requests.read", "see links between subjects")
    row = vault.db.one(_LINK_SQL + " WHERE l.id = ?", (link_id,))
    if row is None:
        raise InvalidInput(f"There is no link {link_id} in this vault.")
    return _link(row)


def links_of_subject(vault, subject_id: str) -> list[Link]:
    require(vault.role, "requests.read", "see links between subjects")
    rows = vault.db.query(_LINK_SQL + " WHERE l.from_subject = ? OR l.to_subject = ? ORDER BY l.seq",
                          (subject_id, subject_id))
    return [_link(r) for r in rows]


def sources_for(vault, request_id: str) -> list[tuple[str, str, str]]:
    """(source_kind, source_id, label) a link may cite for a request: the request and each
    response to it, with the partner that gave it."""
    require(vault.role, "requests.read", "see requests")
    row = vault.db.one("SELECT id, reference FROM requests WHERE id = ?", (request_id,))
    if row is None:
        return []
    out = [("request", row["id"], f"Request {row['reference']}")]
    for r in vault.db.query("SELECT p.id, p.origin_agency, p.response_date FROM responses p JOIN dispatches d"
                            " ON d.id = p.dispatch_id WHERE d.request_id = ? AND p.status != 'draft' ORDER BY p.seq",
                            (request_id,)):
        name = load_agreement().partner_name(r["origin_agency"])
        out.append(("response", r["id"], f"Response from {name} ({r['response_date']})"))
    return out


# ---- the map ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    id: str  # a subject id, or vehicle:REG
    kind: str  # person, location, business, vehicle
    label: str
    focus: bool = False  # the subject a subject map is about, or a subject of the case or request


@dataclass
class MapGraph:
    scope: str
    reference: str  # what the map is of, for titles: a case or request reference, or "subject"
    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)

    @property
    def originators(self) -> set[str]:
        return {link.originator for link in self.links}

    def filtered(self, *, kinds: Iterable[str] | None = None, since: str | None = None, until: str | None = None,
                 sources: Iterable[str] | None = None) -> "MapGraph":
        """The same map with only the links of some kinds, in force within [since, until], and
        from some originators; nodes left without a link are dropped unless they are in focus."""
        kinds = set(kinds) if kinds is not None else None
        sources = set(sources) if sources is not None else None
        kept = [link for link in self.links
                if (kinds is None or link.kind in kinds) and (sources is None or link.originator in sources)
                and not (since and link.valid_to and link.valid_to < since)
                and not (until and link.valid_from and link.valid_from > until)]
        used = {link.from_subject for link in kept} | {link.target for link in kept}
        nodes = {k: n for k, n in self.nodes.items() if n.focus or k in used}
        return MapGraph(self.scope, self.reference, self.title, nodes, kept)


def _subjects_of_requests(vault, request_ids: list[str]) -> set[str]:
    out: set[str] = set()
    for start in range(0, len(request_ids), 500):
        chunk = request_ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        out |= {r["subject_id"] for r in vault.db.query(
            f"SELECT subject_id FROM request_subjects WHERE request_id IN ({marks})", chunk)}  # placeholders only
    return out


def _links_touching(vault, subject_ids: set[str]) -> list[Link]:
    ids = sorted(subject_ids)
    found: dict[str, Link] = {}
    for start in range(0, len(ids), 400):
        chunk = ids[start:start + 400]
        marks = ", ".join("?" for _ in chunk)
        for row in vault.db.query(_LINK_SQL + f" WHERE l.from_subject IN ({marks}) OR l.to_subject IN ({marks})",
                                  chunk + chunk):  # placeholders only
            if row["id"] not in found:  # a link between two chunks comes back once for each
                found[row["id"]] = _link(row)
    return list(found.values())


def map_graph(vault, scope: str, ref: str, *, depth: int | None = None, audit: bool = True) -> MapGraph:
    """The map of a case (its requests' subjects and the links recorded under it or learnt from its
    requests and their responses), of a request, or of a subject, each with neighbours to `depth`
    (0 for a case or request, 1 for a subject, unless told; at most 3)."""
    require(vault.role, "requests.read", "see relationship maps")
    if scope not in SCOPES:
        raise InvalidInput(f"Unknown map scope {scope!r}; choose a case, a request or a subject.")
    depth = (1 if scope == "subject" else 0) if depth is None else depth
    if not isinstance(depth, int) or not 0 <= depth <= MAX_DEPTH:
        raise InvalidInput(f"Choose a depth from 0 to {MAX_DEPTH}.")
    if scope == "case":
        from app.cases import resolve

        require(vault.role, "cases.read", "see cases")
        row = vault.db.one("SELECT id, reference, title FROM cases WHERE id = ?", (resolve(vault, ref),))
        request_ids = [r["request_id"] for r in vault.db.query("SELECT request_id FROM case_requests WHERE case_id = ?",
                                                               (row["id"],))]
        focus = _subjects_of_requests(vault, request_ids)
        sources = set(request_ids) | {row["id"]}
        for start in range(0, len(request_ids), 500):
            chunk = request_ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            sources |= {r["id"] for r in vault.db.query(
                f"SELECT p.id FROM responses p JOIN dispatches d ON d.id = p.dispatch_id WHERE d.request_id IN ({marks})",
                chunk)}  # placeholders only
        own = [_link(r) for r in vault.db.query(_LINK_SQL + " WHERE l.case_id = ?", (row["id"],))]
        focus |= {link.from_subject for link in own} | {link.to_subject for link in own if link.to_subject}
        graph = MapGraph("case", row["reference"], f"Relationship map of case {row['reference']}")
        record = ("case", row["id"])
    elif scope == "request":
        from app.requests import _resolve as resolve_request

        row = vault.db.one("SELECT id, reference FROM requests WHERE id = ?", (resolve_request(vault, ref),))
        focus = _subjects_of_requests(vault, [row["id"]])
        sources = {row["id"]} | {r["id"] for r in vault.db.query(
            "SELECT p.id FROM responses p JOIN dispatches d ON d.id = p.dispatch_id WHERE d.request_id = ?",
            (row["id"],))}
        graph = MapGraph("request", row["reference"], f"Relationship map of request {row['reference']}")
        record = ("request", row["id"])
    else:
        row = vault.db.one("SELECT id, name FROM subjects WHERE id = ?", (ref,))
        if row is None:
            raise InvalidInput(f"There is no subject {ref} in this vault.")
        focus, sources = {row["id"]}, set()
        graph = MapGraph("subject", "subject", "Relationship map of a subject")
        record = ("subject", row["id"])
    # Links among the focus subjects, those learnt from the map's own records, then neighbours.
    members = set(focus)
    chosen: dict[str, Link] = {}
    touching = _links_touching(vault, members)
    for link in touching:
        if link.source_id in sources or (scope == "case" and link.case_id == record[1]):
            chosen[link.id] = link
            members.add(link.from_subject)
            if link.to_subject:
                members.add(link.to_subject)
    frontier = set(members)
    for _ in range(depth):
        if not frontier:
            break
        reached: set[str] = set()
        for link in _links_touching(vault, frontier):
            if link.id not in chosen:
                chosen[link.id] = link
            for end in (link.from_subject, link.to_subject):
                if end and end not in members:
                    reached.add(end)
        members |= reached
        frontier = reached
    for link in _links_touching(vault, members):  # every link among the members is drawn
        if link.from_subject in members and (link.to_subject is None or link.to_subject in members):
            chosen.setdefault(link.id, link)
    ids = sorted(members)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for r in vault.db.query(f"SELECT id, kind, name FROM subjects WHERE id IN ({marks})", chunk):  # placeholders
            graph.nodes[r["id"]] = Node(r["id"], r["kind"], r["name"], r["id"] in focus)
    for link in sorted(chosen.values(), key=lambda x: x.created_at + x.id):
        if link.to_subject is None:
            key = vehicle_key(link.vehicle)
            graph.nodes.setdefault(key, Node(key, "vehicle", link.vehicle.strip().upper()))
        graph.links.append(link)
    if audit:
        vault.audit("map.viewed", record_type=record[0], record_id=record[1],
                    reason=f"{len(graph.nodes)} nodes {len(graph.links)} links")
    return graph


def layout(graph: MapGraph, *, seed: int = LAYOUT_SEED, aspect: float = 1.25) -> dict[str, tuple[float, float]]:
    """Positions in [-1, 1] for every node, from networkx. Each connected part is laid out on its own
    (Fruchterman-Reingold; ForceAtlas2 for a part of 500 nodes or more, where networkx's spring
    layout would need SciPy) and the parts are packed in rows, largest first, with lone subjects in
    a row of their own at the end, so a few unlinked subjects never shrink the rest to a dot. Nodes
    and edges go in sorted order with a fixed seed: the same map lays out the same way every time.
    `aspect` is the width over the height of the space the map is drawn in."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(sorted(graph.nodes))
    g.add_edges_from(sorted({tuple(sorted((link.from_subject, link.target))) for link in graph.links
                             if link.from_subject in graph.nodes and link.target in graph.nodes
                             and link.from_subject != link.target}))
    if g.number_of_nodes() == 0:
        return {}
    parts = sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: (-len(c), c[0]))
    groups = [c for c in parts if len(c) > 1]
    lone = [c[0] for c in parts if len(c) == 1]
    placed: dict[str, tuple[float, float]] = {}
    # Each part in its own square, its side growing with the square root of its size.
    boxes: list[tuple[float, dict[str, tuple[float, float]]]] = []
    for nodes in groups:
        sub = g.subgraph(nodes)
        if len(nodes) == 2:
            pos = {nodes[0]: (-1.0, 0.0), nodes[1]: (1.0, 0.0)}
        elif len(nodes) < 500:
            pos = nx.spring_layout(sub, seed=seed, iterations=60, method="force")
        else:
            pos = nx.forceatlas2_layout(sub, seed=seed, max_iter=40, gravity=2.0, scaling_ratio=2.0)
        boxes.append((len(nodes) ** 0.5, _fit({k: (float(v[0]), float(v[1])) for k, v in pos.items()})))
    # Rows of boxes (shelf packing) no wider than the width a square-ish total would need.
    total = sum(side * side for side, _ in boxes) + len(lone) * 0.25
    row_width = max([side for side, _ in boxes] + [(total * aspect) ** 0.5])
    x = y = row_height = 0.0
    for side, pos in boxes:
        if x > 0 and x + side > row_width + 1e-9:
            x, y, row_height = 0.0, y + row_height, 0.0
        for node, (px, py) in pos.items():
            placed[node] = (x + (px + 1) / 2 * side * 0.8 + side * 0.1, y + (py + 1) / 2 * side * 0.8 + side * 0.1)
        x += side
        row_height = max(row_height, side)
    if lone:
        y += row_height
        per_row = max(1, int(row_width / 1.3)) if boxes else max(1, round((len(lone) * aspect) ** 0.5))
        step = row_width / per_row if boxes else 1.0
        for n, node in enumerate(lone):
            placed[node] = ((n % per_row + 0.5) * step, y + (n // per_row + 0.5) * (0.5 if boxes else 1.0))
    return _fit(placed, aspect=aspect)  # y runs down, as on screen: the first row is at the top


def _fit(pos: dict[str, tuple[float, float]], *, aspect: float = 1.0) -> dict[str, tuple[float, float]]:
    """Scale and centre positions into [-1, 1] keeping their proportions (against `aspect`)."""
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    span = max(width / aspect, height) or 1.0
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return {node: ((p[0] - cx) * 2 / (span * aspect), (p[1] - cy) * 2 / span) for node, p in pos.items()}


__all__ = ["Link", "Node", "MapGraph", "KINDS", "CONFIDENCE", "SOURCE_KINDS", "NODE_KINDS", "SCOPES", "MAX_DEPTH",
           "NODE_STYLE", "LINK_COLOURS", "CONFIDENCE_DASH",
           "kind_label", "vehicle_key", "validate_link", "add_link", "remove_link", "get_link", "links_of_subject",
           "sources_for", "map_graph", "layout"]
