"""A real LSP client (pytest-lsp) for the server tests: capabilities like an editor's, an
editor's application of workspace edits, waiting for what the server publishes."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient
from pytest_lsp.client import make_test_lsp_client

from alembic_lint.rules.examples import File

SERVER = [sys.executable, "-m", "alembic_lint", "server"]
ROOT = Path(__file__).resolve().parent.parent
INI = "[alembic]\nscript_location = %(here)s/migrations\n"


def uri(path: Path | str) -> str:
    return Path(path).absolute().as_uri()


def capabilities(*, pull: bool = False) -> types.ClientCapabilities:
    """An editor's capabilities: edits with file creation, watched files, related
    information; pulled diagnostics only with ``pull``."""
    document = types.TextDocumentClientCapabilities(
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(related_information=True),
        code_action=types.CodeActionClientCapabilities(is_preferred_support=True),
        hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
        completion=types.CompletionClientCapabilities(),
        diagnostic=types.DiagnosticClientCapabilities(related_document_support=False)
        if pull
        else None,
    )
    workspace = types.WorkspaceClientCapabilities(
        apply_edit=True,
        workspace_edit=types.WorkspaceEditClientCapabilities(
            document_changes=True, resource_operations=[types.ResourceOperationKind.Create]
        ),
        did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
            dynamic_registration=True
        ),
        workspace_folders=True,
        diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
        if pull
        else None,
    )
    return types.ClientCapabilities(
        text_document=document,
        workspace=workspace,
        general=types.GeneralClientCapabilities(
            position_encodings=[types.PositionEncodingKind.Utf16]
        ),
    )


def offset(text: str, position: types.Position) -> int:
    """The character offset of an LSP position (UTF-16 units), written independently of
    the server's conversion."""
    lines = text.splitlines(keepends=True)
    before = sum(len(line) for line in lines[: position.line])
    line = lines[position.line] if position.line < len(lines) else ""
    units = 0
    for index, char in enumerate(line):
        if units >= position.character:
            return before + index
        units += 2 if ord(char) > 0xFFFF else 1
    return before + len(line.rstrip("\r\n"))


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    spans = sorted(
        ((offset(text, e.range.start), offset(text, e.range.end), e.new_text) for e in edits),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def apply_workspace_edit(edit: types.WorkspaceEdit) -> list[Path]:
    """Apply an edit to the files on disk as an editor would (and save); the files."""
    touched: list[Path] = []
    for target, edits in (edit.changes or {}).items():
        path = Path(target.removeprefix("file://"))
        path.write_bytes(apply_edits(path.read_bytes().decode(), edits).encode())
        touched.append(path)
    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            path = Path(change.uri.removeprefix("file://"))
            assert not path.exists()
            path.write_bytes(b"")
            touched.append(path)
        elif isinstance(change, types.TextDocumentEdit):
            path = Path(change.text_document.uri.removeprefix("file://"))
            text = path.read_bytes().decode()
            path.write_bytes(apply_edits(text, change.edits).encode())  # type: ignore[arg-type]
            touched.append(path)
    return touched


def make_client() -> LanguageClient:
    """pytest-lsp's client, also applying workspace edits and accepting registrations."""
    client = make_test_lsp_client()
    client.applied = []  # type: ignore[attr-defined]
    client.registrations = []  # type: ignore[attr-defined]

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply(
        client: LanguageClient, params: types.ApplyWorkspaceEditParams
    ) -> types.ApplyWorkspaceEditResult:
        client.applied.append((params, apply_workspace_edit(params.edit)))  # type: ignore[attr-defined]
        return types.ApplyWorkspaceEditResult(applied=True)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        client.registrations.append(params)  # type: ignore[attr-defined]

    return client


def project(root: Path, *files: File, ini: str = INI) -> Path:
    """An Alembic project (alembic.ini, migrations/versions) with ``files``."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic.ini").write_text(ini, encoding="utf-8")
    for file in files:
        (versions / file.filename).write_text(file.source, encoding="utf-8")
    return versions


def demo(root: Path) -> Path:
    """A copy of the demo project; its versions directory."""
    shutil.copytree(
        ROOT / "fixtures" / "demo",
        root,
        ignore=shutil.ignore_patterns(".alembic-*"),
        dirs_exist_ok=True,
    )
    return root / "migrations" / "versions"


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Wait until ``check()`` is true (the server answers asynchronously); its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {check}")
        await asyncio.sleep(0.02)


def codes(client: LanguageClient, path: Path) -> list[str]:
    return [str(d.code) for d in client.diagnostics.get(uri(path), [])]


async def add_folder(client: LanguageClient, folder: Path) -> None:
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri(folder), folder.name)], removed=[]
            )
        )
    )


async def remove_folder(client: LanguageClient, folder: Path) -> None:
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            types.WorkspaceFoldersChangeEvent(
                added=[], removed=[types.WorkspaceFolder(uri(folder), folder.name)]
            )
        )
    )


def open_file(client: LanguageClient, path: Path, text: str | None = None) -> str:
    text = path.read_bytes().decode() if text is None else text
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri(path), "python", 1, text))
    )
    return text


def change_file(client: LanguageClient, path: Path, text: str, version: int = 2) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version, uri(path)),
            [types.TextDocumentContentChangeWholeDocument(text)],
        )
    )


def close_file(client: LanguageClient, path: Path) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri(path)))
    )


def watched(client: LanguageClient, *changes: tuple[Path, types.FileChangeType]) -> None:
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams([types.FileEvent(uri(p), kind) for p, kind in changes])
    )


async def added(client: LanguageClient, root: Path, expect: Path) -> None:
    """Add ``root`` as a workspace folder; wait for the findings of ``expect``."""
    await add_folder(client, root)
    await eventually(lambda: client.diagnostics.get(uri(expect)))
