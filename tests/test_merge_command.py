"""`alembic-lint merge`: the written file is one Alembic loads as the single new head."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import format_as_comma
from mako.template import Template

from alembic_lint import scaffold
from alembic_lint.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seeds" / "two_heads_same_parent" / "versions"
DEMO = ROOT / "fixtures" / "demo"
GENERIC_MAKO = DEMO / "migrations" / "script.py.mako"  # Alembic's generic template

ENV_PY = """\
from alembic import context

config = context.config
context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
with context.begin_transaction():
    context.run_migrations()
"""


def make_project(root: Path, ini_extra: str = "", mako: str | None = None) -> Path:
    """The seed history inside a runnable project; returns its alembic.ini."""
    scripts = root / "migrations"
    shutil.copytree(SEED, scripts / "versions")
    (scripts / "env.py").write_text(ENV_PY)
    (scripts / "script.py.mako").write_text(GENERIC_MAKO.read_text() if mako is None else mako)
    ini = root / "alembic.ini"
    ini.write_text(
        "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite://\n" + ini_extra
    )
    return ini


def script_dir(ini: Path) -> ScriptDirectory:
    return ScriptDirectory.from_config(Config(str(ini)))


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if "__pycache__" not in p.parts}


def run_merge(
    args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    code = main(["merge", *args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_single_new_head(ini: Path, old_heads: list[str], written: Path) -> str:
    """The oracle's view: one head, the new file, whose parents are the old heads."""
    script = script_dir(ini)
    heads = script.get_heads()
    assert len(heads) == 1
    new = script.get_revision(heads[0])
    assert new is not None and new.path == str(written)
    assert isinstance(new.down_revision, tuple)
    assert sorted(new.down_revision) == sorted(old_heads)
    result = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "upgrade", "head", "--sql"],
        capture_output=True,
        text=True,
        cwd=ini.parent,
    )
    assert result.returncode == 0, result.stderr
    assert f"'{new.revision}'" in result.stdout
    return new.revision


def assert_renders_like_mako(written: Path, template: Path, message: str, ini: Path) -> None:
    text = written.read_text()
    rev = re.search(r"^Revision ID: (\w+)$", text, re.MULTILINE)
    date = re.search(r"^Create Date: (.+)$", text, re.MULTILINE)
    assert rev and date
    down = script_dir(ini).get_revision(rev[1]).down_revision  # type: ignore[union-attr]
    expected = Template(filename=str(template)).render_unicode(
        up_revision=rev[1],
        down_revision=down,
        branch_labels=None,
        depends_on=None,
        create_date=datetime.datetime.fromisoformat(date[1]),
        comma=format_as_comma,
        message=message,
    )
    assert text == expected


def test_merge_seed_heads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = make_project(tmp_path)
    old_heads = script_dir(ini).get_heads()
    assert len(old_heads) == 2

    code, out, err = run_merge([], tmp_path, monkeypatch, capsys)

    assert (code, err) == (0, "")
    written = tmp_path / out.strip()
    assert written.parent == tmp_path / "migrations" / "versions"
    assert re.fullmatch(r"[0-9a-f]{12}_merge_heads\.py", written.name)
    rev = assert_single_new_head(ini, old_heads, written)
    assert written.name == f"{rev}_merge_heads.py"
    # Alembic's order of the heads (load order), as `alembic merge heads` writes them.
    assert script_dir(ini).get_revision(rev).down_revision == ("aaaa11112222", "bbbb33334444")  # type: ignore[union-attr]
    assert_renders_like_mako(written, GENERIC_MAKO, "merge heads", ini)
    assert "Revises: aaaa11112222, bbbb33334444\n" in written.read_text()

    capsys.readouterr()
    assert main([str(tmp_path / "migrations" / "versions")]) in (0, 1)
    assert "AL001" not in capsys.readouterr().out


def test_merge_demo_with_dated_subdirectory_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "demo"
    shutil.copytree(DEMO, project)
    broken = project / "migrations" / "versions" / "7a8c0e2b4d61_add_sku_to_order_items.py"
    broken.write_text(broken.read_text().replace("5b1d3f5a7c29", "5b1d3f5a7c92"))
    ini = project / "alembic.ini"
    text = re.sub(r"sqlalchemy.url = .*", "sqlalchemy.url = sqlite://", ini.read_text())
    text = text.replace(
        "path_separator = os\n",
        "path_separator = os\nrecursive_version_locations = true\n"
        "file_template = %%(year)d/%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s\n",
    )
    ini.write_text(text)
    old_heads = script_dir(ini).get_heads()
    assert sorted(old_heads) == ["6d3f5b7c9e14", "7a8c0e2b4d61"]

    code, out, err = run_merge(
        [str(ini), "7a8c", "6d3f5b7c9e14", "-m", "Merge users & orders!"],
        tmp_path,
        monkeypatch,
        capsys,
    )

    assert (code, err) == (0, "")
    written = tmp_path / out.strip()
    versions = project / "migrations" / "versions"
    now = datetime.datetime.now()
    assert written.parent.parent == versions and written.parent.name == str(now.year)
    assert re.fullmatch(r"\d{4}_[0-9a-f]{12}_merge_users_orders\.py", written.name)
    rev = assert_single_new_head(ini, old_heads, written)
    assert written.name.endswith(f"_{rev}_merge_users_orders.py")
    assert_renders_like_mako(
        written, project / "migrations" / "script.py.mako", "Merge users & orders!", ini
    )
    assert not [p for p in written.parent.iterdir() if p.name.startswith(".alembic-lint-")]

    capsys.readouterr()
    main([str(versions)])
    assert "AL001" not in capsys.readouterr().out


def _extra_head(versions: Path, rev: str, parent: str) -> None:
    source = (versions / "bbbb33334444_add_webhooks.py").read_text()
    source = source.replace("bbbb33334444", rev).replace("c2d4e6f8a0b1", parent)
    (versions / f"{rev}_extra.py").write_text(source)


@pytest.mark.parametrize(
    ("case", "args", "message"),
    [
        ("one head", [], "only one head (c2d4e6f8a0b1): nothing to merge"),
        (
            "two heads",
            ["c2d4e6f8a0b1", "aaaa11112222"],
            "Revision c2d4e6f8a0b1 is not a head revision",
        ),
        ("ambiguous", ["aaaa", "bbbb"], "Multiple revisions start with 'aaaa'"),
        ("two heads", ["abc", "bbbb"], "at least four characters"),
        ("two heads", ["ffff0000", "bbbb"], "No such revision 'ffff0000'"),
        ("two heads", ["aaaa", "aaaa11112222"], "Duplicate head revisions specified"),
        ("two heads", ["bbbb"], "give at least two heads"),
        (
            "missing parent",
            [],
            "cannot tell the heads: ffff00000000_extra.py: down_revision '0123456789ab' names no "
            "revision in this history",
        ),
        ("empty", [], "the history has no revisions: nothing to merge"),
        (
            "two heads",
            ["/no/such/path", "aaaa", "bbbb"],
            "/no/such/path: no such file or directory",
        ),
        ("dynamic id", [], "cannot tell the heads: the revision ids or parents of"),
    ],
)
def test_refusals_write_nothing(
    case: str,
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_project(tmp_path)
    versions = tmp_path / "migrations" / "versions"
    if case == "one head":
        (versions / "aaaa11112222_hotfix_unique_token_hash.py").unlink()
        (versions / "bbbb33334444_add_webhooks.py").unlink()
    elif case == "ambiguous":
        _extra_head(versions, "aaaa00000001", "5b7e2d914c0a")
    elif case == "empty":
        for path in versions.iterdir():
            path.unlink()
    elif case == "missing parent":
        _extra_head(versions, "ffff00000000", "0123456789ab")
    elif case == "dynamic id":
        _extra_head(versions, "ffff00000000", "5b7e2d914c0a")
        extra = versions / "ffff00000000_extra.py"
        extra.write_text(extra.read_text().replace("'ffff00000000'", "make_id()"))
    before = files_under(tmp_path)

    code, out, err = run_merge(args, tmp_path, monkeypatch, capsys)

    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("alembic-lint: error: ")
    assert message in err
    assert files_under(tmp_path) == before


def test_positional_heads_without_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = make_project(tmp_path)
    code, out, _ = run_merge(["bbbb3333", "aaaa1111"], tmp_path, monkeypatch, capsys)
    assert code == 0
    assert_single_new_head(ini, ["aaaa11112222", "bbbb33334444"], tmp_path / out.strip())


@pytest.mark.parametrize(
    "custom",
    [
        "<%! import re %>\n",
        "% if message:\n# ${message}\n% endif\n",
        "## a Mako comment\n",
        "# ${message.upper()}\n",
    ],
)
def test_non_plain_template_falls_back_to_generic(
    custom: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mako = custom + GENERIC_MAKO.read_text()
    assert not scaffold.is_plain(mako)
    ini = make_project(tmp_path, mako=mako)
    old_heads = script_dir(ini).get_heads()

    code, out, _ = run_merge(["-m", "fallback"], tmp_path, monkeypatch, capsys)

    assert code == 0
    written = tmp_path / out.strip()
    assert_single_new_head(ini, old_heads, written)
    assert_renders_like_mako(written, GENERIC_MAKO, "fallback", ini)


def test_plain_custom_template_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mako = "# house header: ${ message }\n" + GENERIC_MAKO.read_text()
    assert scaffold.is_plain(mako)
    ini = make_project(tmp_path, mako=mako)
    old_heads = script_dir(ini).get_heads()
    code, out, _ = run_merge([], tmp_path, monkeypatch, capsys)
    assert code == 0
    written = tmp_path / out.strip()
    assert_single_new_head(ini, old_heads, written)
    assert_renders_like_mako(
        written, tmp_path / "migrations" / "script.py.mako", "merge heads", ini
    )
    assert written.read_text().startswith("# house header: merge heads\n")


@pytest.mark.parametrize("truncate", [None, 20])
def test_slug_truncation_matches_alembic(
    truncate: int | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    message = "Merge the very long hotfix branch with the webhooks feature branch"
    extra = "" if truncate is None else f"truncate_slug_length = {truncate}\n"
    ini = make_project(tmp_path, ini_extra=extra)
    script = script_dir(ini)
    old_heads = script.get_heads()

    code, out, _ = run_merge(["-m", message], tmp_path, monkeypatch, capsys)

    assert code == 0
    written = tmp_path / out.strip()
    rev = assert_single_new_head(ini, old_heads, written)
    expected = script._rev_path(written.parent, rev, message, datetime.datetime.now())
    assert written == expected
    assert written.stem.endswith("_")


def test_write_new_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "x.py"
    target.write_text("keep")
    with pytest.raises(scaffold.ScaffoldError, match="already exists"):
        scaffold.write_new(target, "new")
    assert target.read_text() == "keep"
    assert list(tmp_path.iterdir()) == [target]


def test_file_name_tokens() -> None:
    when = datetime.datetime(2026, 11, 21, 5, 21, 41)
    name = scaffold.file_name(
        "%(year)d_%(month).2d_%(day).2d_%(hour).2d%(minute).2d%(second).2d-%(rev)s_%(slug)s",
        "aaaa00000001",
        "A very long message that will be truncated",
        when,
    )
    assert name == "2026_11_21_052141-aaaa00000001_a_very_long_message_that_will_be_.py"
    assert scaffold.file_name("%(epoch)s", "r", "m", when) == f"{int(when.timestamp())}.py"


def test_dry_run_prints_the_file_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = make_project(tmp_path)
    before = files_under(tmp_path)

    code, out, err = run_merge(["--dry-run", "-m", "dry run"], tmp_path, monkeypatch, capsys)

    assert (code, err) == (0, "")
    assert files_under(tmp_path) == before
    header = re.match(
        r"--- /dev/null\n\+\+\+ b/migrations/versions/([0-9a-f]{12})_dry_run\.py\n"
        r"@@ -0,0 \+1,(\d+) @@\n",
        out,
    )
    assert header, out
    body = out[header.end() :].splitlines(keepends=True)
    assert len(body) == int(header[2]) and all(line.startswith("+") for line in body)
    # What it shows is what a real merge with that id writes.
    script = scaffold.merge(*_spec_and_graph(ini), [], "dry run", rev_id=header[1], dry_run=True)[1]
    shown = "".join(line[1:] for line in body)
    assert re.sub(r"Create Date: .*", "", shown) == re.sub(r"Create Date: .*", "", script)


def _spec_and_graph(ini: Path):  # type: ignore[no-untyped-def]
    from alembic_lint import discover, engine, graph

    (spec,) = discover.discover([str(ini)])
    history = engine.load_history(spec.name, spec.files, locations=spec.locations)
    return spec, graph.build(history)


def test_merges_a_fork_above_an_empty_string_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`down_revision = ""` on the base (Alembic before 1.13 read it as None) hides no
    head: the merge is written, and Alembic, given the None older versions saw, loads the
    result with the merge as its single head."""
    make_project(tmp_path)
    versions = tmp_path / "migrations" / "versions"
    shutil.rmtree(versions)
    shutil.copytree(ROOT / "fixtures" / "seeds" / "empty_string_base_fork" / "versions", versions)
    code, out, err = run_merge(["-m", "merge heads"], tmp_path, monkeypatch, capsys)
    assert code == 0, err
    written = tmp_path / out.strip()
    for path in versions.glob("*.py"):
        path.write_text(path.read_text().replace("down_revision = ''", "down_revision = None"))
    assert_single_new_head(tmp_path / "alembic.ini", ["9d4c7e2f0b18", "e3a85f6b2c97"], written)
