"""``# noqa`` and ``# alembic-lint: file-ignore[...]`` comments of a migration file (no LibCST)."""

from __future__ import annotations

import io
import re
import tokenize

from alembic_lint.model import Suppression

# --------------------------------------------------------------------------- suppressions

_MAY_SUPPRESS = re.compile(rb"noqa|alembic-lint:", re.IGNORECASE)
_NOQA = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
_FILE_IGNORE = re.compile(r"#\s*alembic-lint:\s*file-ignore(?:\[(?P<codes>[^\]]*)\])?")


def suppressions(text: str) -> tuple[tuple[Suppression, ...], tuple[Suppression, ...]]:
    """``# noqa`` and ``# alembic-lint: file-ignore[...]`` comments (real comments only)."""
    comments: list[tuple[int, int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments.append((token.start[0], token.start[1], token.string))
    except (tokenize.TokenError, SyntaxError):
        # An unparsable file: fall back to the text after each '#'.
        comments = [
            (number, line.index("#"), line[line.index("#") :])
            for number, line in enumerate(text.splitlines(), start=1)
            if "#" in line
        ]
    noqa: list[Suppression] = []
    file_ignores: list[Suppression] = []
    for line, column, comment in comments:
        for regex, found in ((_FILE_IGNORE, file_ignores), (_NOQA, noqa)):
            match = regex.search(comment)
            if match is None:
                continue
            raw = match.group("codes")
            codes = (
                None
                if raw is None
                else tuple(c.upper() for c in re.split(r"[\s,]+", raw.strip()) if c)
            )
            start = column + match.start()
            found.append(Suppression(line, start + 1, column + match.end() + 1, codes))
            break
    return tuple(noqa), tuple(file_ignores)
