"""``evolve db upgrade`` and ``evolve db current``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from evolve.cli import main
from evolve.store import SchemaOutOfDateError, Store
from tests.evolve.store import fixtures
from tests.evolve.store.fixtures import HEAD, NEXT

# Shared fixtures, found by pytest under these names.
pg_schema = fixtures.pg_schema
pg_server = fixtures.pg_server
pg_url = fixtures.pg_url
releases = fixtures.releases


def _db(tmp_path, name="runs.db"):
    return f"sqlite:///{tmp_path / name}"


def test_upgrade_creates_a_new_database_at_head_then_reports_it_current(tmp_path, capsys):
    url = _db(tmp_path)
    assert main(["db", "upgrade", "--db", url]) == 0
    assert capsys.readouterr().out.strip() == f"{url}: created at revision {HEAD} (head)"
    assert main(["db", "upgrade", "--db", url]) == 0
    assert capsys.readouterr().out.strip() == f"{url}: already at revision {HEAD} (head)"
    assert main(["db", "current", "--db", url]) == 0
    assert capsys.readouterr().out.strip() == f"{url}: revision {HEAD} (head)"
    assert main(["db", "current", "--db", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "url": url, "revision": HEAD, "head": HEAD, "up_to_date": True}
    Store(url).close()


def test_current_of_a_missing_file_does_not_create_it(tmp_path, capsys):
    url = _db(tmp_path)
    assert main(["db", "current", "--db", url]) == 0
    assert "no evolve schema yet; `evolve db upgrade" in capsys.readouterr().out
    assert not (tmp_path / "runs.db").exists()


def test_default_database_comes_from_evolve_db(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVOLVE_DB", _db(tmp_path, "env.db"))
    assert main(["db", "upgrade", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["after"] == HEAD
    assert (tmp_path / "env.db").exists() and not (tmp_path / "evolve.db").exists()
    monkeypatch.delenv("EVOLVE_DB")
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "evolve.db").exists()


def test_an_out_of_date_database_is_upgraded(tmp_path, capsys, releases):
    url = _db(tmp_path)
    Store(url).close()  # made by this release, at HEAD
    releases.newer()  # a later evolve, whose head is 0002
    with pytest.raises(SchemaOutOfDateError, match="run `evolve db upgrade --db"):
        Store(url)
    assert main(["db", "current", "--db", url]) == 0
    assert f"revision {HEAD}, but this evolve needs {NEXT}: run `evolve db upgrade" in (
        capsys.readouterr().out)
    assert main(["db", "upgrade", "--db", url]) == 0
    expected = f"{url}: upgraded from revision {HEAD} to {NEXT} (head)"
    assert capsys.readouterr().out.strip() == expected
    Store(url).close()


def test_upgrade_on_postgresql(pg_url, capsys):
    assert main(["db", "upgrade", "--db", pg_url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["before"], report["after"]) == (None, HEAD)
    assert main(["db", "current", "--db", pg_url]) == 0
    assert f"revision {HEAD} (head)" in capsys.readouterr().out


@pytest.mark.parametrize(("url", "expected"), [
    ("runs.db", "evolve db: not a database URL: 'runs.db' (for a SQLite file write "
                "sqlite:///runs.db)"),
    ("postgresql://me:hunter2@127.0.0.1:1/x", "evolve db: database "
                                              "postgresql+psycopg://me:***@127.0.0.1:1/x: "),
])
def test_errors_are_one_line_without_traceback(url, expected):
    code = "import sys; from evolve.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, "db", "upgrade", "--db", url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), done.stderr
    assert "hunter2" not in done.stderr


def test_db_without_a_command_prints_help(capsys):
    assert main(["db"]) == 2
    assert "upgrade" in capsys.readouterr().out
