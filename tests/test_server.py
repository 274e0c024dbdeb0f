"""`alembic-lint server` end to end: a real LSP client (pytest-lsp) drives the real server
process over standard input and output. One server serves the module; each test adds its
own workspace folder (and removes it after), as an editor adds a project."""

from __future__ import annotations

import ast
import asyncio
import datetime
import json
import re
import shutil
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from alembic_lint.entry import main
from alembic_lint.rules.examples import m
from lsp_support import (
    SERVER,
    add_folder,
    added,
    apply_edits,
    apply_workspace_edit,
    capabilities,
    change_file,
    close_file,
    codes,
    demo,
    eventually,
    make_client,
    open_file,
    project,
    remove_folder,
    uri,
    watched,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

#: A downgrade that undoes something (so that AL202 stays out of the way).
CREATE = "op.create_table('t')"


def fork(folder: Path) -> Path:
    """Two migrations written on the same parent: two heads, nothing else wrong."""
    return project(
        folder,
        m("aaaaaaaaaaaa", message="base"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", message="left"),
        m("cccccccccccc", "aaaaaaaaaaaa", message="right"),
    )


def cli_fix(source: Path, scratch: Path, *args: str) -> dict[str, bytes]:
    """What ``alembic-lint --fix`` makes of the project at ``source`` (on a copy)."""
    shutil.copytree(source, scratch)
    main(["--fix", "--no-cache", *args, str(scratch)])
    return {p.name: p.read_bytes() for p in scratch.rglob("*.py")}


# -- diagnostics


async def test_open_file_shows_its_findings(client: LanguageClient, folder: Path) -> None:
    versions = demo(folder)
    drop = versions / "4f0a2c4e6b79_make_user_email_unique.py"
    await added(client, folder, drop)
    open_file(client, drop)
    (found,) = await eventually(lambda: client.diagnostics.get(uri(drop)))
    assert found.code == "AL201"
    assert found.source == "alembic-lint"
    assert found.severity == types.DiagnosticSeverity.Warning
    assert found.message == "`op.drop_index()` without `if_exists=True`"
    assert found.range == types.Range(types.Position(22, 4), types.Position(22, 55))
    assert found.code_description is not None
    assert found.code_description.href.endswith("docs/rules/drop-without-if-exists.md")
    # Files that are not open have theirs too (the whole history is checked).
    heads = [
        versions / "5b1d3f5a7c92_add_order_items.py",
        versions / "6d3f5b7c9e14_add_last_login_to_users.py",
    ]
    await eventually(lambda: [codes(client, h) for h in heads] == [["AL001"], ["AL001"]])
    (fork,) = client.diagnostics[uri(heads[0])]
    related = {(r.location.uri, r.message) for r in fork.related_information or []}
    # The demo's third head (below a parent that names nothing) is named as well.
    third = versions / "7a8c0e2b4d61_add_sku_to_order_items.py"
    assert related == {
        (uri(heads[1]), "other head 6d3f5b7c9e14 (6d3f5b7c9e14_add_last_login_to_users.py)"),
        (uri(third), "other head 7a8c0e2b4d61 (7a8c0e2b4d61_add_sku_to_order_items.py)"),
        (
            uri(versions / "4f0a2c4e6b79_make_user_email_unique.py"),
            "fork point 4f0a2c4e6b79 (4f0a2c4e6b79_make_user_email_unique.py)",
        ),
    }
    close_file(client, drop)


async def test_unsaved_second_head_flags_the_other_head(
    client: LanguageClient, folder: Path
) -> None:
    versions = project(
        folder, m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"), m("cccccccccccc")
    )
    other = versions / "bbbbbbbbbbbb_example.py"
    lone = versions / "cccccccccccc_example.py"  # a second base: AL001, known to be there
    await added(client, folder, lone)
    (lone).unlink()
    watched(client, (lone, types.FileChangeType.Deleted))
    await eventually(lambda: not codes(client, other))
    # A new migration typed in an unsaved buffer, on the same parent as bbbbbbbbbbbb.
    new = versions / "dddddddddddd_new.py"
    text = m("dddddddddddd", "aaaaaaaaaaaa").source
    open_file(client, new, text)
    # Each file's diagnostics come in a notification of their own: wait for both.
    await eventually(lambda: codes(client, other) == codes(client, new) == ["AL001"])
    assert not new.exists()
    # Typing the right parent resolves it, in both files.
    change_file(
        client,
        new,
        text.replace("aaaaaaaaaaaa", "bbbbbbbbbbbb"),
    )
    await eventually(lambda: not codes(client, other) and not codes(client, new))
    # Back to the fork, then the buffer is closed without saving: the file never existed.
    change_file(client, new, text, version=3)
    await eventually(lambda: codes(client, other) == ["AL001"])
    close_file(client, new)
    await eventually(lambda: not codes(client, other))


async def test_deleted_parent_flags_the_child(client: LanguageClient, folder: Path) -> None:
    versions = project(
        folder,
        m("aaaaaaaaaaaa"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_table('t')", downgrade=CREATE),
    )
    child = versions / "cccccccccccc_example.py"
    await added(client, folder, child)
    assert codes(client, child) == ["AL201"]
    (versions / "bbbbbbbbbbbb_example.py").unlink()
    watched(client, (versions / "bbbbbbbbbbbb_example.py", types.FileChangeType.Deleted))
    await eventually(lambda: codes(client, child) == ["AL002", "AL201"])
    (message,) = [d.message for d in client.diagnostics[uri(child)] if d.code == "AL002"]
    assert message.startswith("down_revision 'bbbbbbbbbbbb' names no revision")


async def test_positions_count_utf16_units(client: LanguageClient, folder: Path) -> None:
    """LSP columns are UTF-16 code units; alembic-lint's are code points."""
    body = "note = '\U0001f600 é'; op.drop_table('t')"  # the emoji is 2 units, 1 point
    versions = project(folder, m("aaaaaaaaaaaa", upgrade=body, downgrade=CREATE))
    path = versions / "aaaaaaaaaaaa_example.py"
    await added(client, folder, path)
    (found,) = client.diagnostics[uri(path)]
    line = path.read_text(encoding="utf-8").splitlines()[found.range.start.line]
    at = line.index("op.drop_table")
    assert found.range.start.character == at + 1  # one more unit than code points
    assert line[at:].startswith("op.drop_table")
    # The same through an open buffer with more text before the call.
    text = path.read_text(encoding="utf-8").replace("note = '", "note = '\U0001f600\U0001f600")
    open_file(client, path, text)
    await eventually(lambda: client.diagnostics[uri(path)][0].range.start.character == at + 5)
    close_file(client, path)


async def test_unparsable_file_is_al100_and_the_rest_still_works(
    client: LanguageClient, folder: Path
) -> None:
    versions = project(
        folder,
        m("aaaaaaaaaaaa"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="print 'python 2'"),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade="op.drop_table('t')", downgrade=CREATE),
    )
    broken = versions / "bbbbbbbbbbbb_example.py"
    await added(client, folder, broken)
    assert codes(client, broken) == ["AL100"]
    await eventually(lambda: codes(client, versions / "cccccccccccc_example.py") == ["AL201"])


async def test_canary_migration_is_never_executed(
    client: LanguageClient, folder: Path, tmp_path: Path
) -> None:
    from conftest import canary_source

    witness = tmp_path / "EXECUTED"
    versions = project(folder, m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))
    path = versions / "cccccccccccc_canary.py"
    path.write_text(canary_source(witness), encoding="utf-8")
    await added(client, folder, path)
    assert codes(client, path) == ["AL201"]
    open_file(client, path)
    change_file(client, path, canary_source(witness) + "\n")
    await eventually(lambda: codes(client, path) == ["AL201"])
    await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri(path)), types.Position(5, 13))
    )
    close_file(client, path)
    assert not witness.exists()


# -- code actions


async def actions_at(
    client: LanguageClient, path: Path, found: types.Diagnostic, only: list[str] | None = None
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri(path)),
            found.range,
            types.CodeActionContext([found], only=only),
        )
    )
    actions = []
    for action in result or []:
        if isinstance(action, types.Command) and action.command.startswith("{"):
            # The client library reads a code action that carries a command as a Command
            # (lsprotocol's choice within the union), with the command object as a string.
            command = types.Command(**ast.literal_eval(action.command))
            action = types.CodeAction(title=action.title, command=command)
        assert isinstance(action, types.CodeAction)
        actions.append(action)
    return actions


def edited(action: types.CodeAction, path: Path, text: str) -> str:
    assert action.edit is not None and action.edit.changes is not None
    return apply_edits(text, action.edit.changes[uri(path)])


async def test_quick_fixes_match_the_cli_byte_for_byte(
    client: LanguageClient, folder: Path, tmp_path: Path
) -> None:
    stale = m(
        "bbbbbbbbbbbb",
        "aaaaaaaaaaaa",
        # Table drops: their fix is safe with the database unknown (see AL201's page).
        upgrade="op.drop_table('v')\nop.drop_table('u')",
        downgrade=CREATE,
    )
    versions = project(folder, m("aaaaaaaaaaaa"), stale)
    path = versions / stale.filename
    # A header left behind by a hand re-parenting, and CRLF line endings, kept by fixes.
    source = stale.source.replace("Revises: aaaaaaaaaaaa", "Revises: 0123456789ab")
    path.write_bytes(source.replace("\n", "\r\n").encode())
    await added(client, folder, path)
    text = open_file(client, path)
    found = await eventually(
        lambda: len(client.diagnostics.get(uri(path), [])) == 3 and client.diagnostics[uri(path)]
    )
    assert [d.code for d in found] == ["AL103", "AL201", "AL201"]
    expected = cli_fix(folder, tmp_path / "cli")[path.name].decode()
    result = text
    for finding in sorted(
        found, key=lambda d: (d.range.start.line, d.range.start.character), reverse=True
    ):
        fixes = [a for a in await actions_at(client, path, finding) if a.is_preferred]
        assert len(fixes) == 1, [a.title for a in fixes]
        assert fixes[0].kind == types.CodeActionKind.QuickFix
        result = edited(fixes[0], path, result)
    assert result == expected
    # "Fix all" gives the same text in one action.
    (every,) = await actions_at(client, path, found[0], only=[types.CodeActionKind.SourceFixAll])
    assert every.title == "Fix all safe alembic-lint problems in this file (3 problems)"
    assert edited(every, path, text) == expected
    close_file(client, path)


async def test_noqa_action_adds_or_extends_a_comment(client: LanguageClient, folder: Path) -> None:
    body = "op.drop_table('t')\nop.drop_index('ix')  # noqa: AL202\nx = '''\nop.drop_table('s')'''"
    versions = project(folder, m("aaaaaaaaaaaa", upgrade=body, downgrade="op.drop_table('w')"))
    path = versions / "aaaaaaaaaaaa_example.py"
    await added(client, folder, path)
    text = open_file(client, path)
    found = await eventually(
        lambda: len(client.diagnostics.get(uri(path), [])) >= 3 and client.diagnostics[uri(path)]
    )
    by_line = {d.range.start.line: d for d in found if d.code == "AL201"}
    lines = text.splitlines(keepends=True)
    for line, after in (
        (18, "    op.drop_table('t')  # noqa: AL201\n"),
        (19, "    op.drop_index('ix')  # noqa: AL202, AL201\n"),
    ):
        (noqa,) = [a for a in await actions_at(client, path, by_line[line]) if "noqa" in a.title]
        assert noqa.title == "Suppress AL201 on this line with `# noqa: AL201`"
        assert not noqa.is_preferred
        assert edited(noqa, path, text) == "".join([*lines[:line], after, *lines[line + 1 :]])
    # The suppressed text is what the engine then reads as suppressing it.
    (noqa,) = [a for a in await actions_at(client, path, by_line[18]) if "noqa" in a.title]
    change_file(client, path, edited(noqa, path, text))
    await eventually(lambda: 18 not in {d.range.start.line for d in client.diagnostics[uri(path)]})
    close_file(client, path)


async def test_merge_command_writes_the_merge_migration(
    client: LanguageClient, folder: Path
) -> None:
    from alembic_lint import scaffold

    versions = fork(folder)
    head = versions / "bbbbbbbbbbbb_left.py"
    await added(client, folder, head)
    (found,) = client.diagnostics[uri(head)]
    merge = [a for a in await actions_at(client, head, found) if a.title.startswith("Write")]
    assert [a.title for a in merge] == ["Write a merge migration of bbbbbbbbbbbb, cccccccccccc"]
    command = merge[0].command
    assert command is not None and command.command == "alembic-lint.merge"
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command.command, command.arguments)
    )
    written = Path(result["path"])
    # Created through the editor (a creation, then the text), as `alembic-lint merge` would.
    assert client.applied[-1][1] == [written, written]  # type: ignore[attr-defined]
    text = written.read_text(encoding="utf-8")
    rev = re.search(r"^revision: str = '([0-9a-f]{12})'$", text, re.M)
    date = re.search(r"^Create Date: (.+)$", text, re.M)
    assert rev and date
    assert written == versions / f"{rev.group(1)}_merge_heads.py"
    values = scaffold.TemplateValues(
        "merge heads",
        rev.group(1),
        ("bbbbbbbbbbbb", "cccccccccccc"),
        datetime.datetime.fromisoformat(date.group(1)),
    )
    assert text == scaffold.render(scaffold.GENERIC_TEMPLATE, values)
    watched(client, (written, types.FileChangeType.Created))
    await eventually(lambda: not codes(client, head))
    assert not codes(client, written)


async def test_rebase_command_matches_the_cli(
    client: LanguageClient, folder: Path, tmp_path: Path
) -> None:
    versions = fork(folder)
    head = versions / "cccccccccccc_right.py"
    shutil.copytree(folder, tmp_path / "cli")
    assert main(["rebase", str(tmp_path / "cli"), "cccccccccccc", "--onto", "bbbbbbbbbbbb"]) == 0
    expected = (tmp_path / "cli" / "migrations" / "versions" / head.name).read_bytes()
    assert expected != head.read_bytes()
    await added(client, folder, head)
    (found,) = client.diagnostics[uri(head)]
    (rebase,) = [a for a in await actions_at(client, head, found) if a.title.startswith("Rebase")]
    assert rebase.title == (
        "Rebase this branch onto bbbbbbbbbbbb (cccccccccccc then revises bbbbbbbbbbbb)"
    )
    assert rebase.command is not None
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(rebase.command.command, rebase.command.arguments)
    )
    assert head.read_bytes() == expected
    watched(client, (head, types.FileChangeType.Changed))
    await eventually(lambda: not codes(client, head))
    # A history whose heads cannot be told (a dangling parent): offered, but disabled.
    versions = demo(tmp_path / "demo")
    await add_folder(client, tmp_path / "demo")
    other = versions / "5b1d3f5a7c92_add_order_items.py"
    await eventually(lambda: codes(client, other))
    (found,) = client.diagnostics[uri(other)]
    rebases = [a for a in await actions_at(client, other, found) if a.title.startswith("Rebase")]
    assert len(rebases) == 2  # onto each of the two other heads
    for rebase in rebases:
        assert rebase.disabled is not None and "cannot tell the heads" in rebase.disabled.reason
    await remove_folder(client, tmp_path / "demo")


# -- navigation


def position_of(path: Path, needle: str, nth: int = 0, shift: int = 1) -> types.Position:
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [(n, line.index(needle)) for n, line in enumerate(lines) if needle in line]
    line, column = hits[nth]
    return types.Position(line, column + shift)


async def test_definition_references_hover(client: LanguageClient, folder: Path) -> None:
    versions = demo(folder)
    child = versions / "5b1d3f5a7c92_add_order_items.py"
    parent = versions / "4f0a2c4e6b79_make_user_email_unique.py"
    await added(client, folder, child)
    doc = types.TextDocumentIdentifier(uri(child))
    revision_line = position_of(parent, "revision: str = '4f0a2c4e6b79'").line
    for where in (
        position_of(child, "= '4f0a2c4e6b79'", shift=4),  # down_revision
        position_of(child, "Revises: 4f0a2c4e6b79", shift=12),  # the header
    ):
        found = await client.text_document_definition_async(types.DefinitionParams(doc, where))
        assert isinstance(found, list) and len(found) == 1
        assert found[0].uri == uri(parent) and found[0].range.start.line == revision_line
    # References of the fork point: its two children.
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri(parent)),
            position=position_of(parent, "'4f0a2c4e6b79'", shift=3),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert refs is not None
    assert sorted(Path(r.uri).name for r in refs) == [
        "5b1d3f5a7c92_add_order_items.py",
        "6d3f5b7c9e14_add_last_login_to_users.py",
    ]
    hover = await client.text_document_hover_async(
        types.HoverParams(doc, position_of(child, "= '4f0a2c4e6b79'", shift=4))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value == (
        "**4f0a2c4e6b79** make user email unique\n\n"
        "`migrations/versions/4f0a2c4e6b79_make_user_email_unique.py`  \n"
        "created 2026-03-12 16:48:30.072615  \nbranch point"
    )
    own = await client.text_document_hover_async(
        types.HoverParams(doc, position_of(child, "revision: str = '5b1d3f5a7c92'", shift=18))
    )
    assert own is not None and isinstance(own.contents, types.MarkupContent)
    assert own.contents.value.endswith("head")


async def test_definition_of_depends_on_ids_and_labels(
    client: LanguageClient, folder: Path
) -> None:
    versions = project(
        folder,
        m("aaaaaaaaaaaa", labels="core"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        m("cccccccccccc", "bbbbbbbbbbbb", depends=("aaaaaaaaaaaa", "core")),
    )
    child = versions / "cccccccccccc_example.py"
    await add_folder(client, folder)
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams("alembic-lint.debugInformation")
    )
    doc = types.TextDocumentIdentifier(uri(child))
    base = versions / "aaaaaaaaaaaa_example.py"
    for needle, expected in (("'aaaaaaaaaaaa', 'core'", "revision"), ("'core')", "branch_labels")):
        found = await client.text_document_definition_async(
            types.DefinitionParams(doc, position_of(child, needle, shift=3))
        )
        assert isinstance(found, list) and [f.uri for f in found] == [uri(base)]
        line = base.read_text(encoding="utf-8").splitlines()[found[0].range.start.line]
        assert line.startswith(f"{expected} = ")


async def test_hover_on_a_noqa_code_shows_the_rule(client: LanguageClient, folder: Path) -> None:
    versions = project(
        folder, m("aaaaaaaaaaaa", upgrade="op.drop_table('t')  # noqa: AL202, AL201")
    )
    path = versions / "aaaaaaaaaaaa_example.py"
    await add_folder(client, folder)
    await eventually(lambda: uri(path) in client.diagnostics)
    doc = types.TextDocumentIdentifier(uri(path))
    hover = await client.text_document_hover_async(
        types.HoverParams(doc, position_of(path, "AL201", shift=2))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value.startswith("**AL201** `drop-without-if-exists`\n\n## What it does")
    assert hover.range is not None and hover.range.end.character - hover.range.start.character == 5
    nothing = await client.text_document_hover_async(
        types.HoverParams(doc, position_of(path, "op.drop_table", shift=2))
    )
    assert nothing is None


async def test_completion_offers_heads_first(client: LanguageClient, folder: Path) -> None:
    versions = project(
        folder,
        m("aaaaaaaaaaaa", message="first"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", message="second"),
        m("cccccccccccc", "bbbbbbbbbbbb", message="third", upgrade="op.drop_table('t')"),
    )
    await added(client, folder, versions / "cccccccccccc_third.py")
    new = versions / "dddddddddddd_fourth.py"
    text = m("dddddddddddd", "c", message="fourth").source.replace(
        "down_revision = 'c'", "down_revision = 'c"
    )
    open_file(client, new, text)
    (line,) = [n for n, x in enumerate(text.splitlines()) if x == "down_revision = 'c"]
    where = types.Position(line, len("down_revision = 'c"))
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri(new)), where)
    )
    assert isinstance(result, types.CompletionList)
    items = sorted(result.items, key=lambda i: i.sort_text or "")
    assert [i.label for i in items] == ["cccccccccccc", "bbbbbbbbbbbb", "aaaaaaaaaaaa"]
    assert items[0].detail == "head: third"
    edit = items[0].text_edit
    assert isinstance(edit, types.TextEdit)
    assert apply_edits(text, [edit]).count("down_revision = 'cccccccccccc") == 1
    # Outside a down_revision string, nothing.
    none = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri(new)), types.Position(0, 3))
    )
    assert none is None
    close_file(client, new)


# -- settings, robustness


async def test_settings_reload_when_pyproject_changes(client: LanguageClient, folder: Path) -> None:
    versions = project(folder, m("aaaaaaaaaaaa", upgrade="op.drop_table('t')", downgrade=CREATE))
    path = versions / "aaaaaaaaaaaa_example.py"
    await added(client, folder, path)
    assert codes(client, path) == ["AL201"]
    pyproject = folder / "pyproject.toml"
    pyproject.write_text('[tool.alembic-lint]\nignore = ["AL201"]\n', encoding="utf-8")
    watched(client, (pyproject, types.FileChangeType.Created))
    await eventually(lambda: not codes(client, path))
    pyproject.write_text('[tool.alembic-lint]\nignore = ["AL202"]\n', encoding="utf-8")
    watched(client, (pyproject, types.FileChangeType.Changed))
    await eventually(lambda: codes(client, path) == ["AL201"])
    # A broken settings file is shown to the user, and fixing it recovers.
    shown = len(client.messages)
    pyproject.write_text('[tool.alembic-lint]\nignore = "AL201\n', encoding="utf-8")
    watched(client, (pyproject, types.FileChangeType.Changed))
    await eventually(lambda: len(client.messages) > shown)
    assert "invalid TOML" in client.messages[-1].message
    pyproject.write_text('[tool.alembic-lint]\nignore = ["AL201"]\n', encoding="utf-8")
    watched(client, (pyproject, types.FileChangeType.Changed))
    await eventually(lambda: uri(path) in client.diagnostics and not codes(client, path))


async def test_failing_and_malformed_requests_do_not_stop_the_server(
    client: LanguageClient,
) -> None:
    from pygls.exceptions import JsonRpcException

    logged = len(client.log_messages)
    # A command that fails: answered with an error, and logged.
    with pytest.raises(JsonRpcException, match="not a migration"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams("alembic-lint.merge", ["file:///nowhere.py", []])
        )
    errors = await eventually(
        lambda: [m for m in client.log_messages[logged:] if m.type == types.MessageType.Error]
    )
    assert "is not a migration of a history in the workspace" in errors[0].message
    # A request whose parameters have the wrong shape, and bytes that are not JSON at all,
    # written as they are (the client library would not send them): the first is answered
    # with an error, the second (which has no id to answer) is skipped.
    assert client._server is not None and client._server.stdin is not None
    answer: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    client.protocol._request_futures["malformed-1"] = answer  # type: ignore[assignment]
    for body in (
        b'{"jsonrpc": "2.0", "id": "malformed-1", "method": "textDocument/hover", '
        b'"params": {"textDocument": 3}}',
        b"{garbage!",
    ):
        client._server.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    with pytest.raises(JsonRpcException):
        await asyncio.wait_for(answer, 10)
    assert any("malformed" in m.message for m in client.log_messages[logged:])
    # And the server goes on.
    info = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("alembic-lint.debugInformation")
    )
    assert info["version"]


async def test_process_keeps_none_of_the_cli_speed_devices(client: LanguageClient) -> None:
    info = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("alembic-lint.debugInformation")
    )
    assert info["gcEnabled"] is True
    assert info["replayTrace"] is False
    assert info["longRunning"] is True
    assert json.dumps(info)


async def test_capabilities(client: LanguageClient) -> None:
    capabilities = client.initialize_result.capabilities  # type: ignore[attr-defined]
    provider = capabilities.diagnostic_provider
    assert provider.inter_file_dependencies is True
    assert provider.workspace_diagnostics is True
    assert capabilities.text_document_sync.change == types.TextDocumentSyncKind.Full
    assert capabilities.position_encoding == types.PositionEncodingKind.Utf16
    assert set(capabilities.execute_command_provider.commands) == {
        "alembic-lint.merge",
        "alembic-lint.rebase",
        "alembic-lint.debugInformation",
    }
    assert list(capabilities.code_action_provider.code_action_kinds) == [
        "quickfix",
        "source.fixAll.alembic-lint",
    ]
    assert capabilities.definition_provider and capabilities.references_provider
    assert capabilities.hover_provider and capabilities.completion_provider


async def test_a_burst_of_edits_is_checked_a_few_times(
    client: LanguageClient, folder: Path
) -> None:
    """Changes are debounced: the first after a pause is checked at once, those that follow
    within the gap are taken together; the last text always wins."""
    versions = project(folder, m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))
    other = versions / "bbbbbbbbbbbb_example.py"
    await add_folder(client, folder)
    # Requests are answered in order: this one after the folder is loaded.
    info = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("alembic-lint.debugInformation")
    )
    new = versions / "cccccccccccc_new.py"
    text = m("cccccccccccc", "bbbbbbbbbbbb").source
    open_file(client, new, text)
    for version in range(2, 32):  # typing: thirty edits, the last one makes a second head
        parent = "aaaaaaaaaaaa" if version == 31 else "bbbbbbbbbbbb"
        change_file(client, new, text.replace("bbbbbbbbbbbb", parent), version)
    await eventually(lambda: codes(client, other) == ["AL001"])
    after = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("alembic-lint.debugInformation")
    )
    assert 1 <= after["checks"] - info["checks"] < 10
    close_file(client, new)


async def test_watchers_are_registered(client: LanguageClient) -> None:
    (registration,) = client.registrations  # type: ignore[attr-defined]
    (watch,) = registration.registrations
    assert watch.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    patterns = {w["globPattern"] for w in watch.register_options["watchers"]}
    assert {"**/pyproject.toml", "**/alembic.ini", "**/*.py"} <= patterns


async def test_apply_workspace_edit_helper_creates_files(tmp_path: Path) -> None:
    """The test client's stand-in for an editor applies creations and edits in order."""
    target = tmp_path / "new.py"
    edit = types.WorkspaceEdit(
        document_changes=[
            types.CreateFile(uri=uri(target)),
            types.TextDocumentEdit(
                types.OptionalVersionedTextDocumentIdentifier(uri(target), None),
                [types.TextEdit(types.Range(types.Position(0, 0), types.Position(0, 0)), "x\n")],
            ),
        ]
    )
    assert apply_workspace_edit(edit) == [target, target]
    assert target.read_text() == "x\n"


async def test_pulled_diagnostics_and_a_settings_file_given(tmp_path: Path) -> None:
    """A client that pulls diagnostics (and a server given --config): nothing is pushed,
    the reports carry result ids, a change asks the client to pull again."""
    settings = tmp_path / "lint.toml"
    settings.write_text('[tool.alembic-lint]\nignore = ["AL201"]\n', encoding="utf-8")
    root = tmp_path / "project"
    versions = project(
        root,
        m("aaaaaaaaaaaa"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade="op.drop_table('t')"),
    )
    path = versions / "bbbbbbbbbbbb_example.py"
    puller = make_client()
    await puller.start_io(*SERVER, "--config", str(settings))
    try:
        await puller.initialize_session(
            types.InitializeParams(
                capabilities=capabilities(pull=True),
                workspace_folders=[types.WorkspaceFolder(uri(root), "project")],
            )
        )
        doc = types.TextDocumentIdentifier(uri(path))
        report = await puller.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=doc)
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        assert [d.code for d in report.items] == ["AL202"]  # AL201 is ignored by lint.toml
        same = await puller.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=doc, previous_result_id=report.result_id)
        )
        assert isinstance(same, types.RelatedUnchangedDocumentDiagnosticReport)
        everything = await puller.workspace_diagnostic_async(
            types.WorkspaceDiagnosticParams(previous_result_ids=[])
        )
        assert {Path(item.uri).name: len(item.items) for item in everything.items} == {  # type: ignore[union-attr]
            "aaaaaaaaaaaa_example.py": 0,
            "bbbbbbbbbbbb_example.py": 1,
        }
        ids = [types.PreviousResultId(i.uri, i.result_id or "") for i in everything.items]
        again = await puller.workspace_diagnostic_async(
            types.WorkspaceDiagnosticParams(previous_result_ids=ids)
        )
        assert all(i.kind == "unchanged" for i in again.items)
        # An unsaved second head: the client is asked to pull again, and sees it.
        refreshes = puller.diagnostic_refresh_count
        open_file(
            puller, versions / "cccccccccccc_new.py", m("cccccccccccc", "aaaaaaaaaaaa").source
        )
        await eventually(lambda: puller.diagnostic_refresh_count > refreshes)
        report = await puller.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=doc, previous_result_id=report.result_id)
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        assert [d.code for d in report.items] == ["AL001", "AL202"]
        assert puller.diagnostics == {}  # nothing was pushed
    finally:
        await puller.shutdown_session()
        await puller.stop()
