"""The head file (`head-file` setting): AL015 keeps it honest, `--fix`, `merge` and `rebase`
keep it current. The git conflict it causes between two branches is in
test_against_recipes.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from alembic_lint.cli import main
from alembic_lint.headfile import applies, content, listed
from alembic_lint.rules.examples import m


def project(tmp_path: Path, *revisions: tuple[str, str | None], head: str | None = None) -> Path:
    versions = tmp_path / "db" / "migrations" / "versions"
    versions.mkdir(parents=True)
    for revision, down in revisions:
        file = m(revision, down)
        (versions / file.filename).write_text(file.source, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.alembic-lint]\nhead-file = "db/migrations/head.txt"\n', encoding="utf-8"
    )
    if head is not None:
        (tmp_path / "db" / "migrations" / "head.txt").write_text(head, encoding="utf-8")
    return versions


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_format() -> None:
    assert content(["b", "a", "b"]) == "a\nb\n"
    assert listed("# heads\nb  # the new one\n\na\n") == ["b", "a"]
    assert applies("/p/db/migrations/head.txt", ["/p/db/migrations/versions"])
    assert applies("/p/head.txt", ["/p/db/migrations/versions"])
    assert not applies("/p/other/head.txt", ["/p/db/migrations/versions"])


def test_stale_file_is_reported_and_fixed(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(here, ("aaaaaaaaaaaa", None), ("bbbbbbbbbbbb", "aaaaaaaaaaaa"), head="aaaaaaaaaaaa\n")
    assert main(["--no-cache", "db/migrations/versions"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        "db/migrations/head.txt:1:1: AL015 the head file lists aaaaaaaaaaaa, but the head of "
        "the history is bbbbbbbbbbbb (--fix rewrites it)"
    )
    assert main(["--no-cache", "--fix", "db/migrations/versions"]) == 0
    assert (here / "db/migrations/head.txt").read_text() == "bbbbbbbbbbbb\n"


def test_two_heads_are_listed_and_reported(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(
        here,
        ("aaaaaaaaaaaa", None),
        ("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        ("cccccccccccc", "aaaaaaaaaaaa"),
        head="bbbbbbbbbbbb\n",
    )
    main(["--no-cache", "--fix", "--select", "AL015", "db/migrations/versions"])
    assert (here / "db/migrations/head.txt").read_text() == "bbbbbbbbbbbb\ncccccccccccc\n"


def test_merge_and_rebase_keep_it_current(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = here / "db/migrations/head.txt"
    project(
        here,
        ("aaaaaaaaaaaa", None),
        ("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        ("cccccccccccc", "aaaaaaaaaaaa"),
        head="bbbbbbbbbbbb\ncccccccccccc\n",
    )
    assert main(["rebase", "db/migrations/versions", "--onto", "bbbbbbbbbbbb"]) == 0
    assert head.read_text() == "cccccccccccc\n"
    assert "db/migrations/head.txt: now lists cccccccccccc" in capsys.readouterr().out
    (here / "db/migrations/versions/dddddddddddd_example.py").write_text(
        m("dddddddddddd", "bbbbbbbbbbbb").source, encoding="utf-8"
    )
    assert main(["merge", "db/migrations/versions", "-m", "merge heads"]) == 0
    merged = [line for line in capsys.readouterr().out.splitlines() if "merge_heads" in line]
    revision = Path(merged[0]).name.split("_")[0]
    assert head.read_text() == f"{revision}\n"
    assert main(["--no-cache", "--select", "AL015", "db/migrations/versions"]) == 0


def test_only_the_history_below_it(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(here, ("aaaaaaaaaaaa", None), head="aaaaaaaaaaaa\n")
    other = here / "other" / "versions"
    other.mkdir(parents=True)
    (other / "zzzzzzzzzzzz_example.py").write_text(m("zzzzzzzzzzzz").source, encoding="utf-8")
    assert main(["--no-cache", "--select", "AL015", "db/migrations/versions", str(other)]) == 0


def test_a_bad_setting_is_one_line(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project(here, ("aaaaaaaaaaaa", None))
    (here / "pyproject.toml").write_text("[tool.alembic-lint]\nhead-file = 3\n", encoding="utf-8")
    assert main(["--no-cache", "db/migrations/versions"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'head-file' must be a string" in err
