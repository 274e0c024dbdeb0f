"""The language server: pygls handlers over the state (engine, rules, fixes), the pushing
and pulling of diagnostics, and what keeps one failing request from stopping it."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import traceback
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInternalError,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCProtocol, LanguageServerProtocol

from alembic_lint import __version__
from alembic_lint.server import actions, navigate
from alembic_lint.server.convert import Placer, path_of, uri_of
from alembic_lint.server.state import State

NAME = "alembic-lint"
#: After a check, edits wait this long (seconds) before the next one: the first edit after
#: a pause is checked at once, a burst of typing is checked a few times a second.
GAP = 0.2
#: Files whose change means settings or histories may have changed.
SETTINGS_FILES = ("pyproject.toml", "alembic.ini")

logger = logging.getLogger(__name__)


class _Rejected:
    """A request that cannot be handled as sent: parameters without the shape its method
    needs, no JSON-RPC 2.0 envelope, sent before ``initialize`` or after ``shutdown``."""

    def __init__(self, msg_id: Any, method: str, error: JsonRpcException) -> None:
        self.id = msg_id
        self.method = method
        self.error = error


class _Protocol(LanguageServerProtocol):
    """pygls's protocol, except that every request is answered (pygls drops a malformed
    one, one before ``initialize`` and one after ``shutdown``, and the client would wait
    for its answer for ever), notifications before ``initialize`` are dropped as LSP says,
    and a handled notification leaves nothing behind."""

    def __init__(self, server: Any, converter: Any) -> None:
        super().__init__(server, converter)
        self._started = False  # ``initialize`` was received

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if "id" in data and "method" in data:
                method = data["method"]
                error = exc
                if not isinstance(method, str):
                    error = JsonRpcInvalidRequest("the method is not a string")
                return _Rejected(data["id"], str(method), error)
            raise

    def handle_message(self, message: Any) -> None:
        message = self._screened(message)
        if isinstance(message, _Rejected):
            server = self._server
            assert isinstance(server, Server)
            if self._started:  # before initialize, the client may not take log messages
                reason = message.error.message
                if isinstance(message.error, JsonRpcInvalidParams):
                    reason = "malformed request"
                server.log(f"{message.method}: {reason}", types.MessageType.Error)
            self._send_response(message.id, error=message.error.to_response_error())
            return
        if message is None:
            return
        super().handle_message(message)

    def _screened(self, message: Any) -> Any:
        """``message``, a :class:`_Rejected` for a request that must be refused, or None for
        a notification that must be dropped."""
        if isinstance(message, dict):  # no "jsonrpc" member: pygls leaves it unread
            if "id" in message and "method" in message:
                error = JsonRpcInvalidRequest("not a JSON-RPC 2.0 request")
                return _Rejected(message["id"], str(message["method"]), error)
            return None
        method = getattr(message, "method", None)
        if isinstance(message, _Rejected) or not isinstance(method, str):
            return message  # an answer to one of our requests, or already refused
        request = getattr(message, "id", None) is not None
        if getattr(message, "jsonrpc", None) != JsonRPCProtocol.VERSION:
            error = JsonRpcInvalidRequest("not a JSON-RPC 2.0 request")
            return _Rejected(message.id, method, error) if request else None
        if method == types.INITIALIZE:
            self._started = True
        elif not self._started and method != types.EXIT:
            if not request:
                return None
            return _Rejected(message.id, method, JsonRpcServerNotInitialized())
        elif self._shutdown and request:
            error = JsonRpcInvalidRequest("the server is shutting down")
            return _Rejected(message.id, method, error)
        return message

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        # pygls files the future of each handler that runs as a generator (its own ones for
        # didOpen, didChange, didClose...), a coroutine or a thread under the message's id,
        # and removes it only when it answers a request: every notification left one
        # behind, for as long as the server ran. Each is removed once done.
        def done(future: Future[Any]) -> None:
            if self._request_futures.get(msg_id) is future:
                del self._request_futures[msg_id]
            callback(future)

        super()._execute_handler(msg_id, handler, done, args, kwargs)


class Server(LanguageServer):
    """alembic-lint's language server: every history of the workspace folders, checked over
    the files on disk and the editor's unsaved buffers."""

    def __init__(self, config_file: Path | None = None) -> None:
        super().__init__(
            NAME,
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Full,
            protocol_cls=_Protocol,
        )
        self.state = State(config_file)
        self.pull = False  # the client asks for diagnostics (else they are published)
        self.uris: dict[str, str] = {}  # open documents: tracked path -> the client's URI
        self._timer: asyncio.TimerHandle | None = None
        self._last = float("-inf")
        self._shown: set[str] = set()  # paths last published with findings
        self._results: dict[str, str] = {}  # path -> result id of its current findings
        self._generation = 0
        self.checks = 0  # how many times edits were taken in (see schedule)
        self.writing = asyncio.Lock()  # held by a command that writes (merge, rebase)

    # -- telling the user

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(kind, message))

    def report_server_error(self, error: Exception, source: Any) -> None:
        """A failing request (already answered with an error) or notification: logged in
        the client's log, never shown as a pop-up; the server goes on."""
        detail = "".join(traceback.format_exception(error)).rstrip()
        try:
            self.log(f"{source.__name__}: {error}\n{detail}", types.MessageType.Error)
        except Exception:  # the connection itself is gone
            logger.exception("cannot report an error")

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def placer(self) -> Placer:
        return Placer(self.state, self.encoding, self.uris)

    # -- checking

    def load(self) -> None:
        """(Re)discover the histories and read every file; tell what changed."""
        before = {p: tracked.findings.get(p, []) for p, tracked in self._owned()}
        for project in self.state.load():
            for warning in project.warnings:
                self.log(warning, types.MessageType.Warning)
            problem = project.problem
            if problem is None:
                continue
            if project.serious:  # settings the user must fix; else a folder without Alembic
                self.window_show_message(types.ShowMessageParams(types.MessageType.Error, problem))
            kind = types.MessageType.Error if project.serious else types.MessageType.Info
            self.log(problem, kind)
        # Settings may change every finding: all are told again (a rare event).
        self.announce(before.keys() | {p for p, _ in self._owned()})

    def _owned(self) -> Iterable[tuple[str, Any]]:
        for tracked in self.state.histories():
            for path in tracked.files:
                yield path, tracked

    def schedule(self) -> None:
        """Check again soon: at once after a pause, else when the gap since the last check
        has passed (edits meanwhile are taken together)."""
        if self._timer is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last + GAP - loop.time())
        self._timer = loop.call_later(delay, self._scheduled)

    def _scheduled(self) -> None:
        self._timer = None
        try:
            self.sync()
        except Exception as exc:
            self.report_server_error(exc, JsonRpcInternalError)

    def sync(self) -> None:
        """Bring the findings up to date with every edit received (requests about
        positions call this first, so that they see the text the client sees)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.state.dirty:
            return
        self.checks += 1
        try:
            self.announce(self.state.flush())
        finally:
            self._last = asyncio.get_running_loop().time()

    def announce(self, paths: Iterable[str]) -> None:
        """Tell the client about the findings of ``paths``: publish them, or ask a pulling
        client to pull again."""
        paths = set(paths)
        if not paths:
            return
        for path in paths:
            if self.state.owner(path) is None:
                # No findings, ever again unless it comes back: "0" says so (see result_id),
                # and nothing is kept for every file that came and went.
                self._results.pop(path, None)
            else:
                self._generation += 1
                self._results[path] = str(self._generation)
        if self.pull:
            refresh = self.client_capabilities.workspace
            if refresh and refresh.diagnostics and refresh.diagnostics.refresh_support:
                self.workspace_diagnostic_refresh(None)
            return
        placer = self.placer()
        for path in sorted(paths):
            items = self.diagnostics(path, placer)
            if not items and path not in self._shown:
                continue  # never shown with findings: nothing to clear
            if items:
                self._shown.add(path)
            else:
                self._shown.discard(path)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=placer.uri(path), diagnostics=items)
            )

    def diagnostics(self, path: str, placer: Placer) -> list[types.Diagnostic]:
        tracked = self.state.owner(path)
        if tracked is None:
            return []
        return [
            placer.diagnostic(d, self.state.fork_points(tracked, d))
            for d in tracked.findings.get(path, [])
        ]

    def kept(self) -> dict[str, int]:
        """How much the server keeps per message and per file (for the tests that hold it
        bounded: nothing may grow with every edit, nor with every file that came and went)."""
        return {
            "pendingMessages": len(self.protocol._request_futures),
            "resultIds": len(self._results),
            "shown": len(self._shown),
            "uris": len(self.uris),
            "paths": len(list(self.state.all_paths())),
            "statements": self.state.statements_kept(),
        }

    def result_id(self, path: str) -> str:
        """The id of the findings of ``path`` as they are now ("0": none, not in a history)."""
        return self._results.get(path, "0")


def build(config_file: Path | None = None) -> Server:
    """The server with its handlers."""
    server = Server(config_file)
    commands = actions.COMMANDS

    @server.feature(types.INITIALIZE)
    def initialize(ls: Server, params: types.InitializeParams) -> None:
        folders = [path_of(f.uri) for f in params.workspace_folders or []]
        if not folders:
            given = params.root_uri or (uri_of(params.root_path) if params.root_path else None)
            folders = [(path_of(given) if given else None) or os.getcwd()]
        ls.state.folders = [Path(os.path.abspath(f)) for f in folders if f]
        document = params.capabilities.text_document
        ls.pull = document is not None and document.diagnostic is not None

    @server.feature(types.INITIALIZED)
    def initialized(ls: Server, params: types.InitializedParams) -> None:
        ls.load()
        watch = ls.client_capabilities.workspace
        changes = watch.did_change_watched_files if watch else None
        if changes is not None and changes.dynamic_registration:
            patterns = ["**/pyproject.toml", "**/alembic.ini", "**/*.py", *ls.state.baselines()]
            if ls.state.config_file is not None:
                patterns.append(str(ls.state.config_file))
            options = types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern=p) for p in patterns]
            )
            ls.client_register_capability(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id="alembic-lint-watch",
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=options,
                        )
                    ]
                )
            )

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: Server, params: types.DidOpenTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path is not None:
            ls.uris[ls.state.opened(path, params.text_document.text)] = params.text_document.uri
            ls.schedule()

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: Server, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = path_of(uri)
        if path is not None:
            ls.state.opened(path, ls.workspace.get_text_document(uri).source)
            ls.schedule()

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: Server, params: types.DidSaveTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path is not None:
            ls.state.touched(path)
            ls.schedule()

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: Server, params: types.DidCloseTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path is not None:
            ls.uris.pop(ls.state.closed(path), None)
            ls.schedule()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: Server, params: types.DidChangeWatchedFilesParams) -> None:
        reload = relist = False
        config_file = ls.state.config_file
        for change in params.changes:
            path = path_of(change.uri)
            if path is None:
                continue
            if (
                os.path.basename(path) in SETTINGS_FILES
                or (config_file is not None and Path(path) == config_file)
                or ls.state.is_baseline(path)
            ):
                reload = True
            elif path.endswith(".py"):
                if change.type == types.FileChangeType.Changed:
                    ls.state.touched(path)
                else:
                    relist = True
        if reload:
            ls.load()
            return
        if relist:
            ls.state.relist()
        ls.schedule()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders(ls: Server, params: types.DidChangeWorkspaceFoldersParams) -> None:
        removed = {path_of(f.uri) for f in params.event.removed}
        kept = [f for f in ls.state.folders if str(f) not in removed]
        added = [path_of(f.uri) for f in params.event.added]
        ls.state.folders = kept + [Path(os.path.abspath(p)) for p in added if p]
        ls.load()

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier=NAME, inter_file_dependencies=True, workspace_diagnostics=True
        ),
    )
    def document_diagnostic(
        ls: Server, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        ls.sync()
        path = path_of(params.text_document.uri)
        if path is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        path = ls.state.canonical(path)
        result = ls.result_id(path)
        if params.previous_result_id == result:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result)
        return types.RelatedFullDocumentDiagnosticReport(
            items=ls.diagnostics(path, ls.placer()), result_id=result
        )

    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    def workspace_diagnostic(
        ls: Server, params: types.WorkspaceDiagnosticParams
    ) -> types.WorkspaceDiagnosticReport:
        ls.sync()
        previous = {p.uri: p.value for p in params.previous_result_ids}
        placer = ls.placer()
        items: list[
            types.WorkspaceFullDocumentDiagnosticReport
            | types.WorkspaceUnchangedDocumentDiagnosticReport
        ] = []
        for path in sorted(ls.state.all_paths()):
            uri = placer.uri(path)
            result = ls.result_id(path)
            if previous.get(uri) == result:
                items.append(types.WorkspaceUnchangedDocumentDiagnosticReport(uri, result, None))
            else:
                found = ls.diagnostics(path, placer)
                items.append(
                    types.WorkspaceFullDocumentDiagnosticReport(uri, found, None, result_id=result)
                )
        return types.WorkspaceDiagnosticReport(items=items)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL_KIND]
        ),
    )
    def code_action(ls: Server, params: types.CodeActionParams) -> list[types.CodeAction]:
        ls.sync()
        return actions.code_actions(ls, params)

    # One command that writes at a time, each planned from what the previous one wrote: a
    # second click on "merge" while the editor applies the first would write a second
    # merge of the same heads (a new fork), a second rebase an edit at stale offsets.
    @server.command(commands.merge)
    async def merge(ls: Server, uri: str, heads: list[str]) -> dict[str, str]:
        async with ls.writing:
            ls.sync()
            return await actions.merge(ls, uri, heads)

    @server.command(commands.rebase)
    async def rebase(ls: Server, uri: str, onto: str, revision: str) -> dict[str, str]:
        async with ls.writing:
            ls.sync()
            return await actions.rebase(ls, uri, onto, revision)

    @server.command(commands.debug)
    def debug(ls: Server) -> dict[str, Any]:
        return actions.debug_information(ls)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: Server, params: types.DefinitionParams) -> list[types.Location] | None:
        ls.sync()
        return navigate.definition(ls, params.text_document.uri, params.position)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: Server, params: types.ReferenceParams) -> list[types.Location] | None:
        ls.sync()
        return navigate.references(
            ls, params.text_document.uri, params.position, params.context.include_declaration
        )

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: Server, params: types.HoverParams) -> types.Hover | None:
        ls.sync()
        return navigate.hover(ls, params.text_document.uri, params.position)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["'", '"'])
    )
    def completion(ls: Server, params: types.CompletionParams) -> types.CompletionList | None:
        ls.sync()
        return navigate.completion(ls, params.text_document.uri, params.position)

    return server


def prepare_process() -> None:
    """The process-wide state a long-running server needs: the cyclic garbage collector
    on and left alone (a short CLI run switches it off, or raises its threshold while
    LibCST parses), LibCST's node checks never skipped (pygls reads its input in a second
    thread), and no replay trace (entry.main never starts one for ``server``; a caller
    that had one running would have every stat recorded for ever)."""
    from alembic_lint import replay, runtime

    runtime.become_long_running()
    gc.enable()
    trace = replay.current()
    if trace is not None:
        trace.stop()


def serve(config_file: Path | None = None) -> int:
    """Run the language server over standard input and output until the client exits; the
    exit status LSP asks for: 0 after a ``shutdown`` request, else 1 (an ``exit`` without
    one, or a client gone without a word)."""
    prepare_process()
    if config_file is not None:
        from alembic_lint import config
        from alembic_lint.cli import UserError

        try:
            config.load(config_file)
        except config.ConfigError as exc:
            raise UserError(str(exc)) from None
    server = build(config_file)
    server.start_io()
    return 0 if server.protocol._shutdown else 1


__all__ = ["Server", "build", "prepare_process", "serve"]
