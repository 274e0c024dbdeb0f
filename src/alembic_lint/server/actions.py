"""Code actions and commands: the CLI's fixes, ``# noqa`` suppressions, "fix all", and the
``merge`` / ``rebase`` commands for a fork, as edits the editor applies."""

from __future__ import annotations

import gc
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams

from alembic_lint import engine, fixes, inputs
from alembic_lint.atomic import leaves_tree
from alembic_lint.diagnostics import Applicability, Diagnostic
from alembic_lint.model import History
from alembic_lint.server.convert import Placer, overlaps, path_of, uri_of
from alembic_lint.source import text_of
from alembic_lint.suppressions import suppressions

if TYPE_CHECKING:
    from alembic_lint.server.app import Server
    from alembic_lint.server.state import Tracked

FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.alembic-lint"
#: Findings that a suppression comment cannot silence (they are about such comments).
NOT_SUPPRESSIBLE = ("AL900",)


@dataclass(frozen=True, slots=True)
class _Commands:
    merge: str = "alembic-lint.merge"
    rebase: str = "alembic-lint.rebase"
    debug: str = "alembic-lint.debugInformation"


COMMANDS = _Commands()


def code_actions(ls: Server, params: types.CodeActionParams) -> list[types.CodeAction]:
    """The actions for the findings under ``params.range`` of one file, and "fix all"."""
    path = path_of(params.text_document.uri)
    if path is None:
        return []
    state = ls.state
    path = state.canonical(path)
    tracked = state.owner(path)
    if tracked is None:
        return []
    findings = tracked.findings.get(path, [])
    if not findings:
        return []
    only = params.context.only
    placer = ls.placer()
    uri = params.text_document.uri
    text = state.text(path)
    fixed = _with_fixes(ls, tracked, path, findings)
    found: list[types.CodeAction] = []
    if only is None or any(_within(kind, types.CodeActionKind.QuickFix) for kind in only):
        for finding in fixed:
            shown = placer.diagnostic(finding, [])
            if not overlaps(shown.range, params.range):
                continue
            fix = _fix_action(placer, uri, finding, shown)
            if fix is not None:
                found.append(fix)
            noqa = _noqa_action(placer, uri, path, text, finding, shown)
            if noqa is not None:
                found.append(noqa)
            if finding.code == "AL001":
                found.extend(_fork_actions(ls, tracked, uri, finding, shown))
    if only is None or any(_within(FIX_ALL_KIND, kind) for kind in only):
        every = _fix_all(placer, uri, path, text, fixed)
        if every is not None:
            found.append(every)
    return found


def _within(kind: str, wanted: str) -> bool:
    """Whether ``kind`` is ``wanted`` or one of its sub-kinds (LSP's dotted hierarchy)."""
    return kind == wanted or kind.startswith(wanted + ".")


def _with_fixes(
    ls: Server, tracked: Tracked, path: str, findings: list[Diagnostic]
) -> list[Diagnostic]:
    """``findings`` with the fixes the rules give for the file as it is now."""
    migration = ls.state.full(path)
    if migration is None:
        return findings
    history = History(tracked.spec.name, (migration,))
    return engine.attach_fixes(findings, history, tracked.rules(), ls.state.read)


def _fix_action(
    placer: Placer, uri: str, finding: Diagnostic, shown: types.Diagnostic
) -> types.CodeAction | None:
    fix = finding.fix
    if fix is None or fix.applicability is Applicability.DISPLAY_ONLY:
        return None
    safe = fix.applicability is Applicability.SAFE
    edits = [
        types.TextEdit(
            types.Range(
                placer.position(finding.location.path, e.start.line, e.start.column),
                placer.position(finding.location.path, e.end.line, e.end.column),
            ),
            e.content,
        )
        for e in fix.edits
    ]
    return types.CodeAction(
        title=f"{fix.message}" + ("" if safe else " (unsafe fix)"),
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[shown],
        is_preferred=safe,
        edit=types.WorkspaceEdit(changes={uri: edits}),
    )


def noqa_edit(text: str, line: int, code: str) -> tuple[int, int, str] | None:
    """The edit (start and end column on ``line``, new text) that makes a ``# noqa``
    comment on 1-based ``line`` silence ``code``: the code added to the comment there, else
    a new comment at the end of the line. None where no comment can go (the line ends
    inside a string) or the line already silences everything."""
    lines = fixes.lines_of(text)
    if not 0 < line <= len(lines):
        return None
    content = lines[line - 1].rstrip("\r\n")
    noqa, _ = suppressions(text)
    existing = next((s for s in noqa if s.line == line), None)
    if existing is not None:
        if existing.codes is None or code in existing.codes:
            return None
        end = existing.end_column - 1
        edit = (end + 1, end + 1, f", {code}")
    else:
        end = len(content.rstrip())
        edit = (end + 1, len(content) + 1, f"  # noqa: {code}")
    start, stop, new = edit
    changed = content[: start - 1] + new + content[stop - 1 :]
    after = "".join(lines[: line - 1]) + changed + lines[line - 1][len(content) :]
    after += "".join(lines[line:])
    # The comment must really be one (not text inside a string) and name the code.
    if not any(s.line == line and s.codes and code in s.codes for s in suppressions(after)[0]):
        return None
    return edit


def _noqa_action(
    placer: Placer, uri: str, path: str, text: str, finding: Diagnostic, shown: types.Diagnostic
) -> types.CodeAction | None:
    if finding.code in NOT_SUPPRESSIBLE:
        return None
    if len(text) > inputs.MAX_MIGRATION_BYTES:
        # A file too large to analyse: placing the comment tokenizes the whole text twice,
        # seconds a MB, at every request for the actions under the cursor.
        return None
    line = finding.location.line
    edit = noqa_edit(text, line, finding.code)
    if edit is None:
        return None
    start, end, new = edit
    change = types.TextEdit(
        types.Range(placer.position(path, line, start), placer.position(path, line, end)), new
    )
    return types.CodeAction(
        title=f"Suppress {finding.code} on this line with `# noqa: {finding.code}`",
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[shown],
        edit=types.WorkspaceEdit(changes={uri: [change]}),
    )


def _fix_all(
    placer: Placer, uri: str, path: str, text: str, findings: list[Diagnostic]
) -> types.CodeAction | None:
    """Every safe fix of the file at once, as ``alembic-lint --fix`` makes them."""
    chosen = fixes.selected(findings, unsafe=False).get(path, [])
    if not chosen:
        return None
    edits, count = fixes.chosen(text, chosen)
    changes = [
        types.TextEdit(placer.offsets(path, text, start, end), content)
        for start, end, content in sorted(edits)
    ]
    plural = "problem" if count == 1 else "problems"
    return types.CodeAction(
        title=f"Fix all safe alembic-lint problems in this file ({count} {plural})",
        kind=FIX_ALL_KIND,
        edit=types.WorkspaceEdit(changes={uri: changes}),
    )


def _fork_actions(
    ls: Server, tracked: Tracked, uri: str, finding: Diagnostic, shown: types.Diagnostic
) -> list[types.CodeAction]:
    """For one of several heads: write the merge migration, or rebase this branch onto
    each other head."""
    known = tracked.known
    ours = known[finding.location.path].migration.revision_id
    others = [
        rid
        for r in finding.related
        if r.location.path in known
        and (rid := known[r.location.path].migration.revision_id) is not None
    ]
    if ours is None or not others:
        return []
    heads = [ours, *others]
    found = [
        types.CodeAction(
            title=f"Write a merge migration of {', '.join(heads)}",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[shown],
            command=types.Command(
                f"Merge {', '.join(heads)}", COMMANDS.merge, arguments=[uri, heads]
            ),
        )
    ]
    from alembic_lint import rebase

    graph = tracked.graph()
    for other in others:
        title = f"Rebase this branch onto {other}"
        try:
            plan = rebase.plan(graph, other, ours, reader=ls.state.read)
        except (rebase.RebaseError, OSError) as exc:
            found.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    disabled=types.CodeActionDisabled(str(exc)),
                )
            )
            continue
        found.append(
            types.CodeAction(
                title=f"{title} ({plan.revision} then revises {other})",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[shown],
                command=types.Command(title, COMMANDS.rebase, arguments=[uri, other, ours]),
            )
        )
    return found


# -- commands


def _tracked_at(ls: Server, uri: str) -> Tracked:
    path = path_of(uri)
    tracked = ls.state.owner(path) if path is not None else None
    if tracked is None:
        raise JsonRpcInvalidParams(f"{uri} is not a migration of a history in the workspace")
    return tracked


async def _apply(ls: Server, label: str, edit: types.WorkspaceEdit) -> None:
    result = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=label)
    )
    if not result.applied:
        reason = result.failure_reason or "no reason given"
        raise JsonRpcInternalError(f"the editor did not apply the edit: {reason}")


def _versioned_edits(ls: Server) -> bool:
    """Whether the client takes edits of a document version (``documentChanges``)."""
    workspace = ls.client_capabilities.workspace
    edits = workspace.workspace_edit if workspace else None
    return bool(workspace is not None and workspace.apply_edit and edits and edits.document_changes)


def _can_create(ls: Server) -> bool:
    workspace = ls.client_capabilities.workspace
    edits = workspace.workspace_edit if workspace else None
    return bool(
        _versioned_edits(ls)
        and edits is not None
        and edits.resource_operations
        and types.ResourceOperationKind.Create in edits.resource_operations
    )


async def merge(ls: Server, uri: str, heads: list[str]) -> dict[str, str]:
    """Write the merge migration of ``heads`` (``alembic-lint merge``): created through the
    editor when it can create files, else written to disk."""
    from alembic_lint import scaffold

    tracked = _tracked_at(ls, uri)
    try:
        path, text = scaffold.merge(tracked.spec, tracked.graph(), heads, dry_run=True)
    except scaffold.ScaffoldError as exc:
        raise JsonRpcInvalidParams(f"cannot merge: {exc}") from None
    target = uri_of(str(path))
    if _can_create(ls):
        if path.exists():
            raise JsonRpcInvalidParams(f"cannot merge: {path} already exists")
        edit = types.WorkspaceEdit(
            document_changes=[
                types.CreateFile(uri=target, options=types.CreateFileOptions(overwrite=False)),
                types.TextDocumentEdit(
                    types.OptionalVersionedTextDocumentIdentifier(target, None),
                    [types.TextEdit(types.Range(types.Position(0, 0), types.Position(0, 0)), text)],
                ),
            ]
        )
        await _apply(ls, "alembic-lint: merge heads", edit)
    else:
        try:
            scaffold.write_new(path, text)
        except (scaffold.ScaffoldError, OSError) as exc:
            raise JsonRpcInvalidParams(f"cannot merge: {exc}") from None
    ls.state.relist()
    ls.schedule()
    return {"path": str(path), "uri": target}


async def rebase(ls: Server, uri: str, onto: str, revision: str) -> dict[str, str]:
    """Re-point the bottom of ``revision``'s branch at head ``onto`` (``alembic-lint
    rebase``): an edit of that file, applied by the editor when it can, else written."""
    from alembic_lint import rebase as rebasing

    tracked = _tracked_at(ls, uri)
    try:
        plan = rebasing.plan(tracked.graph(), onto, revision, reader=ls.state.read)
    except rebasing.RebaseError as exc:
        raise JsonRpcInvalidParams(f"cannot rebase: {exc}") from None
    path = ls.state.canonical(str(plan.path))
    workspace = ls.client_capabilities.workspace
    if workspace is not None and workspace.apply_edit:
        # The editor would write through a symlink that the CLI refuses to (see
        # atomic.rewrite): a file committed as a link must not have us change another.
        leaving = leaves_tree(plan.path)
        if leaving is not None:
            raise JsonRpcInvalidParams(f"cannot rebase: {plan.path}: {leaving}; nothing written")
        before, after = text_of(plan.before), text_of(plan.after)
        start, end, new = _difference(before, after)
        placer = ls.placer()
        change = types.TextEdit(placer.offsets(path, before, start, end), new)
        target = placer.uri(path)
        edit = types.WorkspaceEdit(changes={target: [change]})
        if _versioned_edits(ls):
            # Made for the text of this version: an editor refuses it if the user typed in
            # the meantime (unversioned, it would land at offsets that moved).
            version = ls.workspace.get_text_document(target).version if path in ls.uris else None
            document = types.OptionalVersionedTextDocumentIdentifier(target, version)
            edit = types.WorkspaceEdit(
                document_changes=[types.TextDocumentEdit(document, [change])]
            )
        await _apply(ls, "alembic-lint: rebase", edit)
    else:
        try:
            rebasing.write(plan)
        except (rebasing.RebaseError, OSError) as exc:
            raise JsonRpcInvalidParams(f"cannot rebase: {exc}") from None
        ls.state.touched(path)
        ls.schedule()
    return {"path": path, "revision": plan.revision, "onto": plan.new_parent}


def _difference(before: str, after: str) -> tuple[int, int, str]:
    """The one replacement (start, end offsets in ``before``, new text) that turns
    ``before`` into ``after``: their common beginning and end are left alone."""
    start = 0
    limit = min(len(before), len(after))
    while start < limit and before[start] == after[start]:
        start += 1
    end = 0
    while end < limit - start and before[-1 - end] == after[-1 - end]:
        end += 1
    return start, len(before) - end, after[start : len(after) - end]


def debug_information(ls: Server) -> dict[str, Any]:
    """What the server sees and how its process is set up (for bug reports and tests)."""
    from alembic_lint import replay, runtime

    state = ls.state
    return {
        "version": ls.version,
        "python": sys.version.split()[0],
        "pid": os.getpid(),
        "folders": [str(f) for f in state.folders],
        "settings": [str(p.settings.path) if p.settings.path else None for p in state.projects],
        "problems": [p.problem for p in state.projects if p.problem],
        "histories": [
            {
                "name": t.spec.name,
                "files": len(t.files),
                "locations": [str(x) for x in t.spec.locations],
            }
            for t in state.histories()
        ],
        "open": sorted(state.buffers),
        "pull": ls.pull,
        "checks": ls.checks,
        "kept": ls.kept(),
        "positionEncoding": ls.encoding,
        "gcEnabled": gc.isenabled(),
        "replayTrace": replay.current() is not None or os.stat is not replay._stat,
        "longRunning": runtime.long_running(),
        "modules": sorted(m for m in ("libcst", "networkx") if m in sys.modules),
        "configFile": str(state.config_file) if state.config_file else None,
        "cwd": str(Path.cwd()),
    }
