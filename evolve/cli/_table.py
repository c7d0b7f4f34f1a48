"""Plain-text tables whose cells may span several lines."""

from __future__ import annotations

from collections.abc import Sequence


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]],
                 align_right: Sequence[int] = ()) -> str:
    """Render rows under headers; a cell containing newlines takes several lines.

    Args:
        headers: column titles.
        rows: one sequence of cell values per row.
        align_right: indexes of columns to right-align (numbers).

    Returns:
        The table, without a trailing newline.
    """
    cells = [[str(value).split("\n") for value in row] for row in rows]
    widths = [len(title) for title in headers]
    for row in cells:
        for column, lines in enumerate(row):
            widths[column] = max(widths[column], *(len(line) for line in lines))

    def line(values: Sequence[str]) -> str:
        parts = []
        for column, value in enumerate(values):
            parts.append(value.rjust(widths[column]) if column in align_right
                         else value.ljust(widths[column]))
        return "  ".join(parts).rstrip()

    out = [line(headers), line(["-" * width for width in widths])]
    for row in cells:
        height = max(len(lines) for lines in row)
        for index in range(height):
            out.append(line([lines[index] if index < len(lines) else "" for lines in row]))
    return "\n".join(out)
