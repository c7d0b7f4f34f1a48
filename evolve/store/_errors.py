"""Errors raised by the store; every one carries a message meant for a person."""

from __future__ import annotations

__all__ = [
    "AlreadyFinishedError",
    "AmbiguousKeyError",
    "InvalidInputError",
    "LeaseLostError",
    "NotFoundError",
    "SchemaOutOfDate",
    "SchemaOutOfDateError",
    "StoreError",
    "UnknownSchemaError",
]


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""


class InvalidInputError(StoreError, ValueError):
    """A write was refused because of its input; nothing was stored."""


class NotFoundError(StoreError, KeyError):
    """No genome, campaign or evaluation matches the key given."""

    def __str__(self) -> str:
        # KeyError's str() is the repr of its argument; a sentence reads better.
        return str(self.args[0]) if self.args else ""


class AmbiguousKeyError(NotFoundError):
    """A hash prefix matches more than one genome."""


class SchemaOutOfDateError(StoreError):
    """The database's schema is older than this version of evolve needs."""


#: The name the design documents use for :class:`SchemaOutOfDateError`.
SchemaOutOfDate = SchemaOutOfDateError


class UnknownSchemaError(StoreError):
    """The database was migrated by a newer evolve, or is not an evolve database."""


class AlreadyFinishedError(StoreError):
    """An evaluation already has a final result; it is never overwritten."""


class LeaseLostError(StoreError):
    """An evaluation is now held by another worker (the first one was presumed dead)."""
