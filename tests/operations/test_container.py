"""The image, run as the stack runs it: built from deploy/Containerfile, migrated, seeded, then the
web and worker containers against a real PostgreSQL and Redis; a coordinator signs in, runs the
matcher through the worker, and /healthz, the healthcheck, the logs, /metrics and the ledger are right.

No registry is reachable here, so the base image is made from Debian's packages with mmdebstrap
and given as the build's BASE (the default is the usual Python slim image). Needs root, podman,
runc and mmdebstrap (scripts/test installs them when run as root); skipped otherwise, saying why.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[2]
# What the Containerfile's APT_PACKAGES installs, put in the base instead (no apt in the build
# here); the tag names the list, so a changed list makes a new base.
BASE_PACKAGES = ("python3,python3-venv,ca-certificates,postgresql-client,libpango-1.0-0,libpangoft2-1.0-0,"
                 "libharfbuzz-subset0,fonts-liberation")
BASE = f"localhost/exchange-base:bookworm-{hashlib.sha1(BASE_PACKAGES.encode()).hexdigest()[:8]}"
IMAGE = "localhost/exchange:test"
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
# Without systemd or cgroup delegation (CI machines, containers), podman runs with runc, cgroupfs
# and explicit limits (crun's default rlimits are refused here): ../RECIPES, section 10.
RUN = [*PODMAN, "run", "--network", "host", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "needs root (podman with runc and cgroupfs, as scripts/test runs in CI)"
    for tool in ("podman", "runc", "mmdebstrap"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/test installs it when run as root)"
    return None


def _sh(*command, timeout=900, check=True, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(command[:6])} ... exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    reason = _missing()
    if reason:
        pytest.skip(reason)
    if _sh(*PODMAN, "image", "exists", BASE, check=False).returncode != 0:
        rootfs = tmp_path_factory.mktemp("base") / "rootfs.tar"
        _sh("mmdebstrap", "--variant=minbase", f"--include={BASE_PACKAGES}", "bookworm", str(rootfs), timeout=1200)
        _sh(*PODMAN, "import", str(rootfs), BASE)
        rootfs.unlink()
    _sh(str(ROOT / "scripts" / "build-image"), "--build-arg", f"BASE={BASE}", "--build-arg", "APT_PACKAGES=",
        env={**os.environ, "IMAGE": IMAGE}, timeout=1500)
    return IMAGE


@pytest.fixture()
def redis_tcp(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (scripts/test installs it when run as root)")
    port = _free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


@pytest.fixture()
def postgres_tcp():
    """Debian's PostgreSQL on a loopback port of its own, as the containers reach a database
    server (the suite's own listens on a Unix socket in a folder only its user may enter)."""
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not binaries:
        pytest.skip("Debian's PostgreSQL server is not installed (apt-get install postgresql)")
    bin_dir = binaries[-1].parent
    root = Path(tempfile.mkdtemp(prefix="exchange-pg-"))  # not under pytest's folder, which only root may enter
    root.chmod(0o755)
    data = root / "data"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    as_postgres = ["runuser", "-u", "postgres", "--"]
    _sh(*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
        "--no-locale")
    port = _free_port()
    _sh(*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "60",
        "start", "-o", f"-k {data} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off")
    _sh(*as_postgres, str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "exchange")
    yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/exchange"
    _sh(*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop", check=False)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def stack(image, backend, postgres_tcp, redis_tcp):
    """Environment flags for the app's containers, and the containers started."""
    if backend != "postgresql":
        pytest.skip("the stack runs on PostgreSQL")
    url = postgres_tcp
    flags = []
    port = _free_port()
    environment = {
        "DATABASE_URL": url, "REDIS_URL": redis_tcp, "MATCHER_QUEUE": "rq", "TIMEBANK_ENV": "production",
        "SECRET_KEY": uuid.uuid4().hex, "SESSION_COOKIE_SECURE": "0", "MAIL_BACKEND": "locmem",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "METRICS_TOKEN": "scrape-me", "TRUSTED_PROXY_COUNT": "0",
        "BASE_URL": f"http://127.0.0.1:{port}",
    }
    for key, value in environment.items():
        flags += ["-e", f"{key}={value}"]
    started: list[str] = []

    def run(*command, detach=False, timeout=600):
        if detach:
            container = f"exchange-test-{command[0]}-{uuid.uuid4().hex[:8]}"
            _sh(*RUN, "-d", "--name", container, *flags, image, *command)
            started.append(container)
            return container
        return _sh(*RUN, "--rm", *flags, image, *command, timeout=timeout)

    yield {"run": run, "url": url, "base": f"http://127.0.0.1:{port}"}
    for container in started:
        logs = _sh(*PODMAN, "logs", container, check=False)
        print(f"--- {container}\n{logs.stdout[-3000:]}{logs.stderr[-5000:]}")  # shown if the test failed
        _sh(*PODMAN, "rm", "--force", "--time", "5", container, check=False)


def _wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"gave up waiting for {what}")


def _healthz(base: str):
    try:
        response = requests.get(f"{base}/healthz", timeout=30)
    except requests.RequestException:  # not listening yet, or its workers still starting
        return None
    return response if response.status_code == 200 else None


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_the_image_runs_web_and_worker_and_the_matcher_works_through_them(stack):
    run, base = stack["run"], stack["base"]
    run("migrate")
    seeded = run("flask", "seed", "demo")
    assert "coordinator@oneknowsley.example" in seeded.stdout
    web = run("web", detach=True)
    worker = run("worker", detach=True)

    health = _wait_for(lambda: _healthz(base), 180, "the web container's /healthz")
    assert health.json() == {"status": "ok", "database": "postgresql"}

    browser = requests.Session()
    sign_in = browser.get(f"{base}/sign-in", timeout=10)
    signed_in = browser.post(f"{base}/sign-in", timeout=30, data={
        "csrf_token": _csrf(sign_in.text), "email": "coordinator@oneknowsley.example", "password": "demo-password-1"})
    assert signed_in.status_code == 200 and "Sign out" in signed_in.text

    form = browser.get(f"{base}/coordinator/matcher", timeout=10)
    started = browser.post(f"{base}/coordinator/matcher", timeout=30, data={
        "csrf_token": _csrf(form.text), "max_cycle": 3, "max_chain": 3, "allow_pairs": "y", "w_urgency": 4,
        "w_category_fit": 3, "w_distance": 2, "w_waiting": 1, "time_limit": 20})
    assert started.status_code == 200, started.text[:2000]
    engine = create_engine(stack["url"])

    def finished():
        with engine.connect() as connection:
            row = connection.execute(text("SELECT status, message FROM matcher_runs ORDER BY id DESC LIMIT 1")).first()
        return row if row is not None and row.status in ("done", "failed") else None

    try:
        status, message = _wait_for(finished, 240, "the worker to finish the matcher run")
        with engine.connect() as connection:
            proposals = connection.execute(text("SELECT count(*) FROM exchanges")).scalar()
    finally:
        engine.dispose()
    assert status == "done", message
    assert proposals > 0, message

    # The worker did it (the web container has no thread for it under MATCHER_QUEUE=rq).
    worker_log = _sh(*PODMAN, "logs", worker).stderr + _sh(*PODMAN, "logs", worker).stdout
    assert '"job": "matcher-run"' in worker_log and '"outcome": "done"' in worker_log
    web_log = _sh(*PODMAN, "logs", web).stderr
    requests_logged = [json.loads(line) for line in web_log.splitlines() if '"event": "request"' in line]
    assert any(line["route"] == "/coordinator/matcher" and line["status"] == 302 and line["user_id"]
               for line in requests_logged), web_log[-3000:]
    assert "coordinator@oneknowsley.example" not in web_log

    # Runs as the image's own user, and its healthcheck passes for web and worker alike.
    assert _sh(*PODMAN, "exec", web, "id", "-un").stdout.strip() == "exchange"
    for container in (web, worker):
        assert _sh(*PODMAN, "healthcheck", "run", container, check=False).returncode == 0, container

    metrics = requests.get(f"{base}/metrics", headers={"Authorization": "Bearer scrape-me"}, timeout=10).text
    assert 'timebank_matcher_runs{status="done"} 1.0' in metrics
    assert 'timebank_queue_up 1.0' in metrics
    assert re.search(r'timebank_http_requests_total\{method="POST",route="/sign-in",status="302"\} 1\.0', metrics)

    # The image can make the PDF reports (WeasyPrint with the system's Pango and fonts).
    pdf = _sh(*PODMAN, "exec", web, "python3", "-c", "import sys, weasyprint; "
              "sys.stdout.write(weasyprint.HTML(string='<h1>Impact</h1>').write_pdf()[:5].decode())")
    assert pdf.stdout == "%PDF-", pdf.stderr[-2000:]

    ledger = run("flask", "ledger", "check")
    assert "The ledger balances." in ledger.stdout
    assert _healthz(base) is not None
