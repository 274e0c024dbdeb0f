"""Graph findings are held back only for what an unknown value could change.

Unknown values are what only running a file would tell (an imported constant, a file that
does not parse): a `down_revision` may then name any revision but the file's own
descendants, a `revision` id may be any missing parent. A reference that names nothing
(`""`, a deleted revision) is no unknown: it takes no head away, it only may be corrected.
"""

from __future__ import annotations

from pathlib import Path

from alembic_lint import engine
from alembic_lint.diagnostics import Diagnostic

A, B, C, D, E = "aaaa1111", "bbbb2222", "cccc3333", "dddd4444", "eeee5555"


def lint(versions: Path, files: dict[str, str]) -> list[Diagnostic]:
    versions.mkdir(exist_ok=True)
    for name, text in files.items():
        (versions / name).write_text(text, encoding="utf-8")
    paths = sorted(versions.iterdir())
    return engine.check_history(engine.load_history(str(versions), paths), engine.default_rules())


def rev(revision: str, down: str | None, extra: str = "") -> str:
    return f"{extra}revision = {revision!r}\ndown_revision = {down!r}\n"


def heads_reported(found: list[Diagnostic]) -> set[str | None]:
    return {d.revision for d in found if d.code == "AL001"}


def test_an_unknown_parent_holds_back_only_the_heads_it_could_name(tmp_path: Path) -> None:
    """`down_revision` imported from elsewhere may name any revision but its own
    descendants: the heads above it are certain, a head beside it is not."""
    unknown = f"from constants import PARENT\nrevision = {B!r}\ndown_revision = PARENT\n"
    files = {"a.py": rev(A, None), "b.py": unknown, "c.py": rev(C, B), "d.py": rev(D, B)}
    found = lint(tmp_path / "v", files)
    assert heads_reported(found) == {C, D}
    assert any(d.code == "AL101" for d in found)
    # A third head, on aaaa1111: bbbb2222's unknown parent may be it, so it is not counted.
    found = lint(tmp_path / "v", {"e.py": rev(E, A)})
    assert heads_reported(found) == {C, D}
    assert all(d.message.startswith("2 heads on one branch") for d in found if d.code == "AL001")


def test_an_unknown_parent_may_merge_every_head_beside_it(tmp_path: Path) -> None:
    """An imported `down_revision` may be a tuple: a merge of all the other heads."""
    unknown = f"from constants import HEADS\nrevision = {D!r}\ndown_revision = HEADS\n"
    files = {"a.py": rev(A, None), "b.py": rev(B, A), "c.py": rev(C, A), "d.py": unknown}
    assert heads_reported(lint(tmp_path / "v", files)) == set()


def test_a_file_of_unknown_id_naming_a_head_is_its_child(tmp_path: Path) -> None:
    unknown = f"from ids import NEXT\nrevision = NEXT\ndown_revision = {B!r}\n"
    files = {"a.py": rev(A, None), "b.py": rev(B, A), "c.py": rev(C, A), "x.py": unknown}
    assert heads_reported(lint(tmp_path / "v", files)) == set()
    # Naming a revision that is no head, it takes no head away.
    files["x.py"] = f"from ids import NEXT\nrevision = NEXT\ndown_revision = {A!r}\n"
    assert heads_reported(lint(tmp_path / "v", files)) == {B, C}


def test_an_unknown_label_below_both_heads_keeps_them_on_one_branch(tmp_path: Path) -> None:
    """Whatever label the imported parent's ancestors carry, both heads inherit it."""
    unknown = f"from constants import PARENT\nrevision = {B!r}\ndown_revision = PARENT\n"
    labelled = rev(A, None, extra="") + "branch_labels = ('core',)\n"
    files = {"a.py": labelled, "b.py": unknown, "c.py": rev(C, B), "d.py": rev(D, B)}
    assert heads_reported(lint(tmp_path / "v", files)) == {C, D}


def test_a_helper_module_holds_nothing_back(tmp_path: Path) -> None:
    """A module with neither `revision` nor `down_revision` (Alembic refuses it: AL101) is
    no revision: it cannot be a missing parent, nor name a head."""
    files = {
        "a.py": rev(A, None),
        "b.py": rev(B, A),
        "c.py": rev(C, A),
        "d.py": rev(D, "deadbeef0000"),
        "helpers.py": "def table_exists(name):\n    return True\n",
    }
    found = lint(tmp_path / "v", files)
    assert {(d.code, Path(d.location.path).name) for d in found if d.code != "AL001"} == {
        ("AL002", "d.py"),
        ("AL101", "helpers.py"),
    }
    assert heads_reported(found) == {B, C, D}


def test_a_file_of_unknown_id_holds_back_missing_parents(tmp_path: Path) -> None:
    """Its id may be the missing one."""
    files = {
        "a.py": rev(A, None),
        "b.py": rev(B, "deadbeef0000"),
        "x.py": "from ids import NEXT\nrevision = NEXT\ndown_revision = None\n",
    }
    assert {d.code for d in lint(tmp_path / "v", files)} == {"AL101"}


def test_an_unknown_branch_label_holds_back_a_missing_dependency(tmp_path: Path) -> None:
    """`depends_on` may name a label, and an imported label may be the one named."""
    files = {
        "a.py": rev(A, None) + "from names import CORE\nbranch_labels = (CORE,)\n",
        "b.py": rev(B, A) + "depends_on = 'core'\n",
    }
    assert {d.code for d in lint(tmp_path / "v", files)} == set()
    files["a.py"] = rev(A, None) + "branch_labels = ('kernel',)\n"
    assert {d.code for d in lint(tmp_path / "v", files)} == {"AL006"}
