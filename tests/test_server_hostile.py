"""`alembic-lint server` against a hostile client and a hostile repository: messages no
client library would send, URIs that name no file, buffers too large to read, commands
clicked twice, revision ids written to break out of the files made from them, and what
the server keeps over thousands of notifications. One server serves the module."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from alembic_lint.rules.examples import File, m
from lsp_support import (
    INI,
    SERVER,
    add_folder,
    added,
    change_file,
    close_file,
    codes,
    eventually,
    open_file,
    project,
    uri,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

#: An upgrade with a finding (AL201, AL202): the file is published once its folder is read.
DROP = "op.drop_table('t')"


async def debug(client: LanguageClient) -> dict[str, Any]:
    info: dict[str, Any] = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("alembic-lint.debugInformation")
    )
    return info


def frame(message: dict[str, Any] | bytes) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def responses(output: bytes) -> dict[Any, dict[str, Any]]:
    """The answers (by id) among the messages a server wrote."""
    found: dict[Any, dict[str, Any]] = {}
    while output:
        head, _, rest = output.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
        message = json.loads(rest[:length])
        output = rest[length:]
        if "method" not in message:
            found[message["id"]] = message
    return found


async def converse(*messages: dict[str, Any]) -> tuple[dict[Any, dict[str, Any]], int]:
    """Run a server on ``messages`` (all written at once, as a client would send them
    without waiting); its answers and its exit status."""
    process = await asyncio.create_subprocess_exec(
        *SERVER,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    data = b"".join(frame(message) for message in messages)
    output, _ = await asyncio.wait_for(process.communicate(data), 60)
    return responses(output), await process.wait()


def request(msg_id: int, method: str, params: object = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}


def notification(method: str, params: object = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params}


# -- the conversation


async def test_requests_before_initialize_and_after_shutdown_are_refused(
    tmp_path: Path,
) -> None:
    """LSP: before ``initialize`` a request is refused (-32002) and a notification dropped;
    after ``shutdown`` a request is refused (-32600); the exit status tells whether the
    client asked for the shutdown. pygls answered the first with an internal error and
    never answered the last, and the status was always 0."""
    versions = project(tmp_path, m("aaaaaaaaaaaa", upgrade="op.drop_table('t')"))
    path = versions / "aaaaaaaaaaaa_example.py"
    document = {"uri": uri(path), "languageId": "python", "version": 1, "text": "x = 1\n"}
    position = {"textDocument": {"uri": uri(path)}, "position": {"line": 0, "character": 0}}
    debugging = {"command": "alembic-lint.debugInformation", "arguments": []}
    folders = [{"uri": uri(tmp_path), "name": "project"}]
    answers, status = await converse(
        request(1, "textDocument/hover", position),
        notification("textDocument/didOpen", {"textDocument": document}),
        request(2, "initialize", {"capabilities": {}, "workspaceFolders": folders}),
        notification("initialized", {}),
        request(3, "workspace/executeCommand", debugging),
        request(4, "shutdown"),
        request(5, "textDocument/hover", position),
        request(6, "shutdown"),
        notification("exit"),
    )
    assert answers[1]["error"]["code"] == -32002
    assert "result" in answers[2]
    assert answers[3]["result"]["open"] == []  # the early didOpen was dropped
    assert answers[3]["result"]["histories"][0]["files"] == 1
    assert answers[4]["result"] is None
    assert answers[5]["error"]["code"] == answers[6]["error"]["code"] == -32600
    assert status == 0
    # No shutdown first: 1, whether the client says exit or just goes away.
    assert (await converse(notification("exit")))[1] == 1
    initialize = request(1, "initialize", {"capabilities": {}, "workspaceFolders": folders})
    assert (await converse(initialize, notification("initialized", {})))[1] == 1


async def test_requests_outside_json_rpc_are_answered(client: LanguageClient) -> None:
    """A request without a "jsonrpc": "2.0" member, or whose method is not a string, gets
    an error (pygls dropped them, and the client would wait for ever); the server goes on."""
    assert client._server is not None and client._server.stdin is not None
    loop = asyncio.get_running_loop()
    answers: list[asyncio.Future[object]] = []
    bodies: list[dict[str, Any]] = [
        {"id": "bad-1", "method": "workspace/executeCommand", "params": {}},
        {"jsonrpc": "1.0", "id": "bad-2", "method": "shutdown"},
        {"jsonrpc": "2.0", "id": "bad-3", "method": 5},
    ]
    for body in bodies:
        answer: asyncio.Future[object] = loop.create_future()
        client.protocol._request_futures[body["id"]] = answer  # type: ignore[assignment]
        answers.append(answer)
        client._server.stdin.write(frame(body))
    for answer in answers:
        with pytest.raises(JsonRpcException) as refused:
            await asyncio.wait_for(answer, 10)
        assert refused.value.code == -32600  # Invalid Request
    assert (await debug(client))["version"]


async def test_uris_that_name_no_file_are_not_ours(client: LanguageClient, folder: Path) -> None:
    """A NUL byte, a lone surrogate, no path or a relative one: no file has that name, so
    no document of ours (they were internal errors, from the calls that looked them up)."""
    versions = project(folder, m("aaaaaaaaaaaa", upgrade="op.drop_table('t')"))
    path = versions / "aaaaaaaaaaaa_example.py"
    await added(client, folder, path)
    logged = len(client.log_messages)
    base = uri(versions)
    for name in (f"{base}/bbbb%00.py", f"{base}/bbbb\ud800.py", "file:", "file:relative.py"):
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(name, "python", 1, "x = 1\n"))
        )
        found = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(name), types.Position(0, 0))
        )
        assert found is None
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(name))
        )
    assert (await debug(client))["open"] == []
    errors = [m for m in client.log_messages[logged:] if m.type == types.MessageType.Error]
    assert errors == []


# -- the workspace


async def test_a_hostile_workspace_neither_hangs_nor_kills_the_server(
    client: LanguageClient, folder: Path
) -> None:
    """Files a pull request can bring: a named pipe called *.py (reading it blocked for
    ever), 2,000 nested brackets (LibCST's native parser overflowed the stack and took the
    process down), a 10,000-term sum, a symlink loop, 6 MB of Python. Each is AL100, the
    rest of the history is checked, and the server goes on."""
    versions = project(
        folder,
        m("aaaaaaaaaaaa"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=DROP),
        m("cccccccccccc", "bbbbbbbbbbbb", upgrade="x = " + "(" * 2000 + "1" + ")" * 2000),
        m("dddddddddddd", "cccccccccccc", upgrade="x = " + "+".join(["1"] * 10_000)),
        m("eeeeeeeeeeee", "dddddddddddd", upgrade="x = 'a'\n" * (6 * 1024 * 1024 // 12)),
    )
    os.mkfifo(versions / "ffffffffffff_pipe.py")
    (versions / "loop_a.py").symlink_to("loop_b.py")
    (versions / "loop_b.py").symlink_to("loop_a.py")
    hostile = ["cccccccccccc_example.py", "dddddddddddd_example.py", "eeeeeeeeeeee_example.py"]
    hostile += ["ffffffffffff_pipe.py", "loop_a.py", "loop_b.py"]
    await added(client, folder, versions / "bbbbbbbbbbbb_example.py")
    assert codes(client, versions / "bbbbbbbbbbbb_example.py") == ["AL201", "AL202"]
    for name in hostile:
        await eventually(lambda name=name: "AL100" in codes(client, versions / name))
    info = await debug(client)
    assert info["histories"][-1]["files"] == 8


async def test_a_buffer_too_large_to_analyse(client: LanguageClient, folder: Path) -> None:
    """Pasting megabytes into a migration: AL100 as for a file that large on disk, its
    revision variables kept (its child still has its parent), and the actions under the
    cursor come at once: no ``# noqa`` placed by tokenizing the whole text (seconds a MB,
    at every request), no rebase plan compiling it (20 MB took minutes and 2.9 GB)."""
    versions = project(
        folder,
        m("aaaaaaaaaaaa"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        m("cccccccccccc", "aaaaaaaaaaaa"),
        m("dddddddddddd", "bbbbbbbbbbbb"),
    )
    large, child = versions / "bbbbbbbbbbbb_example.py", versions / "dddddddddddd_example.py"
    await added(client, folder, child)
    text = open_file(client, large)
    # Its first line could take a comment (a docstring's first line cannot).
    change_file(client, large, "import os\n" + text + "x = 'a'\n" * (5 * 1024 * 1024 // 8))
    await eventually(lambda: codes(client, large) == ["AL100"])
    (found,) = client.diagnostics[uri(large)]
    assert found.message == "file is too large to analyse (5.0 MB; the limit is 4.0 MB)"
    assert codes(client, child) == ["AL001"]  # a head, not a child of nothing
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri(large)), found.range, types.CodeActionContext([found])
        )
    )
    assert not actions
    (fork,) = client.diagnostics[uri(child)]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri(child)), fork.range, types.CodeActionContext([fork])
        )
    )
    (rebase,) = [a for a in actions or [] if a.title.startswith("Rebase")]
    assert isinstance(rebase, types.CodeAction) and rebase.disabled is not None
    assert rebase.disabled.reason.endswith("not edited: larger than 512 KB; edit it by hand")
    change_file(client, large, text, version=3)
    await eventually(lambda: codes(client, large) == [])
    close_file(client, large)


async def test_a_broken_alembic_ini_is_shown(client: LanguageClient, folder: Path) -> None:
    """A config Alembic cannot load (the CLI stops on it, exit 2) is shown to the user, as a
    broken pyproject.toml is; it was only written to the log, as for a folder without
    Alembic, and the editor showed nothing at all."""
    project(folder, m("aaaaaaaaaaaa"), ini=INI.replace("script_location", "script_locaton"))
    shown = len(client.messages)
    await add_and_wait(client, folder)
    message = await eventually(lambda: client.messages[shown:])
    assert message[-1].type == types.MessageType.Error
    assert "No 'script_location' key found" in message[-1].message


async def add_and_wait(client: LanguageClient, root: Path) -> None:
    await add_folder(client, root)
    await debug(client)  # answered once the folder is loaded


async def test_a_second_merge_click_writes_no_second_merge(
    client: LanguageClient, folder: Path
) -> None:
    """ "Merge" clicked twice before the editor has applied the first: one merge migration;
    the second is refused, as the CLI refuses a merge of heads already merged. (Both used
    to be written: two merges of the same heads, a new fork.)"""
    versions = project(
        folder,
        m("aaaaaaaaaaaa"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        m("cccccccccccc", "aaaaaaaaaaaa"),
    )
    head = versions / "bbbbbbbbbbbb_example.py"
    await added(client, folder, head)
    params = types.ExecuteCommandParams(
        "alembic-lint.merge", [uri(head), ["bbbbbbbbbbbb", "cccccccccccc"]]
    )
    results = await asyncio.gather(
        client.workspace_execute_command_async(params),
        client.workspace_execute_command_async(params),
        return_exceptions=True,
    )
    written = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, JsonRpcException)]
    assert len(written) == len(refused) == 1
    assert "is not a head revision" in str(refused[0])
    assert [p.name for p in versions.glob("*merge*")] == [Path(written[0]["path"]).name]


async def test_a_rebase_edit_names_the_version_it_was_made_for(
    client: LanguageClient, folder: Path
) -> None:
    """The user types while the editor applies a rebase: the edit names the version of the
    text it was made for, so that the editor refuses it rather than apply it at offsets
    that moved (it was an edit of whatever text the document held by then)."""
    versions = project(
        folder,
        m("aaaaaaaaaaaa"),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
        m("cccccccccccc", "aaaaaaaaaaaa"),
    )
    head = versions / "cccccccccccc_example.py"
    await added(client, folder, head)
    text = open_file(client, head)
    change_file(client, head, text + "# typed, not saved\n", version=7)
    params = types.ExecuteCommandParams(
        "alembic-lint.rebase", [uri(head), "bbbbbbbbbbbb", "cccccccccccc"]
    )
    await client.workspace_execute_command_async(params)
    edit = client.applied[-1][0].edit  # type: ignore[attr-defined]
    assert edit.changes is None
    (change,) = edit.document_changes
    assert change.text_document == types.OptionalVersionedTextDocumentIdentifier(uri(head), 7)
    close_file(client, head)


async def test_a_rebase_through_the_editor_never_edits_a_file_a_symlink_leads_to(
    client: LanguageClient, folder: Path, tmp_path: Path
) -> None:
    """The branch's bottom revision is a symlink to a file outside the versions directory:
    refused as `alembic-lint rebase` refuses it (the edit went to the editor, which wrote
    through the link)."""
    versions = project(folder, m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))
    outside = tmp_path / "outside" / "cccccccccccc_example.py"
    outside.parent.mkdir()
    outside.write_text(m("cccccccccccc", "aaaaaaaaaaaa").source, encoding="utf-8")
    before = outside.read_bytes()
    head = versions / outside.name
    head.symlink_to(outside)
    await added(client, folder, head)
    applied = len(client.applied)  # type: ignore[attr-defined]
    params = types.ExecuteCommandParams(
        "alembic-lint.rebase", [uri(head), "bbbbbbbbbbbb", "cccccccccccc"]
    )
    with pytest.raises(JsonRpcException, match=f"a symlink to {outside}, outside .*; nothing"):
        await client.workspace_execute_command_async(params)
    assert len(client.applied) == applied  # type: ignore[attr-defined]
    assert outside.read_bytes() == before


async def test_merge_of_hostile_revision_ids_writes_no_code(
    client: LanguageClient, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Heads whose ids (from the repository) hold three double quotes and a line break:
    the merge migration's docstring keeps them, nothing of them becomes code (the
    ``Revises:`` line pasted them as they were, as Mako does)."""
    monkeypatch.chdir(folder)  # where the injected code would write (Alembic refuses "-")
    hostile = 'b"""\nopen("INJECTED", "w").write("x")\n"""'
    left = m("bbbbbbbbbbbb", "aaaaaaaaaaaa")  # its own header stays plain
    left = File(left.filename, left.source.replace("= 'bbbbbbbbbbbb'", f"= {hostile!r}"))
    versions = project(folder, m("aaaaaaaaaaaa"), left, m("cccccccccccc", "aaaaaaaaaaaa"))
    head = versions / "cccccccccccc_example.py"
    await added(client, folder, head)
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams("alembic-lint.merge", [uri(head), [hostile, "cccccccccccc"]])
    )
    module = ast.parse(Path(result["path"]).read_text(encoding="utf-8"))
    docstring = ast.get_docstring(module, clean=False)
    assert docstring is not None and f"Revises: {hostile}, cccccccccccc\n" in docstring
    assert not any(isinstance(node, ast.Expr) for node in module.body[1:])
    # Alembic imports the history, the new file included: one head, nothing ran.
    script = ScriptDirectory.from_config(Config(str(folder / "alembic.ini")))
    assert script.get_heads() == [Path(result["path"]).name.split("_")[0]]
    assert not (folder / "INJECTED").exists()


# -- what is kept


async def test_notifications_and_closed_files_leave_nothing_behind(
    client: LanguageClient, folder: Path
) -> None:
    """Hundreds of edits and of new files opened and closed unsaved: nothing is kept per
    notification (pygls kept a future of each, for as long as the server ran) nor per file
    that came and went (each kept a result id)."""
    versions = project(folder, m("aaaaaaaaaaaa", upgrade=DROP), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))
    await added(client, folder, versions / "aaaaaaaaaaaa_example.py")
    before = (await debug(client))["kept"]
    path = versions / "bbbbbbbbbbbb_example.py"
    text = open_file(client, path)
    for version in range(2, 202):
        change_file(client, path, text + "#" * (version % 7), version)
    close_file(client, path)
    for index in range(100):
        new = versions / f"{index:012x}_new.py"
        open_file(client, new, m(f"{index:012x}", "aaaaaaaaaaaa").source)
        close_file(client, new)
    # A request about a position takes every edit in first (Server.sync).
    await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri(path)), types.Position(0, 0))
    )
    after = (await debug(client))["kept"]
    assert after["pendingMessages"] <= 1  # this request itself
    assert after == {**before, "pendingMessages": after["pendingMessages"]}
