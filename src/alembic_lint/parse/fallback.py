"""Line-based recovery of the revision variables of a file LibCST cannot parse."""

from __future__ import annotations

from alembic_lint.model import Binding, Migration, Span, SyntaxProblem
from alembic_lint.recover import ASSIGN, balance, binding, migration_of, strip_comment


def _fallback(
    path: str, filename: str, text: str, message: str, line: int, column: int
) -> Migration:
    """Recover the four revision variables line by line when the file cannot be parsed.

    Only plain literals at column 0 are taken (``ast.literal_eval`` evaluates literals
    and nothing else), so one Python 2 file does not turn into false missing parents.
    """
    spans: list[Span] = [Span(line, column, line, column + 1)]
    bindings: dict[str, Binding] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = ASSIGN.match(lines[i])
        if not match:
            i += 1
            continue
        name, rhs = match.group(1), match.group(2)
        start = i
        value_text = strip_comment(rhs)
        depth = balance(value_text)
        while depth > 0 and i + 1 < len(lines):
            i += 1
            more = strip_comment(lines[i])
            depth += balance(more)
            value_text += "\n" + more
        i += 1
        ref = len(spans)
        spans.append(Span(start + 1, 1, i, len(lines[i - 1]) + 1))
        bindings[name] = binding(name, value_text, ref)
    problem = SyntaxProblem(message, 0, defines_nothing="revision" not in text)
    return migration_of(path, filename, bindings, spans, problem, text)
