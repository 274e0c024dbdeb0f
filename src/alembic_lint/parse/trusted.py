"""``libcst.parse_module`` without re-checking every node the parser itself just built.

LibCST checks each node's invariants as it is constructed (``CSTNode.__post_init__`` calls
``_validate``), which guards trees that programs assemble by hand. Nodes that come out of
the parser hold by construction (a source text that broke them would not have parsed), yet
a parse of a typical migration builds about 900 of them and their checks are about a seventh
of the parse time; LibCST's own source notes the same cost. So while *we* parse, the hook is
a no-op, and it is put back as soon as the parse returns or raises: trees that alembic-lint
builds to rewrite a file (``--fix``, ``rebase``) are still checked as they are made.

Only done when ``CSTNode.__post_init__`` is exactly "call ``self._validate()``": should a
LibCST release make it do anything else, we parse the ordinary way. And only when the
process runs one thread (alembic-lint itself never starts another): in a program that
calls alembic-lint's API from several threads, another one could be building nodes of
its own while the hook is off. Never in a long-running process (the language server,
see runtime.long_running), whatever its threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import libcst as cst
from libcst._nodes.base import CSTNode

from alembic_lint import runtime


def _skip(self: object) -> None:
    """The stand-in for ``CSTNode.__post_init__`` during a parse."""


def _hook() -> Callable[..., Any] | None:
    """LibCST's post-init hook if it only validates, else None (then it is left alone)."""
    hook = CSTNode.__dict__.get("__post_init__")
    code = getattr(hook, "__code__", None)
    if code is None or code.co_names != ("_validate",) or code.co_argcount != 1:
        return None
    return hook


_VALIDATE = _hook()


def parse_module(source: str | bytes) -> cst.Module:
    """The same tree as ``libcst.parse_module(source)``, built without per-node checks."""
    validate = _VALIDATE
    if (
        validate is None
        or CSTNode.__dict__.get("__post_init__") is not validate
        or threading.active_count() > 1
        or runtime.long_running()
    ):
        return cst.parse_module(source)
    setattr(CSTNode, "__post_init__", _skip)  # noqa: B010 (mypy rejects assigning a method)
    try:
        return cst.parse_module(source)
    finally:
        setattr(CSTNode, "__post_init__", validate)  # noqa: B010
