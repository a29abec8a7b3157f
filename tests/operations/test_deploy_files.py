"""The deployment files are valid for the tools that read them: systemd's own verifier, nginx's
own config test, and the compose file's structure; every daily job has its timer.

Each test is skipped, saying why, where its tool is not installed (scripts/test installs nginx
when run as root; systemd-analyze comes with Debian's systemd).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from timebank.operations.jobs import JOBS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
PREFIX = "/opt/exchange"


def _tool(name: str, *also: str) -> str:
    for candidate in (name, *also):
        found = shutil.which(candidate)
        if found:
            return found
    pytest.skip(f"{name} is not installed (scripts/test installs it when run as root)")


@pytest.fixture()
def units(tmp_path):
    """The units, with the install prefix moved under tmp_path, where stand-in programs exist
    (systemd-analyze verify checks that each ExecStart program is there)."""
    prefix = tmp_path / "opt" / "exchange"
    bin_dir = prefix / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for program in ("gunicorn", "rq", "flask"):
        (bin_dir / program).write_text("#!/bin/sh\n")
        (bin_dir / program).chmod(0o755)
    folder = tmp_path / "units"
    folder.mkdir()
    for unit in UNITS.iterdir():
        (folder / unit.name).write_text(unit.read_text().replace(PREFIX, str(prefix)))
    return folder


def test_systemd_verifies_every_unit_and_timer(units):
    analyze = _tool("systemd-analyze")
    names = sorted(p.name for p in units.iterdir() if not p.name.endswith("@.service"))
    # A template is verified through an instance of it, as a timer starts it.
    (units / "exchange-job@ledger-check.service").write_text((units / "exchange-job@.service").read_text())
    names.append("exchange-job@ledger-check.service")
    result = subprocess.run([analyze, "verify", "--man=no", *names], cwd=units, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    complaints = [line for line in result.stderr.splitlines() if str(units) in line or ".service" in line
                  or ".timer" in line]
    assert not complaints, result.stderr


def test_systemd_catches_a_broken_unit(units):
    """The check above can fail: a timer with an impossible time is refused."""
    analyze = _tool("systemd-analyze")
    timer = units / "exchange-ledger-check.timer"
    timer.write_text(timer.read_text().replace("05:00:00", "25:00:00"))
    result = subprocess.run([analyze, "verify", "--man=no", timer.name], cwd=units, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0


def _timer_schedule(path: Path) -> tuple[str, str]:
    fields = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and
                  not line.startswith("#"))
    return fields["OnCalendar"], fields["Unit"]


def test_every_daily_job_has_a_timer_at_the_schedulers_time():
    timers = {p.name[len("exchange-"):-len(".timer")]: _timer_schedule(p) for p in UNITS.glob("exchange-*.timer")}
    assert set(timers) == set(JOBS), "a job without a timer, or a timer without a job"
    for name, job in JOBS.items():
        calendar, unit = timers[name]
        day = "*-*-*" if job.day_of_week == "*" else job.day_of_week.capitalize()
        assert calendar == f"{day} {job.at}:00 Europe/London", name
        assert unit == f"exchange-job@{name}.service"


def test_nginx_accepts_the_site(tmp_path):
    nginx = _tool("nginx", "/usr/sbin/nginx")
    openssl = _tool("openssl")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=exchange.test",
                    "-days", "1", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    site = (DEPLOY / "nginx" / "exchange.conf").read_text()
    live = "/etc/letsencrypt/live/exchange.oneknowsley.example/"
    assert live + "fullchain.pem" in site and live + "privkey.pem" in site
    site = site.replace(live + "fullchain.pem", str(tmp_path / "cert.pem")).replace(
        live + "privkey.pem", str(tmp_path / "key.pem"))
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                         "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{ {temp} include {tmp_path / 'site.conf'}; }}\n")
    command = [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # And nginx's test does catch a mistake.
    (tmp_path / "site.conf").write_text(site.replace("proxy_pass http://exchange_web;", "proxy_pass exchange_web;"))
    assert subprocess.run(command, capture_output=True, text=True, timeout=60).returncode != 0


def test_the_site_passes_the_client_address_the_app_trusts():
    site = (DEPLOY / "nginx" / "exchange.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in site
    assert "location = /metrics { return 404; }" in site
    assert "TRUSTED_PROXY_COUNT=1" in (DEPLOY / "exchange.env.example").read_text()


def test_the_compose_file_runs_one_image_as_every_process():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "web", "worker", "scheduler"} <= set(services)
    app_services = {name: services[name] for name in ("migrate", "web", "worker", "scheduler")}
    assert {s["image"] for s in app_services.values()} == {"${EXCHANGE_IMAGE:-localhost/exchange:latest}"}
    assert {name: s["command"] for name, s in app_services.items()} == {
        "migrate": ["migrate"], "web": ["web"], "worker": ["worker"], "scheduler": ["scheduler"]}
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]  # for nginx on the host, never the world
    assert services["web"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["web"]["environment"]["MATCHER_QUEUE"] == "rq"
    entrypoint = (DEPLOY / "container-entrypoint").read_text()
    for command in ("web)", "worker)", "scheduler)", "migrate)"):
        assert command in entrypoint
