"""Settings: discovery, precedence, every key, every rule option and every config error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from alembic_lint.cli import main
from alembic_lint.rules import registry
from alembic_lint.rules.examples import File, m

ERROR = "alembic-lint: error: "


def write(directory: Path, *files: File) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for file in files:
        (directory / file.filename).write_text(file.source, encoding="utf-8")
    return directory


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return invoke


def found(run, *args: str) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """``{(file name, code)}`` of a run's findings, read from the JSON report."""
    code, out, err = run("--format", "json", *args)
    assert code in (0, 1), err
    items = json.loads(out)
    assert (code == 1) == bool(items)
    return {(Path(item["filename"]).name, item["code"]) for item in items}


def problems(directory: Path) -> Path:
    """A history with one AL002 (c), and an AL201 and an AL202 (b)."""
    return write(
        directory,
        m("aaaaaaaaaaaa"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_index('ix_user_email')"),
        m("cccccccccccc", "zzzzzzzzzzzz"),
    )


A = "aaaaaaaaaaaa_example.py"
B = "bbbbbbbbbbbb_example.py"
C = "cccccccccccc_example.py"
ALL_PROBLEMS = {(B, "AL201"), (B, "AL202"), (C, "AL002")}


def settings_lines(run, *args: str) -> list[str]:  # type: ignore[no-untyped-def]
    code, out, err = run("--show-settings", *args)
    assert (code, err) == (0, "")
    return out.splitlines()


def setting(run, key: str, *args: str) -> str:  # type: ignore[no-untyped-def]
    (line,) = [line for line in settings_lines(run, *args) if line.startswith(key + ":")]
    return line.split(": ", 1)[1]


# --------------------------------------------------------------------------- discovery


def test_no_config_uses_defaults(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    assert setting(run, "settings file", "versions") == "(none: defaults)"
    default = ", ".join(r.code for r in registry() if r.default and not r.needs_branch)
    assert setting(run, "rules", "versions") == default
    assert found(run, "versions") == ALL_PROBLEMS


def test_pyproject_found_by_walking_up_from_cwd(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nselect = ["AL2"]\n')
    # A nearer pyproject.toml without the table is passed over.
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "other"\n')
    monkeypatch.chdir(deep)
    assert setting(run, "settings file", "../../versions") == str(tmp_path / "pyproject.toml")
    assert found(run, "../../versions") == {(B, "AL201"), (B, "AL202")}


def test_nearest_pyproject_with_the_table_wins(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nselect = ["AL2"]\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[tool.alembic-lint]\nselect = ["AL002"]\n')
    monkeypatch.chdir(tmp_path / "sub")
    assert setting(run, "settings file", "../versions") == str(tmp_path / "sub" / "pyproject.toml")
    assert found(run, "../versions") == {(C, "AL002")}


def test_config_option_overrides_discovery(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nselect = ["AL2"]\n')
    (tmp_path / "other.toml").write_text('select = ["AL002"]\n')
    assert found(run, "--config", "other.toml", "versions") == {(C, "AL002")}
    assert setting(run, "settings file", "--config", "other.toml", "versions") == str(
        tmp_path / "other.toml"
    )


def test_config_standalone_file_with_top_level_keys(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "lint.toml").write_text(
        'select = ["AL201"]\n[rules.multiple-heads]\nexpected-heads = 3\n'
    )
    assert found(run, "--config", "lint.toml", "versions") == {(B, "AL201")}
    # The standalone file also accepts the pyproject-style table.
    (tmp_path / "lint.toml").write_text('[tool.alembic-lint]\nselect = ["AL202"]\n')
    assert found(run, "--config", "lint.toml", "versions") == {(B, "AL202")}


def test_config_pyproject_without_table_means_defaults(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert found(run, "--config", "pyproject.toml", "versions") == ALL_PROBLEMS


# --------------------------------------------------------------------------- rule selection


@pytest.mark.parametrize(
    ("file", "cli", "expected"),
    [
        # the file alone
        ('select = ["AL2"]', (), {(B, "AL201"), (B, "AL202")}),
        ('select = ["ALL"]', (), ALL_PROBLEMS),
        ('select = ["drop-without-if-exists"]', (), {(B, "AL201")}),
        ('ignore = ["AL2"]', (), {(C, "AL002")}),
        ('ignore = ["missing-parent", "AL202"]', (), {(B, "AL201")}),
        ('select = ["AL201"]\nextend-select = ["AL002"]', (), {(B, "AL201"), (C, "AL002")}),
        ('select = ["AL2"]\nignore = ["AL201"]', (), {(B, "AL202")}),
        ("select = []", (), set()),
        # the command line over the file
        ('select = ["AL2"]', ("--select", "AL002"), {(C, "AL002")}),
        ('select = ["AL2"]', ("--extend-select", "AL002"), ALL_PROBLEMS),
        ('select = ["AL2"]', ("--ignore", "AL202"), {(B, "AL201")}),
        ('ignore = ["AL201"]', ("--extend-select", "AL201"), ALL_PROBLEMS),
        # a `select` on the command line resets the file's `ignore` too
        ('ignore = ["AL201"]', ("--select", "AL2"), {(B, "AL201"), (B, "AL202")}),
        ('extend-select = ["ALL"]', ("--ignore", "AL0,AL202"), {(B, "AL201")}),
        ("", ("--select", "AL201, missing-parent"), {(B, "AL201"), (C, "AL002")}),
        ("", ("--select", "ALL", "--ignore", "AL2"), {(C, "AL002")}),
    ],
)
def test_selection_precedence(
    run, tmp_path: Path, file: str, cli: tuple[str, ...], expected
) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text(f"[tool.alembic-lint]\n{file}\n")
    assert found(run, *cli, "versions") == expected


def test_selected_rules_are_shown(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\nselect = ["AL0"]\nignore = ["AL005"]\n'
    )
    rules = setting(run, "rules", "--extend-select", "AL900", "--ignore", "AL001", "versions")
    assert rules == "AL002, AL003, AL004, AL006, AL007, AL015, AL900"


# --------------------------------------------------------------------------- paths, exclude


def test_paths_used_when_no_path_given_relative_to_config(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "db" / "versions")
    write(tmp_path / "other", m("dddddddddddd", "yyyyyyyyyyyy"))
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\npaths = ["db/versions"]\n')
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "src" / "pkg")
    assert found(run) == ALL_PROBLEMS
    assert setting(run, "paths") == "['db/versions']"
    # A PATH on the command line replaces `paths`.
    assert found(run, str(tmp_path / "other")) == {("dddddddddddd_example.py", "AL002")}


def test_paths_that_do_not_exist_exit_2(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\npaths = ["nowhere"]\n')
    code, out, err = run()
    assert (code, out) == (2, "")
    assert err.startswith(ERROR) and err.count("\n") == 1 and "nowhere" in err


def test_exclude_globs(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = problems(tmp_path / "versions")
    (versions / "helpers.py").write_text("def helper():\n    pass\n")
    write(versions, m("dddddddddddd", "bbbbbbbbbbbb", upgrade="op.drop_table('t')"))
    every = found(run, "versions")
    assert ("helpers.py", "AL101") in every
    assert {("dddddddddddd_example.py", "AL201")} <= every
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\nexclude = ["helpers.py", "versions/dddd*"]\n'
    )
    # A bare pattern matches the file name anywhere; a pattern with a slash, the path from
    # the config file's directory.
    assert found(run, "versions") == ALL_PROBLEMS
    assert setting(run, "exclude", "versions") == "['helpers.py', 'versions/dddd*']"


def test_exclude_is_relative_to_the_config_file(run, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nexclude = ["versions/cccc*"]\n')
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert found(run, "../versions") == {(B, "AL201"), (B, "AL202")}


def test_everything_excluded_warns(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nexclude = ["versions/*"]\n')
    code, out, err = run("versions")
    assert (code, out) == (0, "All checks passed.\n")
    assert err == "alembic-lint: warning: no migration files in versions\n"


def test_bare_exclude_pattern_matches_a_directory(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    versions = tmp_path / "migrations" / "versions"
    write(versions, m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))
    write(versions / "archive", m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_table('t')"))
    (tmp_path / "alembic.ini").write_text(
        "[alembic]\nscript_location = migrations\nrecursive_version_locations = true\n"
    )
    assert (C, "AL201") in found(run)
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nexclude = ["archive"]\n')
    assert found(run) == set()


# --------------------------------------------------------------------------- per-file-ignores


@pytest.mark.parametrize(
    ("ignores", "expected"),
    [
        ('"bbbb*" = ["AL201"]', {(B, "AL202"), (C, "AL002")}),
        ('"bbbb*" = ["AL2"]', {(C, "AL002")}),
        ('"bbbb*" = ["missing-downgrade"]', {(B, "AL201"), (C, "AL002")}),
        ('"bbbb*" = "AL202"', {(B, "AL201"), (C, "AL002")}),
        ('"versions/*" = ["AL201", "missing-parent"]', {(B, "AL202")}),
        ('"*.py" = ["ALL"]', set()),
        ('"cccc*" = ["AL2"]', ALL_PROBLEMS),
        ('"other/*" = ["ALL"]', ALL_PROBLEMS),
    ],
)
def test_per_file_ignores(run, tmp_path: Path, ignores: str, expected) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text(f"[tool.alembic-lint.per-file-ignores]\n{ignores}\n")
    assert found(run, "versions") == expected


def test_per_file_ignores_shown(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint.per-file-ignores]\n"bbbb*" = ["AL2", "missing-parent"]\n'
    )
    assert setting(run, "per-file-ignores", "versions") == "bbbb* = ['AL2', 'missing-parent']"


# --------------------------------------------------------------------------- rule options


def test_multiple_heads_expected_heads(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path / "versions",
        m("aaaaaaaaaaaa"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        m("cccccccccccc", "aaaaaaaaaaaa"),
    )
    two = {(B, "AL001"), (C, "AL001")}
    assert found(run, "versions") == two
    (tmp_path / "pyproject.toml").write_text(
        "[tool.alembic-lint.rules.multiple-heads]\nexpected-heads = 2\n"
    )
    assert found(run, "versions") == set()
    assert "rules.multiple-heads.expected-heads = 2" in settings_lines(run, "versions")
    write(tmp_path / "versions", m("dddddddddddd", "aaaaaaaaaaaa"))
    assert found(run, "versions") == two | {("dddddddddddd_example.py", "AL001")}


def test_missing_downgrade_allow_irreversible(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write(
        tmp_path / "versions",
        m(
            "aaaaaaaaaaaa",
            upgrade="op.drop_table('legacy', if_exists=True)",
            downgrade="raise NotImplementedError('gone')",
        ),
    )
    assert found(run, "versions") == set()
    (tmp_path / "pyproject.toml").write_text(
        "[tool.alembic-lint.rules.missing-downgrade]\nallow-irreversible = false\n"
    )
    code, out, _ = run("versions")
    assert code == 1
    assert out.splitlines()[0] == (
        "versions/aaaaaaaaaaaa_example.py:22:1: AL202 `downgrade()` only raises; "
        "this project requires reversible migrations"
    )
    assert "rules.missing-downgrade.allow-irreversible = false" in settings_lines(run, "versions")


def test_invalid_revision_id_max_length(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    long_id = "2026_01_01_add_a_long_descriptive_name"  # 38 characters
    write(tmp_path / "versions", m(long_id))
    assert found(run, "versions") == {(f"{long_id}_example.py", "AL102")}
    (tmp_path / "pyproject.toml").write_text(
        "[tool.alembic-lint.rules.invalid-revision-id]\nmax-length = 64\n"
    )
    assert found(run, "versions") == set()
    (tmp_path / "pyproject.toml").write_text(
        "[tool.alembic-lint.rules.invalid-revision-id]\nmax-length = 8\n"
    )
    write(tmp_path / "versions", m("aaaaaaaaaaaa", long_id))
    code, out, _ = run("versions")
    assert code == 1
    assert "AL102 revision id is 12 characters; alembic_version.version_num holds 8" in out


def test_default_rule_options_are_shown(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    lines = settings_lines(run, "versions")
    assert "rules.multiple-heads.expected-heads = 1" in lines
    assert "rules.invalid-revision-id.max-length = 32" in lines
    assert "rules.missing-downgrade.allow-irreversible = true" in lines
    assert "rules.missing-downgrade.check-data-changes = false" in lines
    # Options of rules that are not selected are not shown.
    lines = settings_lines(run, "--select", "AL2", "versions")
    assert [line for line in lines if line.startswith("rules.")] == [
        "rules.missing-downgrade.allow-irreversible = true",
        "rules.missing-downgrade.check-data-changes = false",
    ]


# --------------------------------------------------------------------------- every key at once


def test_show_settings_with_every_key(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "db" / "versions")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.alembic-lint]\n"
        'select = ["AL0", "AL2"]\n'
        'extend-select = ["unused-noqa"]\n'
        'ignore = ["AL005"]\n'
        'exclude = ["helpers.py"]\n'
        'paths = ["db/versions"]\n'
        'target-alembic-version = "1.12"\n'
        'dialect = "mysql"\n'
        'baseline = "lint/baseline.json"\n'
        'head-file = "db/head.txt"\n'
        "[tool.alembic-lint.per-file-ignores]\n"
        '"*_legacy.py" = ["AL201"]\n'
        "[tool.alembic-lint.rules.multiple-heads]\n"
        "expected-heads = 2\n"
        "[tool.alembic-lint.rules.missing-downgrade]\n"
        "allow-irreversible = false\n"
        "check-data-changes = true\n"
        "[tool.alembic-lint.rules.invalid-revision-id]\n"
        "max-length = 40\n"
    )
    code, out, err = run("--show-settings")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"settings file: {tmp_path / 'pyproject.toml'}",
        "rules: AL001, AL002, AL003, AL004, AL006, AL007, AL015, AL201, AL202, AL900",
        "per-file-ignores: *_legacy.py = ['AL201']",
        "exclude: ['helpers.py']",
        "paths: ['db/versions']",
        f"target-alembic-version: 1.12.0 ({tmp_path / 'pyproject.toml'})",
        "baseline: lint/baseline.json",
        "head-file: db/head.txt",
        "rules.multiple-heads.expected-heads = 2",
        "rules.missing-downgrade.allow-irreversible = false",
        "rules.missing-downgrade.check-data-changes = true",
        f"history {tmp_path / 'db' / 'versions'}: 3 files in {tmp_path / 'db' / 'versions'}",
        f"dialect of {tmp_path / 'db' / 'versions'}: mysql "
        f"(`dialect` in {tmp_path / 'pyproject.toml'})",
    ]
    # invalid-revision-id is not selected, so its option is not listed (AL1 is not chosen).


def test_show_settings_defaults(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    lines = settings_lines(run, "versions")
    assert lines[:7] == [
        "settings file: (none: defaults)",
        "rules: " + ", ".join(r.code for r in registry() if r.default and not r.needs_branch),
        "per-file-ignores: (none)",
        "exclude: []",
        "paths: []",
        "target-alembic-version: newest (no pin found: the newest Alembic is assumed)",
        "baseline: (none)",
    ]
    assert lines[-2:] == [
        f"history versions: 3 files in {tmp_path / 'versions'}",
        "dialect of versions: unknown (no `dialect` setting and no sqlalchemy.url; "
        "no evidence in the files)",
    ]


def test_show_settings_exits_0_even_with_findings(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    code, out, err = run("--show-settings", "versions")
    assert (code, err) == (0, "")
    # Nothing is linted: no finding lines, no summary.
    assert not re.search(r": AL\d{3} ", out) and "Found" not in out


# --------------------------------------------------------------------------- bad configuration

S = "[tool.alembic-lint]\n"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (S + "colour = true", ["unknown key 'colour'"]),
        (S + 'extend_select = ["AL2"]', ["unknown key 'extend_select'"]),
        (S + 'select = ["AL999"]', ["'select'", "unknown rule code, prefix or name 'AL999'"]),
        (S + 'select = ["AL7"]', ["'select'", "'AL7'"]),
        (S + 'select = ["nope"]', ["'select'", "'nope'"]),
        (S + 'ignore = ["AL201", "E501"]', ["'ignore'", "'E501'"]),
        (S + 'extend-select = ["al201"]', ["'extend-select'", "'al201'"]),
        (S + "select = 1", ["'select'", "must be a list of rule codes, prefixes or names"]),
        (S + "ignore = [1]", ["'ignore'", "must be a list"]),
        (S + "extend-select = true", ["'extend-select'", "must be a list"]),
        (S + 'per-file-ignores = ["AL201"]', ["'per-file-ignores' must be a table"]),
        (
            S + '[tool.alembic-lint.per-file-ignores]\n"*.py" = ["XY123"]',
            ["per-file-ignores.'*.py'", "unknown rule code, prefix or name 'XY123'"],
        ),
        (
            S + '[tool.alembic-lint.per-file-ignores]\n"*.py" = 201',
            ["per-file-ignores.'*.py'", "must be a list"],
        ),
        (S + 'exclude = "helpers.py"', ["'exclude' must be a list of strings"]),
        (S + "exclude = [1]", ["'exclude' must be a list of strings"]),
        (S + 'paths = "versions"', ["'paths' must be a list of strings"]),
        (S + "paths = [{}]", ["'paths' must be a list of strings"]),
        (S + "target-alembic-version = 1.12", ["'target-alembic-version' must be a string"]),
        (S + 'target-alembic-version = "latest"', ["'target-alembic-version'", "'latest'"]),
        (S + 'target-alembic-version = ""', ["'target-alembic-version'", "invalid version"]),
        (S + 'target-alembic-version = "1.x"', ["'target-alembic-version'", "'1.x'"]),
        (S + 'target-alembic-version = "1!1.12"', ["'target-alembic-version'", "epoch"]),
        (S + "baseline = true", ["'baseline' must be a string"]),
        (S + "rules = []", ["'rules' must be a table"]),
        (
            S + "[tool.alembic-lint.rules.no-such-rule]\nx = 1",
            ["rules.no-such-rule", "unknown rule"],
        ),
        (
            S + "[tool.alembic-lint.rules.AL001]\nexpected-heads = 2",
            ["rules.AL001", "unknown rule"],
        ),
        (
            S + "[tool.alembic-lint.rules]\nmultiple-heads = 2",
            ["rules.multiple-heads must be a table"],
        ),
        (
            S + "[tool.alembic-lint.rules.multiple-heads]\nexpected_heads = 2",
            ["rules.multiple-heads", "unknown option 'expected_heads'", "expected-heads"],
        ),
        (
            S + "[tool.alembic-lint.rules.drop-without-if-exists]\nstrict = true",
            ["rules.drop-without-if-exists", "unknown option 'strict'", "(options: none)"],
        ),
        (
            S + '[tool.alembic-lint.rules.multiple-heads]\nexpected-heads = "2"',
            ["rules.multiple-heads.expected-heads", "expected int, got str"],
        ),
        (
            S + "[tool.alembic-lint.rules.multiple-heads]\nexpected-heads = 1.5",
            ["rules.multiple-heads.expected-heads", "expected int, got float"],
        ),
        (
            S + "[tool.alembic-lint.rules.multiple-heads]\nexpected-heads = 0",
            ["rules.multiple-heads.expected-heads", "must be at least 1"],
        ),
        (
            S + "[tool.alembic-lint.rules.missing-downgrade]\nallow-irreversible = 0",
            ["rules.missing-downgrade.allow-irreversible", "expected bool, got int"],
        ),
        (
            S + '[tool.alembic-lint.rules.missing-downgrade]\nallow-irreversible = "no"',
            ["rules.missing-downgrade.allow-irreversible", "expected bool, got str"],
        ),
        (
            S + "[tool.alembic-lint.rules.invalid-revision-id]\nmax-length = true",
            ["rules.invalid-revision-id.max-length", "expected int, got bool"],
        ),
        (
            S + "[tool.alembic-lint.rules.invalid-revision-id]\nmax-length = -1",
            ["rules.invalid-revision-id.max-length", "must be at least 1"],
        ),
        ("[tool]\nalembic-lint = 1", ["must be a table"]),
    ],
)
def test_bad_pyproject_exits_2_with_one_line(run, tmp_path: Path, text: str, fragments) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    config = tmp_path / "pyproject.toml"
    config.write_text(text + "\n")
    for args in (("versions",), ("--show-settings", "versions")):
        code, out, err = run(*args)
        assert (code, out) == (2, "")
        assert err.startswith(ERROR + f"{config}: ") and err.count("\n") == 1, err
        for fragment in fragments:
            assert fragment in err


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("colour = true", ["unknown key 'colour'"]),
        ('select = ["AL999"]', ["'select'", "'AL999'"]),
        ("[rules.multiple-heads]\nexpected-heads = 0", ["rules.multiple-heads.expected-heads"]),
        ("[tool.alembic-lint]\nignore = 3", ["'ignore' must be a list"]),
        ("[tool.other]\nx = 1", ["unknown key 'tool'"]),
        ("select = [", ["invalid TOML"]),
    ],
)
def test_bad_standalone_config_exits_2_with_one_line(
    run, tmp_path: Path, text: str, fragments
) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "lint.toml").write_text(text + "\n")
    code, out, err = run("--config", "lint.toml", "versions")
    assert (code, out) == (2, "")
    assert err.startswith(ERROR + f"{tmp_path / 'lint.toml'}: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err


def test_invalid_toml_given_with_config(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nselect = ["AL2"\n')
    code, out, err = run("--config", "pyproject.toml", "versions")
    assert (code, out) == (2, "")
    assert err.startswith(ERROR + f"{tmp_path / 'pyproject.toml'}: invalid TOML: ")
    assert err.count("\n") == 1


def test_invalid_toml_in_discovered_pyproject_exits_2(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nselect = ["AL2"\n')
    code, out, err = run("versions")
    assert (code, out) == (2, "")
    assert err.startswith(ERROR + f"{tmp_path / 'pyproject.toml'}: invalid TOML")


def test_standalone_config_with_scalar_tool_key(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "lint.toml").write_text('tool = "x"\n')
    code, out, err = run("--config", "lint.toml", "versions")
    assert (code, out) == (2, "")
    assert err.startswith(ERROR + f"{tmp_path / 'lint.toml'}: ") and err.count("\n") == 1


def test_deeply_nested_toml_config(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    (tmp_path / "lint.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    code, out, err = run("--config", "lint.toml", "versions")
    assert (code, out) == (2, "")
    assert err.startswith(ERROR + f"{tmp_path / 'lint.toml'}: ") and err.count("\n") == 1


def test_unreadable_config_paths(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    code, out, err = run("--config", "missing.toml", "versions")
    assert (code, out) == (2, "")
    assert err == f"{ERROR}{tmp_path / 'missing.toml'}: cannot read: No such file or directory\n"
    (tmp_path / "adir").mkdir()
    code, out, err = run("--config", "adir", "versions")
    assert (code, out) == (2, "")
    assert err.startswith(f"{ERROR}{tmp_path / 'adir'}: cannot read: ") and err.count("\n") == 1
    (tmp_path / "latin.toml").write_bytes(b'select = ["caf\xe9"]\n')
    code, out, err = run("--config", "latin.toml", "versions")
    assert (code, out) == (2, "")
    assert err == f"{ERROR}{tmp_path / 'latin.toml'}: not UTF-8 text\n"


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--select", "AL999"),
        ("--select", "AL201,nope"),
        ("--extend-select", "E501"),
        ("--ignore", "AL7"),
        ("--ignore", "drop_without_if_exists"),
    ],
)
def test_bad_selector_on_the_command_line(run, tmp_path: Path, option: str, value: str) -> None:  # type: ignore[no-untyped-def]
    problems(tmp_path / "versions")
    bad = value.split(",")[-1]
    code, out, err = run(option, value, "versions")
    assert (code, out) == (2, "")
    assert err == f"{ERROR}{option}: unknown rule code, prefix or name {bad!r}\n"


def test_bad_config_reported_before_missing_paths(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pyproject.toml").write_text('[tool.alembic-lint]\nselect = ["AL999"]\n')
    code, _, err = run("no/such/dir")
    assert code == 2 and "AL999" in err and err.count("\n") == 1


# --------------------------------------------------------------------------- `rule`


@pytest.mark.parametrize("key", ["AL201", "drop-without-if-exists"])
def test_rule_command_explains_a_rule(run, key: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("rule", key)
    assert (code, err) == (0, "")
    assert out.startswith("# AL201 drop-without-if-exists\n")
    assert "## What it does" in out and "if_exists" in out


def test_rule_command_lists_every_rule(run) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("rule", "--all")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["CODE", "NAME", "DEFAULT", "FIX", "SUMMARY"]
    assert [line.split()[:2] for line in lines[1:]] == [[r.code, r.name] for r in registry()]
    assert run("rule") == (0, out, "")


def test_rule_command_errors(run) -> None:  # type: ignore[no-untyped-def]
    assert run("rule", "NOPE") == (
        2,
        "",
        f"{ERROR}unknown rule 'NOPE' (see `alembic-lint rule --all`)\n",
    )
    assert run("rule", "AL201", "--all") == (2, "", f"{ERROR}give a rule or --all, not both\n")
