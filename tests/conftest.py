"""Shared helpers: write example histories to disk and lint them; the language server's
client and workspace folders."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from alembic_lint import engine
from alembic_lint.diagnostics import Diagnostic
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import Example, File
from lsp_support import SERVER, capabilities, eventually, make_client, remove_folder, uri


@pytest.fixture(scope="session", autouse=True)
def session_cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """alembic-lint keeps its key and default cache in $XDG_CACHE_HOME: the session's
    own, so that tests never write to the user's ~/.cache (the tools tests drive, such as
    pip and virtualenv, start from an empty cache there once per session)."""
    home = tmp_path_factory.mktemp("xdg-cache")
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(home)
    yield home
    if saved is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = saved


@pytest.fixture
def cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache home of this test's own, for tests that look into it: alembic-lint's
    directory there (its key, its default cache directories, its replay records)."""
    home = tmp_path_factory.mktemp("cache-home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home / "alembic-lint"


def write_example(example: Example, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for file in example.files:
        (directory / file.filename).write_text(file.source, encoding="utf-8")
    return directory


def lint_dir(
    directory: Path, rules: Iterable[Rule] | None = None, head_file: str = ""
) -> list[Diagnostic]:
    files = sorted(p for p in directory.iterdir() if p.suffix == ".py")
    history = engine.load_history(str(directory), files)
    if head_file:
        path = directory / head_file
        text = path.read_text(encoding="utf-8") if path.exists() else None
        history = replace(history, head_file=(str(path), text))
    return engine.check_history(
        history, list(rules) if rules is not None else engine.default_rules()
    )


def canary_source(witness: Path) -> str:
    """A migration that, if anything executed it, would write ``witness`` and import a
    package that does not exist (the AL201 on line 11 shows that it was read)."""
    return (
        f"import pathlib\n"
        f"pathlib.Path({str(witness)!r}).write_text('the linter executed me')\n"
        f"import this_package_does_not_exist_anywhere\n"
        f"from alembic import op\n\n"
        f"revision = 'cccccccccccc'\n"
        f"down_revision = 'bbbbbbbbbbbb'\n\n"
        f"def upgrade():\n"
        f"    pathlib.Path({str(witness)!r}).write_text('upgrade ran')\n"
        f"    op.drop_index('ix_canary')\n\n"
        f"def downgrade():\n"
        f"    raise NotImplementedError\n"
    )


def triples(diagnostics: Sequence[Diagnostic]) -> set[tuple[str, int, str]]:
    return {(Path(d.location.path).name, d.location.line, d.code) for d in diagnostics}


def lint_branch(
    example: Example, repo: Path, rules: Iterable[Rule] | None = None
) -> list[Diagnostic]:
    """A branch example (``examples.against``): ``main`` holds the base then the target's
    changes; the branch's changes are left uncommitted on ``feature``, which forked from
    the base; then ``--against main``."""
    from alembic_lint import against
    from git_support import two_branches

    def tree(files: Iterable[File]) -> dict[str, str | None]:
        return {f"versions/{f.filename}": f.source for f in files}

    work: dict[str, str | None] = tree(example.files)
    work.update((f"versions/{name}", None) for name in example.deleted)
    two_branches(repo, tree(example.base), tree(example.target), {}, work=work)
    chosen = list(rules) if rules is not None else engine.default_rules()
    return against.lint("main", [str(repo / "versions")], chosen, where=repo)


@pytest.fixture
def lint(tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(example: Example, rules: Iterable[Rule] | None = None) -> list[Diagnostic]:
        if example.branch:
            return lint_branch(example, tmp_path / "repo", rules)
        return lint_dir(write_example(example, tmp_path / "versions"), rules, example.head_file)

    return run


# -- the language server's tests: one server per test module, a workspace folder per test


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER, client_factory=make_client),
    scope="module",
)
async def client(lsp_client: LanguageClient, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    empty = tmp_path_factory.mktemp("empty")
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(),
            workspace_folders=[types.WorkspaceFolder(uri(empty), "empty")],
        )
    )
    lsp_client.initialize_result = result  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest_asyncio.fixture(loop_scope="module")
async def folder(client: LanguageClient, tmp_path: Path) -> AsyncIterator[Path]:
    """This test's workspace folder (the test fills it, then calls ``added``)."""
    root = tmp_path / "project"
    root.mkdir()
    yield root
    await remove_folder(client, root)
    # Its findings are withdrawn with it.
    await eventually(
        lambda: not any(k.startswith(uri(root)) and v for k, v in client.diagnostics.items())
    )
