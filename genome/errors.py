"""Errors raised for genomes that cannot be read or are not valid cells."""

__all__ = ["GenomeError", "NotationError"]


class GenomeError(ValueError):
    """A genome breaks a structural rule (a missing ``h``, an undefined name, a limit)."""


class NotationError(GenomeError):
    """Genome text that cannot be read, with the position of the problem.

    Attributes:
        line: 1-based line number in the text (0 when the text as a whole is at fault).
        column: 1-based column (0 when the whole line is at fault).
        reason: what was wrong and what was expected, without the position.
    """

    def __init__(self, reason: str, line: int = 0, column: int = 0, source: str = ""):
        self.reason = reason
        self.line = line
        self.column = column
        self.source = source
        where = ""
        if line:
            where = f"line {line}, column {column}: " if column else f"line {line}: "
        message = where + reason
        if source and column:
            shown = source if len(source) <= 120 else source[: max(column + 40, 120)]
            if len(shown) <= 200:
                # Tabs stay tabs under the caret, so it lines up however they are shown.
                pad = "".join("\t" if c == "\t" else " " for c in shown[: column - 1])
                message += f"\n    {shown}\n    {pad}^"
        super().__init__(message)
