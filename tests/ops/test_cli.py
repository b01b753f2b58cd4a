"""doctor, import and privacy from the command line; the serve settings for a proxy."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import timedelta

from estateflow.cli._ops import JsonFormatter, uvicorn_options
from tests.ops.conftest import FakeClock, cli, seed, who, with_services
from tests.scenarios.conftest import THU_0924_1000
from tests.services.test_services import INTAKE


def _db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'ef.sqlite3'}"
    with_services(url, FakeClock(THU_0924_1000), seed)
    return url


def test_doctor_passes_then_fails_on_a_stalled_worker(tmp_path):
    url = _db(tmp_path)
    status, out, err = cli("doctor", "--db", url, "--files", str(tmp_path / "files"))
    assert status == 0, out + err
    assert "ok    database: sqlite reachable" in out
    assert "warn  worker: no worker has run yet" in out
    assert out.strip().endswith("all checks pass")
    with sqlite3.connect(tmp_path / "ef.sqlite3") as conn:
        conn.execute(
            "INSERT INTO worker_heartbeats VALUES ('host:1', '2020-01-01T00:00:00+00:00', 3)"
        )
    status, out, _ = cli("doctor", "--db", url, "--files", str(tmp_path / "files"))
    assert status == 1
    assert "FAIL  worker: last round" in out and out.strip().endswith("1 problems")


def test_doctor_fails_when_the_database_is_unreachable(tmp_path):
    status, _, err = cli("doctor", "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert status == 1 and "PostgreSQL" in err


def test_import_csv_with_a_dry_run_and_row_errors(tmp_path):
    url = _db(tmp_path)
    bad = tmp_path / "households.csv"
    bad.write_text("unit,name,sex\nT1-1A,陳國棟,m\nT1-1B,,q\n", encoding="utf-8-sig")
    status, out, _ = cli("import", "households", str(bad), "--estate", "sunshine", "--db", url)
    assert status == 1
    assert f"{bad}:3: name:" in out and f"{bad}:3: sex:" in out
    assert "nothing imported" in out
    good = tmp_path / "staff.csv"
    good.write_text("username,name,roles\ntclau,劉子晴,front_desk\n", encoding="utf-8")
    args = ("import", "staff", str(good), "--estate", "sunshine", "--db", url)
    status, out, _ = cli(*args, "--dry-run")
    assert status == 0 and "1 rows check out (dry run" in out
    status, out, _ = cli(*args)
    assert status == 0 and out.strip() == "imported 1 staff into sunshine"


def test_privacy_set_purge_export_and_log(tmp_path):
    url = _db(tmp_path)
    path = tmp_path / "ef.sqlite3"

    async def job(svc):
        view = await svc.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
        return view.id

    case_id = with_services(url, FakeClock(THU_0924_1000), job)
    closed = (THU_0924_1000 - timedelta(days=400)).isoformat()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE cases SET status = 'closed', closed_at = ? WHERE id = ?", (closed, case_id)
        )
    status, out, err = cli(
        "privacy", "set", "--estate", "sunshine", "--full-id-roles", "cs_manager",
        "--retention", "complaint=365", "--db", url,
    )  # fmt: skip
    assert status == 0, err
    assert out.splitlines() == ["full id numbers: cs_manager", "retention complaint: 365 days"]
    status, _, err = cli(
        "privacy", "set", "--estate", "sunshine", "--full-id-roles", "x", "--db", url
    )
    assert status == 2 and "unknown role 'x'" in err

    status, out, _ = cli("privacy", "export", "陳國棟", "--estate", "sunshine", "--db", url)
    exported = json.loads(out)
    assert [c["id"] for c in exported["cases"]] == [case_id]

    status, out, _ = cli("privacy", "purge", "--estate", "sunshine", "--dry-run", "--db", url)
    assert status == 0 and out.startswith("would erase personal data of 1 cases")
    status, out, _ = cli("privacy", "purge", "--estate", "sunshine", "--db", url)
    assert status == 0 and out.startswith("erased personal data of 1 cases")
    assert cli("audit", "verify", "--db", url)[1].strip() == "the event log verifies"
    status, out, _ = cli("privacy", "export", "陳國棟", "--estate", "sunshine", "--db", url)
    assert json.loads(out)["cases"] == []

    status, out, _ = cli("privacy", "log", "--estate", "sunshine", "--db", url)
    actions = [line.split()[2] for line in out.splitlines()]
    assert actions == ["export", "purge", "export"]


def test_forwarded_headers_only_from_configured_proxies(monkeypatch):
    monkeypatch.delenv("ESTATEFLOW_TRUSTED_PROXIES", raising=False)
    monkeypatch.delenv("ESTATEFLOW_LOG_FORMAT", raising=False)
    assert uvicorn_options() == {"proxy_headers": False}
    monkeypatch.setenv("ESTATEFLOW_TRUSTED_PROXIES", " 10.0.0.5, 10.0.0.6 ")
    assert uvicorn_options() == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.5,10.0.0.6"}


def test_json_log_lines(monkeypatch):
    monkeypatch.setenv("ESTATEFLOW_LOG_FORMAT", "json")
    config = uvicorn_options()["log_config"]
    assert config["formatters"]["json"]["()"].endswith("JsonFormatter")
    record = logging.makeLogRecord(
        {"name": "estateflow.worker", "levelname": "INFO", "msg": "round: fired %d",
         "args": (3,), "fired": 3}
    )  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "round: fired 3" and line["fired"] == 3
    assert line["level"] == "info" and line["logger"] == "estateflow.worker"


def test_privacy_erase_one_case_on_request(tmp_path):
    url = _db(tmp_path)

    async def job(svc):
        view = await svc.start_case("sunshine", "complaint", INTAKE, actor=who("wychan"))
        return view.number

    number = with_services(url, FakeClock(THU_0924_1000), job)
    args = ("privacy", "erase", number, "--estate", "sunshine", "--db", url)
    status, _, err = cli(*args, "--reason", " ")
    assert status == 1 and "say why" in err
    status, out, err = cli(*args, "--reason", "owner's request of 2026-09-30", "--by", "dpo")
    assert status == 0, err
    assert out.startswith(f"erased personal data of {number} (")
    assert cli("audit", "verify", "--db", url)[1].strip() == "the event log verifies"
    status, out, _ = cli("privacy", "export", "陳國棟", "--estate", "sunshine", "--db", url)
    assert json.loads(out)["cases"] == []
    status, out, _ = cli("privacy", "log", "--estate", "sunshine", "--db", url)
    assert "dpo          erase" in out and "owner's request of 2026-09-30" in out
