"""How cells are *found*: operators, strategies, tasks, evaluation, storage and the CLI."""

__all__: list[str] = []
