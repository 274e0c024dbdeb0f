"""The revision history as a picture: text lanes, Mermaid or Graphviz (graph, findings -> str)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from alembic_lint.diagnostics import Diagnostic
from alembic_lint.graph import RefKind, RevisionGraph
from alembic_lint.printable import printable

#: A migration's index in the history, or (a str) the id of a parent that names nothing.
Key = int | str


@dataclass
class _Facts:
    """What every format draws, computed once from the graph."""

    graph: RevisionGraph
    keys: list[Key]  # load order, then missing parents in order of first mention
    parents: dict[Key, list[Key]] = field(default_factory=dict)  # down_revision, in order
    depends: dict[Key, list[Key]] = field(default_factory=dict)
    codes: dict[int, list[str]] = field(default_factory=dict)  # findings on each revision

    def flags(self, key: Key) -> list[str]:
        if isinstance(key, str):
            return ["missing"]
        graph = self.graph
        found = []
        if key in graph.heads:
            found.append("head")
        if key in graph.branch_points:
            found.append("branchpoint")
        if key in graph.merge_points:
            found.append("mergepoint")
        if key in graph.bases:
            found.append("base")
        return found

    def title(self, key: Key) -> str:
        """Id and flags, as ``alembic history`` marks them."""
        rid = key if isinstance(key, str) else self.graph.id_of(key)
        return " ".join([printable(rid), *(f"({f})" for f in self.flags(key))])


def _facts(graph: RevisionGraph, findings: Iterable[Diagnostic]) -> _Facts:
    nodes: list[int] = sorted(graph.dag.nodes)
    facts = _Facts(graph, list(nodes))
    ranked: dict[Key, list[tuple[int, Key]]] = {n: [] for n in nodes}
    depends: dict[Key, list[Key]] = {n: [] for n in nodes}
    for parent, child, data in graph.dag.edges(data=True):
        if data.get("down"):
            ranked[child].append((_rank(graph, child, parent), parent))
        if data.get("depends") and not data.get("down"):
            depends[child].append(parent)
    missing: dict[str, None] = {}
    for ref in graph.bad_refs:
        value = ref.element.value
        if ref.kind is not RefKind.MISSING or not isinstance(value, str) or ref.node not in ranked:
            continue
        missing[value] = None
        if ref.attribute == "down_revision":
            elements = graph.migrations[ref.node].down_revision.elements
            rank = next((i for i, e in enumerate(elements) if e is ref.element), len(elements))
            ranked[ref.node].append((rank, value))
        else:
            depends[ref.node].append(value)
    facts.keys.extend(missing)
    for key in facts.keys:
        facts.parents[key] = list(dict.fromkeys(p for _, p in sorted(ranked.get(key, []))))
        facts.depends[key] = list(dict.fromkeys(depends.get(key, [])))
    by_path = {m.path: n for n, m in enumerate(graph.migrations) if n in ranked}
    for diagnostic in sorted(findings):
        node = by_path.get(diagnostic.location.path)
        if node is not None and diagnostic.code not in facts.codes.setdefault(node, []):
            facts.codes[node].append(diagnostic.code)
    return facts


def _rank(graph: RevisionGraph, child: int, parent: int) -> int:
    """The position of ``parent`` in the child's ``down_revision`` (a label counts too)."""
    names = {graph.id_of(parent), *(str(v) for v in graph.migrations[parent].label_ids)}
    elements = graph.migrations[child].down_revision.elements
    return next((i for i, e in enumerate(elements) if e.value in names), len(elements))


def _newest_first(facts: _Facts) -> list[Key]:
    """Children before parents; a branch is drawn to its end before the next one starts."""
    children: dict[Key, set[Key]] = {k: set() for k in facts.keys}
    for child, parents in facts.parents.items():
        for parent in parents:
            children[parent].add(child)
    pending = {k: len(c) for k, c in children.items()}
    stack = [k for k in reversed(facts.keys) if not pending[k]]
    order: list[Key] = []
    done: set[Key] = set()
    while len(order) < len(facts.keys):
        if not stack:  # a cycle: break it at its first-loaded revision
            stack.append(next(k for k in facts.keys if k not in done))
        key = stack.pop()
        if key in done:
            continue
        done.add(key)
        order.append(key)
        for parent in reversed(facts.parents[key]):
            pending[parent] -= 1
            if pending[parent] == 0 and parent not in done:
                stack.append(parent)
    return order


def _lanes(cells: list[str]) -> str:
    return "".join(cells).rstrip()


def render_text(graph: RevisionGraph, findings: Iterable[Diagnostic] = ()) -> str:
    """Heads at the top, one line per revision, lanes like ``git log --graph``."""
    facts = _facts(graph, findings)
    lanes: list[Key | None] = []  # the revision each column waits for
    freed: set[int] = set()  # columns whose line ended on the row just drawn
    rows: list[str] = []
    drawn: set[Key] = set()
    for key in _newest_first(facts):
        columns = [i for i, k in enumerate(lanes) if k == key]
        if columns:
            here = columns[0]
            if len(columns) > 1:  # several children: their lines join here
                rows.append(_join_row(lanes, here, columns[1:]))
                for i in columns[1:]:
                    lanes[i] = None
        else:
            here = len(lanes)  # lanes are kept compact: a new head opens a column on the right
            if here in freed:  # right under a line that just ended: keep them apart
                rows.append(_lanes([" " if k is None else "| " for k in lanes]))
            lanes.append(key)
        drawn.add(key)
        cells = [" " if k is None else "|" for k in lanes]
        cells[here] = "?" if isinstance(key, str) else "*"
        rows.append(f"{_lanes([c + ' ' for c in cells])} {_describe(facts, key)}")
        parents = [p for p in facts.parents[key] if p not in drawn]
        freed = set()
        if not parents:
            lanes[here] = None
            freed.add(here)
        else:
            lanes[here] = parents[0]
            for parent in reversed(parents[1:]):
                rows.append(_fork_row(lanes, here))
                if here + 1 < len(lanes) and lanes[here + 1] is None:
                    lanes[here + 1] = parent
                else:
                    lanes.insert(here + 1, parent)
        while lanes and lanes[-1] is None:
            lanes.pop()
        while None in lanes:  # close the gap a finished line left: ``| / /``
            gap = lanes.index(None)
            rows.append(_shift_row(lanes, gap))
            del lanes[gap]
            freed = set()
    return "".join(row.rstrip() + "\n" for row in rows)


def _join_row(lanes: list[Key | None], here: int, joining: list[int]) -> str:
    """Lines at ``joining`` (right of ``here``) run left into column ``here``: ``|_|/``."""
    cells = [" "] * (2 * len(lanes))
    for i, k in enumerate(lanes):
        if k is not None and i not in joining:
            cells[2 * i] = "|"
    for i in joining:
        cells[2 * i - 1] = "/"
        for col in range(2 * here + 1, 2 * i - 1):
            if cells[col] == " ":
                cells[col] = "_"
    return _lanes(cells)


def _shift_row(lanes: list[Key | None], gap: int) -> str:
    """Every line right of the empty column ``gap`` steps one column left."""
    cells = [" "] * (2 * len(lanes))
    for i, k in enumerate(lanes):
        if k is not None:
            cells[2 * i - 1 if i > gap else 2 * i] = "/" if i > gap else "|"
    return _lanes(cells)


def _fork_row(lanes: list[Key | None], here: int) -> str:
    """A new line leaves column ``here`` to the right; lines beyond it step aside: ``|\\ \\``."""
    cells = [" "] * (2 * len(lanes) + 2)
    shift = not (here + 1 < len(lanes) and lanes[here + 1] is None)
    for i, k in enumerate(lanes):
        if i < here and k is not None:
            cells[2 * i] = "|"
        elif i == here:
            cells[2 * i] = "|"
            cells[2 * i + 1] = "\\"
        elif k is not None:
            if shift:
                cells[2 * i + 1] = "\\"
            else:
                cells[2 * i] = "|"
    return _lanes(cells)


def _describe(facts: _Facts, key: Key) -> str:
    parts = [facts.title(key)]
    if isinstance(key, int):
        migration = facts.graph.migrations[key]
        if migration.message:
            parts.append(printable(migration.message))
        parts.append(f"[{printable(migration.filename)}]")
        if facts.depends[key]:
            parts.append("depends on " + ", ".join(_name(facts, d) for d in facts.depends[key]))
        if facts.codes.get(key):
            parts.append("! " + " ".join(facts.codes[key]))
    return " ".join(parts)


def _name(facts: _Facts, key: Key) -> str:
    return printable(f"{key} (missing)" if isinstance(key, str) else facts.graph.id_of(key))


# --------------------------------------------------------------------------- Mermaid


def render_mermaid(graph: RevisionGraph, findings: Iterable[Diagnostic] = ()) -> str:
    """A ``flowchart BT`` block: ``-->`` for down_revision, ``-.->`` for depends_on."""
    facts = _facts(graph, findings)
    ids = _node_ids(facts)
    lines = ["flowchart BT"]
    for key in facts.keys:
        label = _mermaid_escape(facts.title(key))
        if isinstance(key, int):
            migration = graph.migrations[key]
            if migration.message:
                label += "<br/>" + _mermaid_escape(printable(migration.message))
            if facts.codes.get(key):
                label += "<br/>" + _mermaid_escape("! " + " ".join(facts.codes[key]))
        lines.append(f'    {ids[key]}["{label}"]')
    for key in facts.keys:
        lines.extend(f"    {ids[p]} --> {ids[key]}" for p in facts.parents[key])
        lines.extend(f"    {ids[d]} -.-> {ids[key]}" for d in facts.depends[key])
    lines.append("    classDef finding stroke:#d00,stroke-width:3px,color:#d00")
    lines.append("    classDef missing stroke-dasharray:5 5,color:#888")
    marked = [ids[k] for k in facts.keys if isinstance(k, int) and facts.codes.get(k)]
    missing = [ids[k] for k in facts.keys if isinstance(k, str)]
    if marked:
        lines.append(f"    class {','.join(marked)} finding")
    if missing:
        lines.append(f"    class {','.join(missing)} missing")
    return "\n".join(lines) + "\n"


def _node_ids(facts: _Facts) -> dict[Key, str]:
    """Safe node names: revision ids may hold characters neither format accepts bare."""
    names: dict[Key, str] = {}
    for key in facts.keys:
        names[key] = f"m{len(names)}" if isinstance(key, str) else f"r{key}"
    return names


def _mermaid_escape(text: str) -> str:
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text


# --------------------------------------------------------------------------- Graphviz


def render_dot(graph: RevisionGraph, findings: Iterable[Diagnostic] = ()) -> str:
    """A Graphviz digraph: solid edges for down_revision, dashed for depends_on."""
    facts = _facts(graph, findings)
    ids = _node_ids(facts)
    lines = [
        "digraph alembic_history {",
        "    rankdir=BT;",
        '    node [shape=box, fontname="monospace"];',
    ]
    for key in facts.keys:
        label = [facts.title(key)]
        attributes = ""
        if isinstance(key, str):
            attributes = ", style=dashed, color=gray50, fontcolor=gray50"
        else:
            migration = graph.migrations[key]
            label += [printable(migration.message)] if migration.message else []
            label.append(printable(os.path.basename(migration.filename)))
            if facts.codes.get(key):
                label.append("! " + " ".join(facts.codes[key]))
                attributes = ", color=red, fontcolor=red, penwidth=2"
        text = "\\n".join(_dot_escape(part) for part in label)
        lines.append(f'    {ids[key]} [label="{text}"{attributes}];')
    for key in facts.keys:
        lines.extend(f"    {ids[p]} -> {ids[key]};" for p in facts.parents[key])
        lines.extend(f"    {ids[d]} -> {ids[key]} [style=dashed];" for d in facts.depends[key])
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


RENDERERS = {"text": render_text, "mermaid": render_mermaid, "dot": render_dot}
