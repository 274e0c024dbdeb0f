"""The cache: never a wrong answer, never a crash, and a warm run that skips LibCST."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from alembic_lint import sealed
from alembic_lint.cli import main
from alembic_lint.rules.examples import m

ROOT = Path(__file__).resolve().parent.parent
NO_CACHE = shutil.ignore_patterns(".alembic-lint-cache")
FIXTURES = [
    "fixtures/all_rules/versions",
    "fixtures/demo",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "fixtures" / "seeds").glob("*/versions")),
]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ALEMBIC_LINT_CACHE_DIR", raising=False)

    def invoke(*args: str) -> tuple[int, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out

    return invoke


def cache_files(directory: Path) -> list[Path]:
    """The facts file of each history (its result file sits beside it)."""
    return sorted(p for p in directory.glob("history-*.json") if ".journal." not in p.name)


def result_file(facts: Path) -> Path:
    return facts.with_name(facts.name.replace("history-", "result-"))


def project_cache(cache_home: Path) -> Path:
    """The default cache directory of the one project a test linted."""
    (directory,) = (cache_home / "projects").iterdir()
    return directory


def payload(path: Path) -> bytes:
    """What a cache file holds under its seal (see sealed.py)."""
    data = sealed.read(str(path))
    assert data is not None, f"{path} is not sealed with this user's key"
    return data


def reseal(path: Path, data: bytes) -> None:
    """Write ``data`` as alembic-lint would (a file the cache trusts)."""
    sealed.write(str(path), data)


def write(directory: Path, *files: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for file in files:
        (directory / file.filename).write_text(file.source, encoding="utf-8")  # type: ignore[attr-defined]
    return directory


def two_files(tmp_path: Path) -> Path:
    """versions/a.py (a base) and b.py on top of it, each dropping a table."""
    return write(
        tmp_path / "versions",
        m("aaaaaaaaaaaa", upgrade="op.drop_table('a')", filename="a.py"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_table('b')", filename="b.py"),
    )


@pytest.mark.parametrize("fixture", FIXTURES)
def test_results_identical_with_and_without_cache(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixture: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    cache = tmp_path / "cache"
    code, plain = run("--format", "json", "--no-cache", fixture)
    cold = run("--format", "json", "--cache-dir", str(cache), fixture)
    warm = run("--format", "json", "--cache-dir", str(cache), fixture)
    assert cold == warm == (code, plain)
    full_plain = run("--format", "full", "--no-cache", fixture)
    assert run("--format", "full", "--cache-dir", str(cache), fixture) == full_plain


def test_cache_dir_default_tag_and_no_cache(run, tmp_path: Path, cache_home: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", m("aaaaaaaaaaaa"))
    run("--no-cache", "versions")
    assert not cache_home.exists()
    run("versions")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["versions"]  # nothing in the project
    cache = project_cache(cache_home)
    assert cache == Path(sealed.project_dir(str(tmp_path)) or "")
    assert len(cache_files(cache)) == 1
    signature = "Signature: 8a477f597d28d172789f06886806bc55"
    for tagged in (cache_home, cache):
        assert (tagged / "CACHEDIR.TAG").read_text().splitlines()[0] == signature
    assert (cache_home.stat().st_mode & 0o777, (cache_home / "key").stat().st_mode & 0o777) == (
        0o700,
        0o600,
    )


def test_caches_of_projects_not_linted_for_a_month_go(
    run, tmp_path: Path, cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The default cache is one directory per project (here: the working directory, as
    there is no config): those nobody has written for thirty days are removed when
    another one is made."""
    for project in ("a", "b"):
        write(tmp_path / project / "versions", m("aaaaaaaaaaaa"))
    monkeypatch.chdir(tmp_path / "a")
    run("versions")
    (old,) = (cache_home / "projects").iterdir()
    month = 31 * 24 * 3600
    os.utime(old, (old.stat().st_atime - month, old.stat().st_mtime - month))
    run("versions")  # (an existing directory: nothing is pruned)
    assert old.exists()
    os.utime(old, (old.stat().st_atime - month, old.stat().st_mtime - month))
    monkeypatch.chdir(tmp_path / "b")
    run("versions")
    (new,) = (cache_home / "projects").iterdir()
    assert new != old


def test_cache_dir_from_environment(run, tmp_path: Path, monkeypatch, cache_home: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", m("aaaaaaaaaaaa"))
    monkeypatch.setenv("ALEMBIC_LINT_CACHE_DIR", str(tmp_path / "elsewhere"))
    run("versions")
    assert cache_files(tmp_path / "elsewhere")
    assert (tmp_path / "elsewhere" / "CACHEDIR.TAG").is_file()
    assert (tmp_path / "elsewhere" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert not (cache_home / "projects").exists()  # only the key is in the cache home


def test_one_cache_per_project_config(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "migrations" / "versions", m("aaaaaaaaaaaa"))
    (tmp_path / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    run("..")
    monkeypatch.chdir(tmp_path)
    run(".")
    assert cache_files(Path(sealed.project_dir(str(tmp_path)) or ""))


def test_changed_file_is_reread(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = write(tmp_path / "versions", m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))
    assert run("versions")[0] == 0
    write(versions, m("bbbbbbbbbbbb", "aaaaaaaaaaab"))  # same name and size, new parent
    code, out = run("versions")
    assert code == 1 and "AL002 down_revision 'aaaaaaaaaaab'" in out
    write(versions, m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))  # and back: cached facts again
    assert run("versions") == (0, "All checks passed.\n")


def test_renamed_file_keeps_no_stale_identity(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = tmp_path / "versions"
    versions.mkdir()
    legacy = "down_revision = None\n\ndef upgrade():\n    pass\n\ndef downgrade():\n    pass\n"
    (versions / "abcdef12.py").write_text(legacy)  # id from the file name (Alembic's legacy rule)
    (versions / "b_child.py").write_text(
        "revision = 'b1'\ndown_revision = 'abcdef12'\n\ndef upgrade():\n    pass\n"
    )
    assert run("versions")[0] == 0
    (versions / "abcdef12.py").rename(versions / "abcdef99.py")  # same content, new identity
    code, out = run("versions")
    assert code == 1
    assert "versions/b_child.py:2:17: AL002 down_revision 'abcdef12'" in out
    assert "did you mean 'abcdef99'" in out


def test_settings_changes_invalidate(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", m("aaaaaaaaaaaa", upgrade="op.drop_table('t')"))
    code, out = run("versions")
    assert code == 1 and "AL201" in out and "AL202" in out
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nignore = ["AL202"]\n')
    code, out = run("versions")
    assert "AL201" in out and "AL202" not in out
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\ntarget-alembic-version = "1.12"\n'
    )
    code, out = run("versions")
    assert "AL201" not in out  # drop_table has no if_exists before 1.13.3
    (tmp_path / "pyproject.toml").write_text(
        "[tool.alembic-lint.rules.missing-downgrade]\nallow-irreversible = false\n"
    )
    assert "AL201" in run("versions")[1]


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{",
        b"\x00\xff garbage",
        b"[]",
        b'{"stamp": "someone else", "facts": {}}',
        b"[" * 100_000,
    ],
    ids=["empty", "truncated", "binary", "wrong-shape", "foreign", "deeply-nested"],
)
@pytest.mark.parametrize("sealed_by_us", [True, False], ids=["sealed", "unsealed"])
def test_corrupt_cache_is_survived_and_rewritten(
    run, tmp_path: Path, damage: bytes, cache_home: Path, sealed_by_us: bool
) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaab"))
    expected = run("versions")
    (cache,) = cache_files(project_cache(cache_home))
    for file in (cache, result_file(cache)):
        if sealed_by_us:  # damaged as if by alembic-lint itself (a bug, a full disk)
            reseal(file, damage)
        else:
            file.write_bytes(damage)
    assert run("versions") == expected
    for file in (cache, result_file(cache)):
        first_line = payload(file).split(b"\n")[0]
        assert json.loads(first_line)["stamp"].startswith("alembic-lint ")
    assert run("versions") == expected


def test_damaged_entries_inside_a_valid_cache_are_misses(
    run, tmp_path: Path, cache_home: Path
) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaab"))
    expected = run("versions")
    (cache,) = cache_files(project_cache(cache_home))
    document = json.loads(payload(cache))
    for number, key in enumerate(document["facts"]):
        document["facts"][key] = {"facts": ["nonsense", "[1, 2]"][number % 2]}
    reseal(cache, json.dumps(document).encode())
    head, _ = payload(result_file(cache)).split(b"\n")
    reseal(result_file(cache), head + b"\n" + json.dumps([{"code": 1}]).encode())
    assert run("versions") == expected


def test_read_only_cache_directory_still_lints(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "versions", m("aaaaaaaaaaaa"))
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    assert run("--cache-dir", str(blocker), "versions") == (0, "All checks passed.\n")


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_warm_run_imports_neither_libcst_nor_networkx(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "fixtures" / "demo", tmp_path / "demo", ignore=NO_CACHE)
    probe = (
        "import sys\n"
        "from alembic_lint.cli import main\n"
        "code = main(['demo'])\n"
        "print(code, 'libcst' in sys.modules, 'networkx' in sys.modules)\n"
    )
    cold = _python(probe, tmp_path)
    assert cold.stdout.splitlines()[-1] == "1 True True", cold.stderr
    warm = _python(probe, tmp_path)
    assert warm.stdout.splitlines()[-1] == "1 False False", warm.stderr
    assert warm.stdout.splitlines()[:-1] == cold.stdout.splitlines()[:-1]


def test_one_edit_reuses_the_facts_of_the_others(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "fixtures" / "demo", tmp_path / "demo", ignore=NO_CACHE)
    assert _python("from alembic_lint.cli import main; main(['demo'])", tmp_path).returncode == 0
    target = next((tmp_path / "demo" / "migrations" / "versions").glob("3e7b*.py"))
    target.write_text(target.read_text() + "# edited\n")
    probe = (
        "import sys\n"
        "from alembic_lint import astread\n"
        "calls = []\n"
        "real = astread.read_migration_fast\n"
        "astread.read_migration_fast = lambda p, d: calls.append(p) or real(p, d)\n"
        "from alembic_lint.cli import main\n"
        "main(['demo'])\n"
        "print(sorted(set(c.rsplit('/', 1)[-1] for c in calls)), 'libcst' in sys.modules)\n"
    )
    result = _python(probe, tmp_path)
    # Only the edited file is read again, with CPython's ast: LibCST is not even imported.
    expected = f"[{target.name!r}] False"
    assert result.stdout.splitlines()[-1] == expected, result.stdout + result.stderr


def test_concurrent_runs_do_not_corrupt_the_cache(tmp_path: Path, cache_home: Path) -> None:
    shutil.copytree(ROOT / "fixtures" / "demo", tmp_path / "demo", ignore=NO_CACHE)
    command = [sys.executable, "-m", "alembic_lint", "--format", "json", "demo"]
    processes = [
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(6)
    ]
    outputs = {p.communicate()[0] for p in processes}
    assert len(outputs) == 1 and all(p.returncode == 1 for p in processes)
    (cache,) = cache_files(project_cache(cache_home))
    json.loads(payload(cache))
    leftovers = [p for p in cache.parent.iterdir() if p.name.startswith(".alembic-lint-")]
    assert leftovers == []


@pytest.mark.parametrize("fmt", ["json", "full"])  # json wants fixes: workers only parse
def test_parallel_parse_gives_the_same_answer(run, tmp_path: Path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    files = [
        m(
            f"{i:012x}",
            f"{i - 1:012x}" if i else None,
            upgrade="op.drop_table('t')" + ("  # noqa: AL201" if i % 7 == 0 else ""),
            downgrade="pass" if i % 5 == 0 else "op.create_table('t')",
        )
        for i in range(150)
    ]
    files[40] = m(f"{40:012x}", "missing", filename=files[40].filename)
    write(tmp_path / "versions", *files)
    serial = run("--no-cache", "--jobs", "1", "--format", fmt, "versions")
    parallel = run("--no-cache", "--jobs", "2", "--format", fmt, "versions")
    assert serial == parallel and serial[0] == 1
    assert all(code in serial[1] for code in ("AL002", "AL201", "AL202"))
    assert os.cpu_count()  # the pool path ran on a machine that has CPUs to spare


# --------------------------------------------------------------------------- graph findings


def _histories() -> list[tuple[str, object]]:
    from alembic_lint import discover, engine

    found = []
    for fixture in FIXTURES:
        for spec in discover.discover([str(ROOT / fixture)]):
            found.append((fixture, engine.load_history(spec.name, spec.files)))
    return found


def test_file_rules_see_one_file_at_a_time() -> None:
    """The contract behind caching graph findings apart: a file rule's findings on a file
    depend on that file only."""
    from dataclasses import replace

    from alembic_lint import engine
    from alembic_lint.rules import registry

    file_rules = [rule() for rule in registry() if not rule.graph]
    for fixture, history in _histories():
        whole = engine.check_history(history, file_rules)  # type: ignore[arg-type]
        alone = [
            d
            for m in history  # type: ignore[attr-defined]
            for d in engine.check_history(replace(history, migrations=(m,)), file_rules)  # type: ignore[arg-type]
        ]
        assert sorted(whole) == sorted(alone), fixture


def test_graph_rules_read_only_the_graph_view() -> None:
    """Graph rules give the same findings when everything outside cache.view_hash (the
    cache key of their findings) is blanked out."""
    from dataclasses import replace

    from alembic_lint import engine
    from alembic_lint.model import Header
    from alembic_lint.rules import registry

    graph_rules = [rule() for rule in registry() if rule.graph]
    for fixture, history in _histories():
        blank = replace(
            history,  # type: ignore[type-var]
            migrations=tuple(
                replace(m, header=Header(), functions=(), ops=(), message="", noqa=())
                for m in history  # type: ignore[attr-defined]
            ),
        )
        assert engine.check_history(history, graph_rules) == engine.check_history(  # type: ignore[arg-type]
            blank, graph_rules
        ), fixture


def _demo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "fixtures" / "demo", tmp_path / "demo", ignore=NO_CACHE)
    return tmp_path / "demo" / "migrations" / "versions"


PROBE = (
    "import sys\n"
    "from alembic_lint.cli import main\n"
    "code = main(['--format', 'json', 'demo'])\n"
    "print(code, 'networkx' in sys.modules)\n"
)


def _json_run(tmp_path: Path, *extra: str) -> tuple[list[str], str]:
    result = _python(
        PROBE.replace("'demo'", ", ".join(repr(a) for a in (*extra, "demo"))), tmp_path
    )
    assert result.returncode == 0, result.stderr
    *report, status = result.stdout.splitlines()
    return report, status


@pytest.mark.parametrize(
    "edit",
    [
        (
            "4f0a",
            "op.drop_index('ix_users_email', table_name='users')",
            "# a comment in the body\n    op.drop_index('ix_users_email', table_name='users')",
        ),
        (
            "5b1d",
            "# revision identifiers",
            "\n\n# this moves every position below\n# revision identifiers",
        ),
    ],
)
def test_a_body_edit_reuses_the_graph_findings(tmp_path: Path, edit: tuple[str, str, str]) -> None:
    versions = _demo(tmp_path)
    assert _json_run(tmp_path)[1] == "1 True"
    prefix, old, new = edit
    target = next(versions.glob(f"{prefix}*.py"))
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))
    warm, status = _json_run(tmp_path)
    assert status == "1 False", "networkx was imported: the graph findings were not reused"
    cold, _ = _json_run(tmp_path, "--no-cache")
    assert warm == cold


def test_a_changed_operation_rebuilds_the_schema_findings(tmp_path: Path) -> None:
    """The schema rules read every file's operations: changing one is a graph rebuild
    (with the same answer as a cold run), unlike an edit that leaves them alone."""
    versions = _demo(tmp_path)
    assert _json_run(tmp_path)[1] == "1 True"
    target = next(versions.glob("4f0a*.py"))
    text = target.read_text()
    old = "op.drop_index('ix_users_email', table_name='users')"
    target.write_text(text.replace(old, "op.drop_index('ix', table_name='users')", 1))
    warm, status = _json_run(tmp_path)
    assert status == "1 True"
    cold, _ = _json_run(tmp_path, "--no-cache")
    assert warm == cold
    assert any('"AL301"' in line for line in warm)


def test_a_changed_parent_rebuilds_the_graph(tmp_path: Path) -> None:
    versions = _demo(tmp_path)
    before, _ = _json_run(tmp_path)
    target = next(versions.glob("6d3f*.py"))
    text = target.read_text()
    assert "down_revision" in text
    # Put the second head on top of the first: one head fewer (the third, whose parent
    # is a typo of the first, stays a head beside it).
    target.write_text(
        text.replace("'4f0a2c4e6b79'", "'5b1d3f5a7c92'").replace('"4f0a2c4e6b79"', '"5b1d3f5a7c92"')
    )
    warm, status = _json_run(tmp_path)
    assert status == "1 True"
    cold, _ = _json_run(tmp_path, "--no-cache")
    assert warm == cold and warm != before
    assert "3 heads on one branch" in "\n".join(before)
    assert "3 heads" not in "\n".join(warm) and "2 heads on one branch" in "\n".join(warm)


SCHEMA_EDIT = (
    "op.drop_index('ix_users_email', table_name='users')",
    "op.drop_index('ix', table_name='users')",
)


@pytest.mark.parametrize("damage", ["lost", "stale", "seal"])
def test_the_schema_changes_file_never_changes_an_answer(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, damage: str
) -> None:
    """Each file's schema changes are kept apart from the facts every warm run reads,
    and read only when the graph is rebuilt: lost, left from another generation of the
    facts, or damaged, the files whose changes it held are read again."""
    versions = _demo(tmp_path)
    command = ("--format", "sarif", "--cache-dir", "cache", "demo")
    run(*command)
    (changes,) = (tmp_path / "cache").glob("changes-*.json")
    old = changes.read_bytes()
    if damage == "stale":  # a later full rewrite of the facts: a new generation
        (facts,) = cache_files(tmp_path / "cache")
        document = json.loads(payload(facts))
        document["generation"] = "0" * 16
        reseal(facts, json.dumps(document).encode())
        for stale in (tmp_path / "cache").glob("result-*"):
            stale.unlink()
    elif damage == "lost":
        changes.unlink()
    else:
        changes.write_bytes(old[:10] + bytes([old[10] ^ 1]) + old[11:])
    target = next(versions.glob("4f0a*.py"))
    target.write_text(target.read_text().replace(*SCHEMA_EDIT, 1))  # the graph is rebuilt
    assert run(*command) == run("--format", "sarif", "--no-cache", "demo")
    assert run(*command) == run("--format", "sarif", "--no-cache", "demo")


def test_a_body_edit_does_not_read_the_schema_changes(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic_lint import cache

    versions = _demo(tmp_path)
    run("--cache-dir", "cache", "demo")
    read: list[str] = []
    real = cache.Cache._read
    monkeypatch.setattr(
        cache.Cache,
        "_read",
        lambda self, path: read.append(os.path.basename(path)) or real(self, path),
    )
    target = next(versions.glob("4f0a*.py"))
    target.write_text(target.read_text() + "# edited\n")
    assert run("--cache-dir", "cache", "demo") == run("--no-cache", "demo")
    assert read and not any(name.startswith("changes-") for name in read)
    target.write_text(target.read_text().replace(*SCHEMA_EDIT, 1))
    assert run("--cache-dir", "cache", "demo") == run("--no-cache", "demo")
    assert any(name.startswith("changes-") for name in read)


def _heads(tmp_path: Path) -> Path:
    """a.py, and two heads on it (b.py, c.py): AL001 points into both heads."""
    return write(
        tmp_path / "versions",
        m("aaaaaaaaaaaa", filename="a.py"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", filename="b.py"),
        m("cccccccccccc", "aaaaaaaaaaaa", filename="c.py"),
    )


def test_graph_findings_keep_their_positions_until_their_file_changes(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The graph findings are cached with their positions, by the digest of the bytes of
    each file they point into: an edit elsewhere loads none of those files to place them,
    and an edit that moves a finding places it again, where a cold run puts it."""
    from alembic_lint import cache

    versions = _heads(tmp_path)
    warm = ("--format", "sarif", "--cache-dir", "cache", "versions")
    cold = ("--format", "sarif", "--no-cache", "versions")
    assert run(*warm) == run(*cold)
    loaded: list[str] = []
    light = cache.Cache.light
    monkeypatch.setattr(
        cache.Cache,
        "light",
        lambda self, key, path, **kw: (
            loaded.append(os.path.basename(path)) or light(self, key, path, **kw)
        ),
    )
    # The base: no graph finding points into it.
    (versions / "a.py").write_text((versions / "a.py").read_text() + "# edited\n")
    assert run(*warm) == run(*cold)
    assert loaded == []
    # Lines above a head's revision variables move its finding down three lines.
    before = run("--cache-dir", "cache", "versions")[1]
    head = versions / "c.py"
    head.write_text("# one\n# two\n# three\n" + head.read_text())
    after = run("--cache-dir", "cache", "versions")[1]
    assert after == run("--no-cache", "versions")[1]

    def lines_in_c(report: str) -> list[int]:
        return [int(line.split(":")[1]) for line in report.splitlines() if "c.py:" in line]

    assert lines_in_c(after) and lines_in_c(after) == [n + 3 for n in lines_in_c(before)]
    assert run(*warm) == run(*cold)
    # Put back as it was: the bytes are those of the first run, the positions too.
    head.write_text(head.read_text().split("\n", 3)[3])
    assert run("--cache-dir", "cache", "versions")[1] == before


def test_graph_positions_of_a_stdin_run_are_those_of_the_buffer(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor's buffer that moves a head's finding: placed in the buffer, and the
    file's own run afterwards places it in the file again (the positions are keyed by
    content, not by path)."""
    versions = _heads(tmp_path)
    head = versions / "c.py"
    run("--cache-dir", "cache", "versions")
    buffer = "\n\n\n\n" + head.read_text()
    warm = _stdin(run, monkeypatch, head, buffer, "--cache-dir", "cache")
    assert warm == _stdin(run, monkeypatch, head, buffer, "--no-cache")
    assert run("--format", "sarif", "--cache-dir", "cache", "versions") == run(
        "--format", "sarif", "--no-cache", "versions"
    )
    head.write_text(buffer)
    assert run("--format", "sarif", "--cache-dir", "cache", "versions") == run(
        "--format", "sarif", "--no-cache", "versions"
    )


# --------------------------------------------------------------------------- file findings


def test_a_body_edit_reads_no_other_files_operations(tmp_path: Path) -> None:
    """Unchanged files keep their file rules' findings; the ops file is not even read."""
    versions = _demo(tmp_path)
    assert _json_run(tmp_path)[1] == "1 True"
    target = next(versions.glob("4f0a*.py"))
    target.write_text(target.read_text() + "# edited\n")
    probe = (
        "from alembic_lint import cache\n"
        "calls = []\n"
        "real = cache.Cache.migration\n"
        "cache.Cache.migration = lambda self, *a: calls.append(a) or real(self, *a)\n"
        "from alembic_lint.cli import main\n"
        "main(['demo'])\n"
        "print(len(calls))\n"
    )
    result = _python(probe, tmp_path)
    *report, count = result.stdout.splitlines()
    # (The JSON format carries fixes, which need every file's operations: concise here.)
    assert count == "0", result.stderr
    cold = _python("from alembic_lint.cli import main; main(['--no-cache', 'demo'])", tmp_path)
    assert report == cold.stdout.splitlines()


def test_settings_changed_after_edits_give_fresh_findings(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Edited files' operations are not written to the ops file by a quick run; a later run
    that needs them (the rules' settings changed) reads those files again."""
    versions = write(
        tmp_path / "versions",
        m(
            "aaaaaaaaaaaa",
            upgrade="op.drop_table('a')",
            downgrade="raise NotImplementedError",
            filename="a.py",
        ),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_table('b')", filename="b.py"),
    )
    run("versions")
    first = versions / "a.py"
    first.write_text(first.read_text().replace("op.drop_table('a')", "op.drop_index('a')"))
    edited = run("--format", "json", "versions")
    assert edited == run("--format", "json", "--no-cache", "versions")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.alembic-lint.rules.missing-downgrade]\nallow-irreversible = false\n"
    )
    after = run("--format", "json", "versions")
    assert after == run("--format", "json", "--no-cache", "versions")
    assert "AL202" in after[1] and "drop_index" in after[1]


def test_fix_after_a_quick_run_sees_every_operation(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = two_files(tmp_path)
    run("versions")
    first = versions / "a.py"
    first.write_text(first.read_text() + "# edited\n")
    run("versions")
    run("--fix", "versions")
    assert "AL201" not in run("--no-cache", "versions")[1]
    for name in ("a.py", "b.py"):
        assert "if_exists=True" in (versions / name).read_text()


# --------------------------------------------------------------------------- facts journal


def _journal(cache: Path) -> Path:
    return cache.with_name(cache.name.replace(".json", ".journal.json"))


def test_an_edit_goes_to_the_journal_not_the_facts_file(
    run, tmp_path: Path, cache_home: Path
) -> None:  # type: ignore[no-untyped-def]
    versions = two_files(tmp_path)
    run("versions")
    (cache,) = cache_files(project_cache(cache_home))
    before = cache.read_bytes()
    target = versions / "a.py"
    target.write_text(target.read_text().replace("drop_table('a')", "drop_index('a')"))
    assert run("versions") == run("--no-cache", "versions")
    assert cache.read_bytes() == before
    assert len(json.loads(payload(_journal(cache)))["facts"]) == 1
    assert run("versions") == run("--no-cache", "versions")  # the journal is read back


def test_a_long_journal_is_folded_into_the_facts_file(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_home: Path
) -> None:  # type: ignore[no-untyped-def]
    from alembic_lint import cache as cache_mod

    monkeypatch.setattr(cache_mod, "JOURNAL_MAX", 1)
    versions = write(tmp_path / "versions", m("aaaaaaaaaaaa", filename="a.py"))
    run("versions")
    (cache,) = cache_files(project_cache(cache_home))
    generation = json.loads(payload(cache))["generation"]
    for n in range(3):
        write(versions, m(f"{n:012d}", "aaaaaaaaaaaa", filename=f"n{n}.py"))
        assert run("versions") == run("--no-cache", "versions")
    assert json.loads(payload(cache))["generation"] != generation
    assert not _journal(cache).exists() or len(json.loads(payload(_journal(cache)))["facts"]) <= 1


@pytest.mark.parametrize("damage", [b"{", b'{"stamp": "x"}', None])
def test_a_stale_or_damaged_journal_is_ignored(
    run, tmp_path: Path, damage: bytes | None, cache_home: Path
) -> None:  # type: ignore[no-untyped-def]
    versions = two_files(tmp_path)
    run("versions")
    target = versions / "a.py"
    target.write_text(target.read_text().replace("drop_table('a')", "drop_index('a')"))
    run("versions")
    (cache,) = cache_files(project_cache(cache_home))
    journal = _journal(cache)
    if damage is None:  # a journal of another generation of the facts file
        document = json.loads(payload(journal))
        document["generation"] = "another"
        damage = json.dumps(document).encode()
    reseal(journal, damage)
    assert run("versions") == run("--no-cache", "versions")


# --------------------------------------------------------------------------- stat index


@pytest.fixture
def no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written a moment ago count as old enough to be known by their stat."""
    from alembic_lint import cache as cache_mod

    monkeypatch.setattr(cache_mod, "RACY_NS", 0)


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from alembic_lint import engine

    reads: list[str] = []
    real = engine.read_bytes

    def counted(path: str) -> bytes:
        reads.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(engine, "read_bytes", counted)
    return reads


def test_unchanged_files_are_known_by_their_stat(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_racy_window: None
) -> None:  # type: ignore[no-untyped-def]
    versions = two_files(tmp_path)
    run("versions")
    reads = _count_reads(monkeypatch)
    target = versions / "a.py"
    target.write_text(target.read_text().replace("drop_table('a')", "drop_index('a')"))
    after = run("versions")
    assert "a.py" in reads and "b.py" not in reads, reads  # b.py: its stat, its cached facts
    assert after == run("--no-cache", "versions")


def test_a_same_size_edit_with_its_mtime_put_back_is_still_seen(
    run, tmp_path: Path, no_racy_window: None
) -> None:  # type: ignore[no-untyped-def]
    versions = write(
        tmp_path / "versions",
        m("aaaaaaaaaaaa", upgrade="op.drop_table('a')", filename="a.py"),
    )
    before = run("versions")
    target = versions / "a.py"
    info = target.stat()
    text = target.read_text()
    target.write_text(text.replace("drop_table('a')", "drop_index('a')"))  # same size
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))  # ctime still moves
    after = run("versions")
    assert after == run("--no-cache", "versions") and after != before


def test_the_standard_input_buffer_is_never_known_by_the_stat_of_the_file(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_racy_window: None
) -> None:  # type: ignore[no-untyped-def]
    import io
    import sys

    versions = two_files(tmp_path)
    run("versions")
    run("versions")  # every stat recorded
    edited = (versions / "a.py").read_text().replace("drop_table('a')", "drop_index('a')")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(edited.encode())))
    _, out = run("--stdin-filename", "versions/a.py", "-")
    assert "drop_index" in out and "drop_table" not in out


# --------------------------------------------------------------------------- stand-ins


def _stdin(run, monkeypatch: pytest.MonkeyPatch, path: Path, text: str, *extra: str):  # type: ignore[no-untyped-def]
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    return run("--format", "sarif", *extra, "--stdin-filename", str(path), "-")


@pytest.mark.parametrize("fixture", FIXTURES)
def test_stdin_with_stand_ins_reports_what_a_cold_run_does(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixture: str
) -> None:  # type: ignore[no-untyped-def]
    """Files a --stdin-filename run does not report on come from the cache as stand-ins;
    the graph (when the buffer changes a parent) and the positions of related places load
    them. Every file of every fixture, as it is and with its parent changed."""
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / fixture, copy, ignore=NO_CACHE)
    run("--format", "sarif", str(copy))  # fill the cache: facts, findings, graph views
    for target in sorted(copy.rglob("*.py")):
        if target.name == "env.py":
            continue
        text = target.read_text(encoding="utf-8", errors="replace")
        variants = [text]
        if "down_revision" in text:
            variants.append(text.replace("down_revision", "down_revision = 'ffffffffffff'\nx", 1))
        for variant in variants:
            warm = _stdin(run, monkeypatch, target, variant)
            cold = _stdin(run, monkeypatch, target, variant, "--no-cache")
            assert warm == cold, (target.name, variant is text)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_a_warm_run_with_stand_ins_reports_what_a_cold_run_does(
    run, tmp_path: Path, fixture: str
) -> None:  # type: ignore[no-untyped-def]
    """After an edit of any one file (its body, or its parent), the unchanged files are
    stand-ins carrying their cached findings and suppressions: the report must be a cold
    run's, in a format with every position and related place (SARIF)."""
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / fixture, copy, ignore=NO_CACHE)
    for target in sorted(copy.rglob("*.py")):
        if target.name == "env.py":
            continue
        original = target.read_bytes()
        edits = [original + b"\n# edited\n"]  # the body: the graph's findings are reused
        if b"down_revision" in original:  # a parent: the graph is rebuilt from the facts
            edits.append(original.replace(b"down_revision", b"down_revision = 'ff'\nx", 1))
        for edited in edits:
            run("--format", "sarif", str(copy))  # the cache as the last edit left it
            target.write_bytes(edited)
            warm = run("--format", "sarif", str(copy))
            assert warm == run("--format", "sarif", "--no-cache", str(copy)), target.name
            target.write_bytes(original)


def test_an_updated_checkout_is_not_answered_from_the_old_code(tmp_path: Path) -> None:
    """A `git pull` changes the rules without changing the version or the cache schema:
    neither the cache nor a replay may give the older code's answer (found on the corpus)."""
    import alembic_lint

    package = tmp_path / "site" / "alembic_lint"
    shutil.copytree(
        Path(alembic_lint.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    _demo(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(package.parent)}

    def run(*extra: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "alembic_lint", *extra, "demo"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        return proc.stdout

    before = run()
    assert "without `if_exists=True`" in before
    rule = package / "rules" / "drop_without_if_exists.py"
    rule.write_text(rule.read_text().replace("without `if_exists=True`", "lacks `if_exists=True`"))
    for extra in ((), ("--cache-dir", str(tmp_path / "cache"))):
        after = run(*extra)
        assert "lacks `if_exists=True`" in after and "without `if_exists" not in after
