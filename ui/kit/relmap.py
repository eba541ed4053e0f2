"""The relationship map (4.3(4)) as a widget for any area: a Qt graphics view of people,
locations, businesses and vehicles (shape and colour by kind, with a legend and labels), zoom
(+ and -, the wheel, Fit) and pan (drag), keyboard navigation between nodes (arrow keys go to the
nearest node that way, Tab to the next, Enter opens its subject page), filters by link kind,
source (originator) and date, and the same links as an accessible table beside the graph.

The graph comes from `app.links.map_graph`; its layout (`app.links.layout`, networkx) runs off
the GUI thread. Filters hide links and nodes without moving anything, so the map stays put.
"""

from __future__ import annotations

import math

from app import links as lk
from app.agreement import load_agreement
from app.errors import SpocError
from app.records import parse_date
from ui.kit.formatting import plural
from ui.kit.widgets import plain_label
from ui.qt import QtCore, QtGui, QtWidgets, Qt, Signal
from ui.worker import run_in_background
from ui.kit import theme

SCALE = 320.0  # scene units per layout unit
LINK_COLUMNS = ("From", "Link", "To", "Dates", "Confidence", "Source", "Originator")


def _path(kind: str, r: float) -> QtGui.QPainterPath:
    shape = lk.NODE_STYLE.get(kind, ("circle", ""))[0]
    path = QtGui.QPainterPath()
    if shape == "square":
        path.addRect(-r, -r, 2 * r, 2 * r)
    elif shape == "diamond":
        path.addPolygon(QtGui.QPolygonF([QtCore.QPointF(0, -r * 1.25), QtCore.QPointF(r * 1.25, 0),
                                         QtCore.QPointF(0, r * 1.25), QtCore.QPointF(-r * 1.25, 0)]))
        path.closeSubpath()
    elif shape == "triangle":
        path.addPolygon(QtGui.QPolygonF([QtCore.QPointF(0, -r * 1.2), QtCore.QPointF(r * 1.15, r * 0.8),
                                         QtCore.QPointF(-r * 1.15, r * 0.8)]))
        path.closeSubpath()
    else:
        path.addEllipse(QtCore.QPointF(0, 0), r, r)
    return path


def _ink() -> QtGui.QColor:
    """Outlines and labels: GOV.UK's black, or the window text in high contrast."""
    return theme.colour("text")


def _node_fill(kind: str) -> QtGui.QColor:
    """A node's kind colour; in high contrast the window (its shape still says its kind)."""
    if theme.high_contrast():
        return theme.colour("canvas")
    return QtGui.QColor(lk.NODE_STYLE.get(kind, ("", "#505a5f"))[1])


def _link_colour(kind: str) -> QtGui.QColor:
    """A link kind's colour; in high contrast the same hue made readable on the window, as the
    colour is what tells the kinds apart."""
    found = QtGui.QColor(lk.LINK_COLOURS.get(kind, "#505a5f"))
    return theme.readable_on(found, theme.colour("canvas")) if theme.high_contrast() else found


def legend_icon(kind: str, size: int = 16) -> QtGui.QPixmap:
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.translate(size / 2, size / 2)
    painter.setBrush(_node_fill(kind))
    painter.setPen(QtGui.QPen(_ink(), 1))
    painter.drawPath(_path(kind, size * 0.32))
    painter.end()
    return pixmap


def line_icon(colour: QtGui.QColor | str, dash, width: int = 28) -> QtGui.QPixmap:
    pixmap = QtGui.QPixmap(width, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    pen = QtGui.QPen(QtGui.QColor(colour), 2)
    if dash:
        pen.setDashPattern([d / 1.5 for d in dash])
    painter.setPen(pen)
    painter.drawLine(2, 6, width - 2, 6)
    painter.end()
    return pixmap


class NodeItem(QtWidgets.QGraphicsPathItem):
    def __init__(self, node: lk.Node, radius: float, label: bool):
        super().__init__(_path(node.kind, radius))
        self.node = node
        self.setBrush(_node_fill(node.kind))
        self.setPen(QtGui.QPen(_ink(), 2.5 if node.focus else 1))
        self.setToolTip(f"{lk.NODE_KINDS.get(node.kind, node.kind)}: {node.label}")
        self.setZValue(2)
        self.halo = None
        self.text = None
        if label:
            shown = " ".join(node.label.split())
            self.text = QtWidgets.QGraphicsSimpleTextItem(shown if len(shown) <= 28 else shown[:27] + "…", self)
            font = self.text.font()
            font.setBold(node.focus)
            self.text.setFont(font)
            # Labels keep their size at any zoom (readable when the map is fitted small).
            self.text.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
            self.text.setBrush(_ink())
            box = self.text.boundingRect()
            self.text.setPos(-box.width() / 2, radius * 1.3 + 1)

    def mark(self, chosen: bool) -> None:
        """The chosen node: a thick dark outline on a yellow halo (GOV.UK's focus colours). No
        paint() of our own: a Python paint override runs for every node at every repaint."""
        if chosen:
            self.setPen(QtGui.QPen(_ink(), 3.5))
            if self.halo is None:
                self.halo = QtWidgets.QGraphicsPathItem(self.path(), self)
                self.halo.setPen(QtGui.QPen(theme.colour("halo"), 9))
                self.halo.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent, True)
            self.halo.setVisible(True)
        else:
            self.setPen(QtGui.QPen(_ink(), 2.5 if self.node.focus else 1))
            if self.halo is not None:
                self.halo.setVisible(False)


class MapView(QtWidgets.QGraphicsView):
    """The graph; keys: arrows to the nearest node that way, Tab/Shift+Tab in turn, Enter opens,
    + and - zoom, 0 fits."""

    activated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QtWidgets.QGraphicsScene(self))
        self.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        self.setDragMode(QtWidgets.QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QtWidgets.QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Relationship map")
        self.setAccessibleDescription("Arrow keys move between people, places, businesses and vehicles; Enter opens "
                                      "the subject's page; plus and minus zoom; 0 fits the map")
        self.setBackgroundBrush(theme.colour("canvas"))
        self.nodes: dict[str, NodeItem] = {}
        self.current: str | None = None

    def visible_nodes(self) -> list[NodeItem]:
        return [n for n in self.nodes.values() if n.isVisible()]

    def choose(self, node_id: str | None) -> None:
        before = self.nodes.get(self.current) if self.current else None
        if before is not None:
            before.mark(False)
        self.current = node_id
        item = self.nodes.get(node_id) if node_id else None
        if item is not None:
            item.mark(True)
            self.ensureVisible(item, 40, 40)
            self.setAccessibleDescription(item.toolTip())

    def fit(self) -> None:
        rect = self.scene().itemsBoundingRect().adjusted(-30, -30, 30, 30)
        if rect.isValid():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if 0.05 < scale < 20:
            self.scale(factor, factor)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt's name
        item = self.itemAt(event.position().toPoint())
        while item is not None and not isinstance(item, NodeItem):
            item = item.parentItem()
        if isinstance(item, NodeItem):
            self.choose(item.node.id)
            self.activated.emit(item.node.id)
        else:
            super().mouseDoubleClickEvent(event)

    def focusNextPrevChild(self, forward: bool) -> bool:  # noqa: N802 - Qt's name
        return False if not self.visible_nodes() else self._step(1 if forward else -1)

    def _step(self, offset: int) -> bool:
        nodes = sorted(self.visible_nodes(), key=lambda n: (n.pos().y(), n.pos().x()))
        ids = [n.node.id for n in nodes]
        if self.current not in ids:
            self.choose(ids[0])
            return True
        index = ids.index(self.current) + offset
        if not 0 <= index < len(ids):
            return False  # Tab leaves the map after the last node
        self.choose(ids[index])
        return True

    def move(self, dx: int, dy: int) -> None:
        nodes = self.visible_nodes()
        if not nodes:
            return
        if self.current not in self.nodes or not self.nodes[self.current].isVisible():
            self.choose(min(nodes, key=lambda n: (n.pos().y(), n.pos().x())).node.id)
            return
        here = self.nodes[self.current].pos()
        best, best_score = None, math.inf
        for item in nodes:
            if item.node.id == self.current:
                continue
            vx, vy = item.pos().x() - here.x(), item.pos().y() - here.y()
            along = vx * dx + vy * dy
            if along <= 0:
                continue
            across = abs(vx * dy - vy * dx)
            score = along + 2 * across
            if score < best_score:
                best, best_score = item, score
        if best is not None:
            self.choose(best.node.id)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        steps = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        if key in steps:
            self.move(*steps[key])
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.current:
            self.activated.emit(self.current)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1.25)
        elif key == Qt.Key.Key_Minus:
            self.zoom(0.8)
        elif key == Qt.Key.Key_0:
            self.fit()
        else:
            super().keyPressEvent(event)


class LinkModel(QtCore.QAbstractTableModel):
    """The links shown, as plain text cells (never rich text)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.links: list[lk.Link] = []
        self.rows: list[tuple[str, ...]] = []

    def set_links(self, links) -> None:
        self.beginResetModel()
        self.links = list(links)
        names = load_agreement().partner_name
        self.rows = [(link.from_name or "", link.kind_label, link.to_name or "", link.dates,
                      lk.CONFIDENCE.get(link.confidence, link.confidence), link.source_label or "",
                      names(link.originator)) for link in self.links]
        self.endResetModel()

    def rowCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QtCore.QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(LINK_COLUMNS)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole) and index.isValid():
            return self.rows[index.row()][index.column()]
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt's name
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return LINK_COLUMNS[section]
        return None


class RelationshipMap(QtWidgets.QWidget):
    """Filters, the graph with its legend, and the table of links. `show_graph(graph)` lays it out
    in the background; `subject_activated(id)` asks for a subject's page."""

    subject_activated = Signal(str)
    laid_out = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.graph: lk.MapGraph | None = None
        self.positions: dict = {}
        self.edges: list[tuple[lk.Link, QtWidgets.QGraphicsLineItem]] = []
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        filters = QtWidgets.QHBoxLayout()
        self.kinds_button = QtWidgets.QToolButton()
        self.kinds_button.setText("Link &kinds")
        self.kinds_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.kinds_button.setAccessibleName("Show link kinds")
        menu = QtWidgets.QMenu(self.kinds_button)
        self.kind_actions: dict[str, QtGui.QAction] = {}
        for kind in lk.LINK_COLOURS:
            action = menu.addAction(QtGui.QIcon(line_icon(_link_colour(kind), None)), lk.kind_label(kind))
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda _on: self.apply_filters())
            self.kind_actions[kind] = action
        self.kinds_button.setMenu(menu)
        filters.addWidget(self.kinds_button)
        self.source = QtWidgets.QComboBox()
        self.source.setAccessibleName("Links from")
        self.source.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source.setMinimumContentsLength(14)
        source_label = QtWidgets.QLabel("&From")
        source_label.setBuddy(self.source)
        self.source.currentIndexChanged.connect(lambda _i: self.apply_filters())
        filters.addWidget(source_label)
        filters.addWidget(self.source)
        self.since = QtWidgets.QLineEdit()
        self.until = QtWidgets.QLineEdit()
        for box, text, name in ((self.since, "In force &after", "In force after (day/month/year)"),
                                (self.until, "and &before", "In force before (day/month/year)")):
            box.setPlaceholderText("dd/mm/yyyy")
            box.setMaximumWidth(110)
            box.setAccessibleName(name)
            box.editingFinished.connect(self.apply_filters)
            label = QtWidgets.QLabel(text)
            label.setBuddy(box)
            filters.addWidget(label)
            filters.addWidget(box)
        filters.addStretch(1)
        for text, name, call in (("+", "Zoom in", lambda: self.view.zoom(1.25)),
                                 ("−", "Zoom out", lambda: self.view.zoom(0.8)), ("Fit", "Fit the map", None)):
            button = QtWidgets.QToolButton()
            button.setText(text)
            button.setAccessibleName(name)
            button.setToolTip(name)
            button.clicked.connect(call or (lambda: self.view.fit()))
            filters.addWidget(button)
        outer.addLayout(filters)
        self.status = plain_label("")
        self.status.setAccessibleName("Map status")
        outer.addWidget(self.status)
        split = QtWidgets.QSplitter(Qt.Orientation.Horizontal)
        left = QtWidgets.QWidget()
        lv = QtWidgets.QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.view = MapView()
        # A vehicle is not a subject: it has no page to open.
        self.view.activated.connect(lambda node: None if node.startswith("vehicle:") else self.subject_activated.emit(node))
        self.view.setMinimumSize(320, 220)
        theme.watcher().changed.connect(self._recolour)   # a theme switched while the map is open
        lv.addWidget(self.view, 1)
        self.legend = self._legend()
        lv.addWidget(self.legend)
        split.addWidget(left)
        # A model, not a QTableWidget: one object for thousands of rows, no item per cell.
        self.model = LinkModel(self)
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Links on the map")
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(lambda _now, _before: self._row_chosen())
        self.table.activated.connect(lambda _index: self._open_row())
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])
        outer.addWidget(split, 1)

    def _legend(self) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget()
        grid = QtWidgets.QGridLayout(box)
        grid.setContentsMargins(0, 2, 0, 2)
        grid.setHorizontalSpacing(10)
        column = 0
        for kind, name in lk.NODE_KINDS.items():
            icon = QtWidgets.QLabel()
            icon.setPixmap(legend_icon(kind))
            grid.addWidget(icon, 0, column)
            grid.addWidget(plain_label(name, wrap=False), 0, column + 1)
            column += 2
        for n, kind in enumerate(lk.LINK_COLOURS):
            icon = QtWidgets.QLabel()
            icon.setPixmap(line_icon(_link_colour(kind), None))
            row, col = 1 + n // 4, (n % 4) * 2
            grid.addWidget(icon, row, col)
            grid.addWidget(plain_label(lk.kind_label(kind), wrap=False), row, col + 1)
        for n, (confidence, dash) in enumerate(lk.CONFIDENCE_DASH.items()):
            icon = QtWidgets.QLabel()
            icon.setPixmap(line_icon(_ink(), dash))
            grid.addWidget(icon, 3, n * 2)
            grid.addWidget(plain_label(lk.CONFIDENCE[confidence], wrap=False), 3, n * 2 + 1)
        grid.addWidget(plain_label("Bold outline: a subject of the record", wrap=False), 3, 6, 1, 3)
        grid.setColumnStretch(8, 1)
        box.setAccessibleName("Key to the map")
        return box

    # ---- loading ---------------------------------------------------------------------------

    def show_graph(self, graph: lk.MapGraph) -> None:
        """Lay the graph out off the GUI thread, then draw it."""
        self.graph = graph
        self.status.setText("Laying out the map…")
        run_in_background(lambda: lk.layout(graph), lambda pos: self._laid_out(graph, pos),
                          lambda exc: self.status.setText("The map could not be laid out."))

    def _laid_out(self, graph: lk.MapGraph, positions: dict) -> None:
        if graph is not self.graph:
            return  # a newer map was asked for meanwhile
        self.draw(graph, positions)

    def _recolour(self) -> None:
        self.view.setBackgroundBrush(theme.colour("canvas"))
        legend = self._legend()           # its swatches are pictures: draw them again
        self.legend.parentWidget().layout().replaceWidget(self.legend, legend)
        self.legend.deleteLater()
        self.legend = legend
        for kind, action in self.kind_actions.items():
            action.setIcon(QtGui.QIcon(line_icon(_link_colour(kind), None)))
        if self.graph is not None and self.positions:
            chosen, source = self.view.current, self.source.currentIndex()
            self._draw(self.graph, self.positions)
            if 0 <= source < self.source.count():
                self.source.setCurrentIndex(source)
            if chosen in self.view.nodes:
                self.view.choose(chosen)

    def draw(self, graph: lk.MapGraph, positions: dict) -> None:
        self._draw(graph, positions)  # None's references: see ui.qt (IMMORTAL_RESERVE)
        self.laid_out.emit()

    def _draw(self, graph: lk.MapGraph, positions: dict) -> None:
        self.graph, self.positions = graph, positions
        scene = self.view.scene()
        scene.clear()
        self.view.nodes, self.edges, self.view.current = {}, [], None
        count = len(graph.nodes)
        radius = 10 if count <= 60 else 6 if count <= 200 else 4
        labels = count <= 150
        for link in graph.links:
            a, b = positions.get(link.from_subject), positions.get(link.target)
            if a is None or b is None:
                continue
            pen = QtGui.QPen(_link_colour(link.kind), 2 if count <= 200 else 0.8)
            dash = lk.CONFIDENCE_DASH.get(link.confidence)
            if dash:
                pen.setDashPattern([d / 1.5 for d in dash])
            line = scene.addLine(a[0] * SCALE, a[1] * SCALE, b[0] * SCALE, b[1] * SCALE, pen)
            line.setToolTip(f"{link.from_name} — {link.kind_label} — {link.to_name} ({link.source_label})")
            self.edges.append((link, line))
        for node in graph.nodes.values():
            item = NodeItem(node, radius, labels)
            x, y = positions.get(node.id, (0.0, 0.0))
            item.setPos(x * SCALE, y * SCALE)
            scene.addItem(item)
            self.view.nodes[node.id] = item
        self.source.blockSignals(True)
        self.source.clear()
        self.source.addItem("All partners", "")
        for code in sorted(graph.originators):
            self.source.addItem(load_agreement().partner_name(code), code)
        self.source.blockSignals(False)
        self.apply_filters()
        self.view.fit()

    # ---- filters and the table ------------------------------------------------------------

    def _date(self, box: QtWidgets.QLineEdit) -> str | None:
        try:
            day = parse_date(box.text().strip())
        except (ValueError, TypeError):
            theme.style(box, "border: 2px solid {danger};")
            return None
        theme.style(box, "")
        return day.isoformat() if day else None

    def apply_filters(self) -> None:
        if self.graph is None:
            return
        self._apply_filters()

    def _apply_filters(self) -> None:
        kinds = [k for k, a in self.kind_actions.items() if a.isChecked()]
        source = self.source.currentData()
        shown = self.graph.filtered(kinds=kinds, since=self._date(self.since), until=self._date(self.until),
                                    sources=[source] if source else None)
        visible = {link.id for link in shown.links}
        for link, line in self.edges:
            line.setVisible(link.id in visible)
        for node_id, item in self.view.nodes.items():
            item.setVisible(node_id in shown.nodes)
        self.shown = shown
        self.model.set_links(shown.links)
        if len(shown.links) <= 300:
            self.table.resizeColumnsToContents()
        self.status.setText(f"{len(shown.nodes)} on the map, {plural(len(shown.links), 'link')} shown"
                            + (f" of {len(self.graph.links)}" if len(shown.links) != len(self.graph.links) else "")
                            + ". Double-click a node, or choose it with the arrow keys and press Enter, to open its "
                              "page.")

    def link_count(self) -> int:
        return self.model.rowCount()

    def _row_link(self) -> lk.Link | None:
        row = self.table.currentIndex().row()
        return self.model.links[row] if 0 <= row < len(self.model.links) else None

    def _row_chosen(self) -> None:
        link = self._row_link()
        if link is not None:
            self.view.choose(link.from_subject)

    def _open_row(self) -> None:
        link = self._row_link()
        if link is not None:
            self.subject_activated.emit(link.from_subject)


class MapWindow(QtWidgets.QDialog):
    """The relationship map of one case, request or subject in its own window, beside the screen it
    was opened from (non-modal: the request stays readable). The graph is read through
    `app.links.map_graph` (a view, audited there); a node asks for its subject's page with
    `subject_activated`, and Print makes the marked PDF of the same map."""

    subject_activated = Signal(str)

    def __init__(self, session, scope: str, ref: str, reference: str, parent=None):
        super().__init__(parent)
        from ui.kit.dialogs import error_text
        from ui.kit.preview import show_report

        self.session, self.scope, self.ref, self.reference = session, scope, ref, reference
        self.setWindowTitle(f"Relationship map of {reference}")
        self.setModal(False)
        self.resize(1000, 680)
        layout = QtWidgets.QVBoxLayout(self)
        row = QtWidgets.QHBoxLayout()
        self.heading = plain_label(f"People, locations, businesses and vehicles named on {reference}, and the links "
                                   "between them (4.3(4)).")
        row.addWidget(self.heading, 1)
        self.print_button = QtWidgets.QPushButton("&Print map…")
        self.print_button.clicked.connect(lambda: setattr(self, "preview", show_report(
            self, session, "relationship-map", reference)))
        row.addWidget(self.print_button)
        self.close_button = QtWidgets.QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        self.map = RelationshipMap()
        self.map.subject_activated.connect(self.subject_activated.emit)
        layout.addWidget(self.map, 1)
        try:
            self.map.show_graph(lk.map_graph(session.vault, scope, ref))
        except SpocError as exc:  # a refusal is shown in the window
            self.map.status.setText(error_text(exc, "The map could not be read."))
