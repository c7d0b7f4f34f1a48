"""``evolve db``: create, migrate and inspect the database."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "db", help="create or migrate the database (evolve db upgrade)",
        description="Create a new database at the newest schema, or migrate an existing one. "
                    "The database is --db URL, else $EVOLVE_DB, else sqlite:///evolve.db.",
    )
    commands = parser.add_subparsers(title="db commands", metavar="COMMAND")
    for name, handler, text in (
        ("upgrade", _upgrade, "create the database, or migrate it to the newest schema"),
        ("current", _current, "show the database's schema revision"),
    ):
        command = commands.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        command.add_argument("--db", metavar="URL", default=None,
                             help="database URL, e.g. sqlite:///runs.db or "
                                  "postgresql://user@host/name (default: $EVOLVE_DB, "
                                  "else sqlite:///evolve.db)")
        command.add_argument("--json", action="store_true", help="print JSON for scripts")
        command.set_defaults(handler=handler)
    parser.set_defaults(handler=lambda _args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _fail(error: Exception) -> SystemExit:
    text = " ".join(str(error).split()) or type(error).__name__
    return SystemExit(f"evolve db: {text}")


def _open(url: str | None):
    from evolve.store._engine import Database

    return Database(url)


def _missing_sqlite_file(database) -> bool:
    from pathlib import Path

    name = database.url.database or ""
    if not database.is_sqlite or name in ("", ":memory:") or name.startswith("file:"):
        return False
    return not Path(name).expanduser().exists()


def _upgrade(args: argparse.Namespace) -> int:
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from evolve.store import StoreError
    from evolve.store._engine import mask_url
    from evolve.store._migrate import head_revision, upgrade

    try:
        database = _open(args.db)
        try:
            before, after = upgrade(database)
        finally:
            database.dispose()
    except (StoreError, CommandError, SQLAlchemyError) as error:
        raise _fail(error) from None
    url = mask_url(database.url)
    if args.json:
        print(json.dumps({"url": url, "before": before, "after": after,
                          "head": head_revision()}))
    elif before == after:
        print(f"{url}: already at revision {after} (head)")
    elif before is None:
        print(f"{url}: created at revision {after} (head)")
    else:
        print(f"{url}: upgraded from revision {before} to {after} (head)")
    return 0


def _current(args: argparse.Namespace) -> int:
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from evolve.store import StoreError
    from evolve.store._engine import mask_url
    from evolve.store._migrate import current_revision, head_revision

    try:
        database = _open(args.db)
        missing = _missing_sqlite_file(database)
        try:
            # Asking must not create an empty SQLite file as a side effect.
            revision = None if missing else current_revision(database)
        finally:
            database.dispose()
    except (StoreError, CommandError, SQLAlchemyError) as error:
        raise _fail(error) from None
    url, head = mask_url(database.url), head_revision()
    if args.json:
        print(json.dumps({"url": url, "revision": revision, "head": head,
                          "up_to_date": revision == head}))
        return 0
    if revision == head:
        print(f"{url}: revision {revision} (head)")
    elif revision is None:
        print(f"{url}: no evolve schema yet; `evolve db upgrade --db {url}` creates it "
              f"at revision {head}")
    else:
        print(f"{url}: revision {revision}, but this evolve needs {head}: "
              f"run `evolve db upgrade --db {url}`")
    return 0
