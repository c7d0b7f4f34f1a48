"""Writing report files so that a reader never sees half of one."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (newline-terminated) to ``path`` through a temporary file and a rename."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text + ("" if text.endswith("\n") else "\n"))
    os.replace(partial, path)
    return path
