"""Positions by regenerating the code of a LibCST module (when ast cannot follow a locator)."""

from __future__ import annotations

import re

import libcst as cst
from libcst._nodes.internal import CodegenState

from alembic_lint.parse.nodes import Place


class _Positions(CodegenState):
    """Regenerates the module's code once, tracking line and column, and records where the
    wanted nodes start and end: a fraction of the cost of LibCST's PositionProvider, which
    builds a position object for every node of the tree."""

    def __init__(self, module: cst.Module, wanted: set[cst.CSTNode]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.wanted = wanted
        self.line = 1
        self.column = 0
        self.stack: list[tuple[int, int]] = []
        self.found: dict[cst.CSTNode, Place] = {}
        module._codegen(self)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            parts = _NEWLINES.split(value)
            self.line += len(parts) - 1
            self.column = len(parts[-1])
        else:
            self.column += len(value)

    def pop_trailing_newline(self) -> None:
        pass  # positions are all known by the end of the file

    def before_codegen(self, node: cst.CSTNode) -> None:
        if node in self.wanted:
            self.stack.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if node in self.wanted:
            line, column = self.stack.pop()
            self.found[node] = (line, column + 1, self.line, self.column + 1)


_NEWLINES = re.compile(r"\r\n?|\n")
