"""backup, restore and upgrade on SQLite, as an administrator runs them."""

from __future__ import annotations

import sqlite3
import tarfile

from estateflow.cli._ops import _upgrade_async
from estateflow.store import SCHEMA_VERSION, migrations
from tests.ops.conftest import FakeClock, cli, seed, who, with_services
from tests.scenarios.conftest import THU_0924_1000
from tests.services.test_services import INTAKE


def _installation(tmp_path):
    url = f"sqlite:///{tmp_path / 'live' / 'ef.sqlite3'}"
    files = tmp_path / "live" / "files"
    (files / "sunshine").mkdir(parents=True)
    (files / "sunshine" / "abc.json").write_text('{"name": "photo.jpg"}')

    async def job(svc):
        await seed(svc)
        view = await svc.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
        return view.number

    number = with_services(url, FakeClock(THU_0924_1000), job)
    return url, files, number


def test_a_restored_backup_verifies_and_keeps_cases_and_files(tmp_path):
    url, files, number = _installation(tmp_path)
    archive = tmp_path / "backups" / "ef.tar"
    status, out, err = cli("backup", str(archive), "--db", url, "--files", str(files))
    assert status == 0, err
    assert "with attachments" in out
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "estateflow.sqlite3", "files/sunshine/abc.json"} <= names

    target = tmp_path / "restored" / "ef.sqlite3"
    new_files = tmp_path / "restored" / "files"
    status, out, err = cli(
        "restore", str(archive), "--db", f"sqlite:///{target}", "--files", str(new_files)
    )
    assert status == 0, err
    assert "the event log verifies" in out
    assert (new_files / "sunshine" / "abc.json").exists()
    with sqlite3.connect(target) as conn:
        assert conn.execute('SELECT "number" FROM "cases"').fetchone()[0] == number
    status, out, _ = cli("audit", "verify", "--db", f"sqlite:///{target}")
    assert status == 0 and out.strip() == "the event log verifies"


def test_restore_will_not_overwrite_without_force(tmp_path):
    url, files, _ = _installation(tmp_path)
    archive = tmp_path / "ef.tar"
    assert cli("backup", str(archive), "--db", url, "--files", str(files))[0] == 0
    status, _, err = cli("restore", str(archive), "--db", url, "--files", str(files))
    assert status == 1 and "--force" in err
    status, _, err = cli("restore", str(archive), "--db", url, "--files", str(files), "--force")
    assert status == 0, err
    assert (tmp_path / "live" / "ef.sqlite3.before-restore").exists()


def test_backup_of_postgres_needs_pg_dump_or_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump here
    status, _, err = cli("backup", str(tmp_path / "x.dump"), "--db", "postgresql://h/db")
    assert status == 1 and "pg_dump is not installed" in err


def test_upgrade_with_nothing_to_do_still_verifies(tmp_path):
    url, files, _ = _installation(tmp_path)
    status, out, err = cli("upgrade", "--db", url, "--files", str(files))
    assert status == 0, err
    assert f"schema version {SCHEMA_VERSION}: nothing to migrate" in out
    assert "the event log verifies" in out


def test_upgrade_backs_up_then_migrates(tmp_path):
    import argparse
    import asyncio

    url, files, _ = _installation(tmp_path)

    async def step(tx):
        """The version after this code's: a test step."""
        await tx.execute('CREATE TABLE "upgraded" ("x" INTEGER)')

    backup = tmp_path / "before.tar"
    args = argparse.Namespace(backup_to=str(backup), no_backup=False, files=str(files), db=url)
    steps = (*migrations.MIGRATIONS, step)
    assert asyncio.run(_upgrade_async(args, url, steps=steps)) == 0
    assert backup.exists()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        version = conn.execute('SELECT max("version") FROM "schema_version"').fetchone()[0]
        assert version == SCHEMA_VERSION + 1
        conn.execute('SELECT * FROM "upgraded"')


def test_upgrade_refuses_a_newer_database(tmp_path):
    url, files, _ = _installation(tmp_path)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute("INSERT INTO \"schema_version\" VALUES (NULL, 99, '2030-01-01')")
    status, _, err = cli("upgrade", "--db", url, "--files", str(files))
    assert status == 1 and "newer than this EstateFlow" in err
