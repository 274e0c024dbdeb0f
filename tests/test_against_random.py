"""Random two-branch scenarios: a base history, then each side adds, deletes, edits,
re-points and renames migrations (the branch partly uncommitted); the prediction must
agree with a real `git merge` and with Alembic on its result (against_support.compare)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from against_support import VERSIONS, compare
from alembic_lint.rules.examples import m
from git_support import two_branches

IDS = ("a1a1a1a1a1a1", "b2b2b2b2b2b2", "c3c3c3c3c3c3", "d4d4d4d4d4d4", "e5e5e5e5e5e5")
NEW_IDS = ("f6f6f6f6f6f6", "a7a7a7a7a7a7", "b8b8b8b8b8b8", "c3c3c3c3c3c3")  # one collides
BODIES = ("pass", "op.create_table('one')", "op.create_table('two')")


@dataclass(frozen=True)
class Spec:
    """One migration file, as fields (its source is rendered from them)."""

    name: str
    revision: str
    down: object
    upgrade: str = "pass"
    downgrade: str = "pass"

    def source(self) -> str:
        return m(self.revision, self.down, upgrade=self.upgrade, downgrade=self.downgrade).source


def render(files: dict[str, Spec]) -> dict[str, str]:
    return {f"{VERSIONS}/{name}": spec.source() for name, spec in files.items()}


def changes(base: dict[str, Spec], after: dict[str, Spec]) -> dict[str, str | None]:
    old, new = render(base), render(after)
    delta: dict[str, str | None] = {p: s for p, s in new.items() if old.get(p) != s}
    delta.update((p, None) for p in old if p not in new)
    return delta


@st.composite
def side(draw: st.DrawFn, base: dict[str, Spec], tag: str) -> dict[str, Spec]:
    files = dict(base)
    for _ in range(draw(st.integers(0, 3))):
        names = sorted(files)
        ids = sorted({s.revision for s in files.values()})
        kind = draw(
            st.sampled_from(("add", "add", "delete", "up", "down", "repoint", "rename", "move"))
        )
        if kind == "add" or not names:
            rid = draw(st.sampled_from(NEW_IDS))
            parent: object = draw(st.sampled_from([None, *ids])) if ids else None
            if len(ids) > 1 and draw(st.booleans()):
                parent = tuple(
                    draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
                )
            files[f"{rid}_{tag}_{len(files)}.py"] = Spec(f"{rid}_{tag}", rid, parent)
            continue
        name = draw(st.sampled_from(names))
        spec = files[name]
        if kind == "delete":
            del files[name]
        elif kind == "up":
            files[name] = replace(spec, upgrade=draw(st.sampled_from(BODIES)))
        elif kind == "down":
            files[name] = replace(spec, downgrade=draw(st.sampled_from(BODIES)))
        elif kind == "repoint":
            files[name] = replace(spec, down=draw(st.sampled_from([None, *ids])))
        else:  # rename: as is ("rename"), or edited too ("move")
            del files[name]
            if kind == "move":
                spec = replace(spec, upgrade="op.create_table('moved')")
            files[f"{spec.revision}_moved_{tag}.py"] = spec
    return files


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Spec], dict[str, Spec], dict[str, Spec], float]:
    count = draw(st.integers(1, len(IDS)))
    base = {}
    for index, rid in enumerate(IDS[:count]):
        down = IDS[index - 1] if index else None
        base[f"{rid}_base.py"] = Spec(f"{rid}_base", rid, down)
    target = draw(side(base, "main"))
    branch = draw(side(base, "feature"))
    committed = draw(st.floats(0, 1))
    return base, target, branch, committed


@settings(
    # More for a deep run: ALEMBIC_LINT_RANDOM_EXAMPLES=500 python -m pytest this file.
    max_examples=int(os.environ.get("ALEMBIC_LINT_RANDOM_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenarios())
def test_prediction_agrees_with_git_and_alembic(
    tmp_path_factory: object,
    scenario: tuple[dict[str, Spec], dict[str, Spec], dict[str, Spec], float],
) -> None:
    base, target, branch, committed = scenario
    delta = changes(base, branch)
    # Part of the branch's work is committed, the rest left in the work tree.
    cut = round(len(delta) * committed)
    paths = sorted(delta)
    in_commit = {p: delta[p] for p in paths[:cut]}
    in_work = {p: delta[p] for p in paths[cut:]}
    note(f"base={sorted(render(base))}\ntarget={changes(base, target)}")
    note(f"commit={in_commit}\nwork={in_work}")
    repo = two_branches(
        Path(tmp_path_factory.mktemp("repo")),  # type: ignore[attr-defined]
        {
            **render(base),
            # A configured versions directory may end up empty (a plain PATH may not).
            "alembic.ini": "[alembic]\nscript_location = db\n",
            f"{VERSIONS}/README": "kept: git keeps no empty directory\n",
        },
        changes(base, target),
        in_commit,
        work=in_work,
    )
    compare(repo, path="alembic.ini")
