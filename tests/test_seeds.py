"""Seed scenarios and the README demo: realistic versions directories with `# expect:` markers.

Each directory under ``fixtures/seeds/`` re-creates one incident from the seed accounts (two
heads on one parent, a parent that never existed, a pasted filename, a deleted merge parent,
a non-idempotent drop, empty downgrades) or its healthy resolution. The markers on the flagged
lines are the assertions; Alembic itself is run on the same files to prove they are realistic.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from alembic_lint import engine
from alembic_lint.rules.examples import Example, File, expected
from conftest import triples

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SEEDS = FIXTURES / "seeds"
DEMO = FIXTURES / "demo"
DEMO_VERSIONS = DEMO / "migrations" / "versions"

VERSION_DIRS = [*sorted(SEEDS.glob("*/versions")), DEMO_VERSIONS]

#: Scenarios whose revision graph is sound: Alembic loads them with exactly one head.
ONE_HEAD = {
    "healthy_merge",
    "flask_migrate_merge",
    "drop_index_not_idempotent",
    "drop_index_not_idempotent_fixed",
    "empty_downgrades",
}
#: Scenarios whose revision graph is broken: Alembic raises or reports several heads.
BROKEN_GRAPH = {
    "two_heads_same_parent",
    "empty_string_base_fork",
    "three_heads_deleted_parent",
    "parent_never_existed",
    "filename_as_parent",
    "merge_parent_deleted",
    "demo",
}
#: Scenarios that must produce no finding at all.
CLEAN = {"healthy_merge", "flask_migrate_merge", "drop_index_not_idempotent_fixed"}

CLI_LINE = re.compile(r"^fixtures/demo/migrations/versions/[^:]+:\d+:\d+: AL\d{3} .+$")
SUMMARY = re.compile(r"^Found (\d+) problems? in (\d+) migrations?\.$")

OFFLINE_ENV = """\
from alembic import context

context.configure(
    url=context.config.get_main_option("sqlalchemy.url"),
    literal_binds=True,
    dialect_opts={"paramstyle": "named"},
)
with context.begin_transaction():
    context.run_migrations()
"""


def scenario(versions: Path) -> str:
    return "demo" if versions == DEMO_VERSIONS else versions.parent.name


def files_of(versions: Path) -> list[Path]:
    return sorted(p for p in versions.iterdir() if p.suffix == ".py")


def markers(versions: Path) -> set[tuple[str, int, str]]:
    example = Example(
        tuple(File(p.name, p.read_text(encoding="utf-8")) for p in files_of(versions))
    )
    return expected(example)


def lint(versions: Path) -> set[tuple[str, int, str]]:
    history = engine.load_history(str(versions), files_of(versions))
    return triples(engine.check_history(history, engine.default_rules()))


def version_dir(name: str) -> Path:
    return DEMO_VERSIONS if name == "demo" else SEEDS / name / "versions"


def test_every_scenario_is_classified() -> None:
    names = {scenario(v) for v in VERSION_DIRS}
    assert names == ONE_HEAD | BROKEN_GRAPH
    assert not ONE_HEAD & BROKEN_GRAPH
    assert CLEAN <= ONE_HEAD


@pytest.mark.parametrize("versions", VERSION_DIRS, ids=scenario)
def test_findings_match_markers(versions: Path) -> None:
    want = markers(versions)
    if scenario(versions) in CLEAN:
        assert want == set(), "a clean scenario must carry no marker"
    else:
        assert want, "a broken scenario must mark at least one finding"
    assert lint(versions) == want


def test_filename_as_parent_suggests_the_id() -> None:
    versions = version_dir("filename_as_parent")
    history = engine.load_history(str(versions), files_of(versions))
    (finding,) = engine.check_history(history, engine.default_rules())
    assert finding.code == "AL002"
    assert "did you mean '0ea4fdf7fc41'?" in finding.message


def test_merge_parent_deleted_names_the_deleted_parent() -> None:
    versions = version_dir("merge_parent_deleted")
    history = engine.load_history(str(versions), files_of(versions))
    (finding,) = engine.check_history(history, engine.default_rules())
    assert finding.code == "AL003"
    assert "'98ab620aa6f9'" in finding.message and "f6a668d072bb" in finding.message


def test_cli_on_the_demo() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "alembic_lint", "fixtures/demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    *findings, summary = lines
    for line in findings:
        assert CLI_LINE.match(line), line
    want = markers(DEMO_VERSIONS)
    got = set()
    for line in findings:
        path, number, _column, rest = line.split(":", 3)
        got.add((Path(path).name, int(number), rest.split()[0]))
    assert got == want
    match = SUMMARY.match(summary)
    assert match, summary
    assert int(match.group(1)) == len(want) == len(findings)
    assert int(match.group(2)) == len({filename for filename, _, _ in want})


def script_directory(versions: Path) -> ScriptDirectory:
    return ScriptDirectory(str(versions.parent), version_locations=[str(versions)])


@pytest.mark.parametrize("name", sorted(ONE_HEAD))
def test_alembic_sees_one_head(name: str) -> None:
    heads = script_directory(version_dir(name)).get_heads()
    assert len(heads) == 1, heads


def test_alembic_heads_of_the_healthy_scenarios() -> None:
    assert script_directory(version_dir("healthy_merge")).get_heads() == ["011_hash_dedup_fields"]
    assert script_directory(version_dir("flask_migrate_merge")).get_heads() == ["790894651003"]


@pytest.mark.filterwarnings("ignore:Revision .* is not present:UserWarning")
@pytest.mark.parametrize("name", sorted(BROKEN_GRAPH))
def test_alembic_rejects_the_broken_graphs(name: str) -> None:
    script = script_directory(version_dir(name))
    try:
        heads = script.get_heads()
    except KeyError:
        return  # a missing parent: Alembic cannot build the map at all
    assert len(heads) > 1, heads


@pytest.mark.filterwarnings("ignore:Revision .* is not present:UserWarning")
def test_empty_string_base_fork_is_two_heads_for_older_alembic(tmp_path: Path) -> None:
    """Alembic before 1.13 read `down_revision = ''` as None and reported the two heads;
    1.13 and later stop at the `''`. The same files with None, which is what older Alembic
    saw, give Alembic 1.20 two heads: the ones AL001 names, beside AL002 for the `''`."""
    versions = version_dir("empty_string_base_fork")
    with pytest.raises(KeyError, match="''"):
        script_directory(versions).get_heads()
    copy = tmp_path / "versions"
    copy.mkdir()
    for path in files_of(versions):
        text = path.read_text(encoding="utf-8")
        (copy / path.name).write_text(text.replace("down_revision = ''", "down_revision = None"))
    heads = set(script_directory(copy).get_heads())
    assert heads == {"9d4c7e2f0b18", "e3a85f6b2c97"}
    history = engine.load_history(str(versions), files_of(versions))
    found = engine.check_history(history, engine.default_rules())
    assert {d.revision for d in found if d.code == "AL001"} == heads


def test_three_heads_are_all_named() -> None:
    versions = version_dir("three_heads_deleted_parent")
    history = engine.load_history(str(versions), files_of(versions))
    found = [d for d in engine.check_history(history, engine.default_rules()) if d.code == "AL001"]
    assert len(found) == 3
    for finding in found:
        assert finding.message.startswith("3 heads on one branch: 4f5a6b7c8d9e")
        assert "a1b2c3d4e5f6 descends from '7e1b5c0d9a24'" in finding.message


def offline_sql(tmp_path: Path, versions: Path, *, downgrade: bool) -> str:
    """Run the fixture's migrations through Alembic in offline (``--sql``) mode for PostgreSQL."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "env.py").write_text(OFFLINE_ENV, encoding="utf-8")
    buffer = io.StringIO()
    config = Config(output_buffer=buffer)
    config.set_main_option("script_location", str(tmp_path))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(versions))
    config.set_main_option("sqlalchemy.url", "postgresql://")
    command.upgrade(config, "head", sql=True)
    if downgrade:
        command.downgrade(config, "head:base", sql=True)
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(ONE_HEAD - {"empty_downgrades"}))
def test_alembic_runs_upgrade_and_downgrade_offline(tmp_path: Path, name: str) -> None:
    """The operations are real Alembic calls: both directions render SQL."""
    sql = offline_sql(tmp_path, version_dir(name), downgrade=True)
    assert "CREATE TABLE" in sql and "DROP TABLE IF EXISTS" in sql


def test_drop_index_fixture_renders_the_unguarded_drop(tmp_path: Path) -> None:
    broken = offline_sql(
        tmp_path / "broken", version_dir("drop_index_not_idempotent"), downgrade=False
    )
    fixed = offline_sql(
        tmp_path / "fixed", version_dir("drop_index_not_idempotent_fixed"), downgrade=False
    )
    assert "DROP INDEX idx_face_suggestions_pending;" in broken
    assert "DROP INDEX IF EXISTS idx_face_suggestions_pending;" in fixed


def test_empty_downgrades_upgrade_but_cannot_all_downgrade(tmp_path: Path) -> None:
    versions = version_dir("empty_downgrades")
    assert "CREATE TABLE post_tags" in offline_sql(tmp_path / "up", versions, downgrade=False)
    with pytest.raises(AttributeError, match="downgrade"):
        offline_sql(tmp_path / "down", versions, downgrade=True)
