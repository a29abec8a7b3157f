"""Matcher runs happen in the background: a thread by default, or a real RQ worker on Redis."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from timebank.exchanges.models import Exchange
from timebank.matcher.models import MatcherRun
from timebank.extensions import db


def _wait_for_run(app, run_id, seconds=120, worker: subprocess.Popen | None = None):
    """The run's (status, message, error) once it has ended, or when the ``worker`` process doing
    it has gone (it will not finish the run then)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        gone = worker is not None and worker.poll() is not None
        with app.app_context():
            run = db.session.get(MatcherRun, run_id)
            if run.status in ("done", "failed") or gone:
                return run.status, run.message, run.error
        time.sleep(0.2)
    raise AssertionError("the run did not finish")


def _start_from_the_web(client, auth, ring):
    auth.login(ring["coordinator"])
    form = client.get("/coordinator/matcher").data.decode()
    assert 'name="max_cycle"' in form
    response = client.post("/coordinator/matcher", data={
        "max_cycle": "3", "max_chain": "3", "allow_pairs": "y", "w_urgency": "4", "w_category_fit": "3",
        "w_distance": "2", "w_waiting": "1", "time_limit": "30"})
    assert response.status_code == 302
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _ring_was_proposed(app, ring):
    with app.app_context():
        exchanges = db.session.scalars(select(Exchange)).all()
        used = {i for e in exchanges for leg in e.legs for i in (leg.offer_listing_id, leg.need_listing_id)}
        return exchanges, set(ring["offers"] + ring["needs"]) <= used


def test_a_run_started_on_the_web_happens_in_a_background_thread(app, client, auth, ring):
    run_id = _start_from_the_web(client, auth, ring)
    page = client.get(f"/coordinator/matcher/runs/{run_id}").data.decode()
    assert f"Matcher run {run_id}" in page
    status, message, error = _wait_for_run(app, run_id)
    assert status == "done", error
    exchanges, covered = _ring_was_proposed(app, ring)
    assert covered and any(e.shape == "cycle" for e in exchanges)
    done = client.get(f"/coordinator/matcher/runs/{run_id}").data.decode()
    assert "proposed exchanges" in done and 'http-equiv="refresh"' not in done
    # what is likely to go ahead, allowing for declines: a number, for the run and for each length
    expected = re.search(r"Needs expected to be met, allowing for declines</dt>\s*<dd[^>]*>\s*([0-9.]+)", done)
    assert expected and 0 < float(expected.group(1))
    assert "Expected, allowing for declines" in done


def test_a_run_in_progress_never_reloads_its_page_and_says_its_progress_in_a_live_region(app, client, auth, ring):
    """WCAG 2.2.1: no page that refreshes itself. The script asks the progress endpoint and writes
    the message in the role="status" region; without script, "Check progress" loads the page again."""
    from timebank.accounts.services import find_user
    from timebank.matcher import runs

    with app.test_request_context():
        run = runs.start_run(find_user(ring["coordinator"]), {})  # queued: nothing takes it in this test
        db.session.commit()
        run_id = run.id
    auth.login(ring["coordinator"])
    page = client.get(f"/coordinator/matcher/runs/{run_id}").data.decode()
    assert 'http-equiv="refresh"' not in page
    assert '<p class="lead" role="status" data-run-message>Waiting to start (0% done).</p>' in page
    assert f'data-progress-url="/coordinator/matcher/runs/{run_id}/progress"' in page
    assert f'href="/coordinator/matcher/runs/{run_id}"' in page and "Check progress" in page
    assert "js/run-progress.js" in page
    progress = client.get(f"/coordinator/matcher/runs/{run_id}/progress")
    assert progress.json == {"status": "queued", "in_progress": True, "progress": 0, "message": "Waiting to start",
                             "tag_html": '<strong class="tag tag--grey">Queued</strong>'}
    assert '<span data-run-tag><strong class="tag tag--grey">Queued</strong></span>' in page  # what the script swaps
    assert progress.headers["Cache-Control"] == "no-store"
    with app.test_request_context():
        runs.execute_run(run_id)
    finished = client.get(f"/coordinator/matcher/runs/{run_id}/progress").json
    assert finished["status"] == "done" and finished["tag_html"] == '<strong class="tag tag--grey">Done</strong>'
    done = client.get(f"/coordinator/matcher/runs/{run_id}").data.decode()
    assert "Check progress" not in done and "run-progress.js" not in done and "Proposals from this run" in done
    assert client.get("/coordinator/matcher/runs/999999/progress").status_code == 404


def test_only_one_run_at_a_time(app, client, auth, ring):
    from timebank.accounts.services import find_user
    from timebank.errors import Conflict
    from timebank.matcher import runs

    with app.test_request_context():
        runs.start_run(find_user(ring["coordinator"]), {})
        db.session.commit()
        with pytest.raises(Conflict, match="still going"):
            runs.start_run(find_user(ring["coordinator"]), {})


def _stop_rq_worker(worker: subprocess.Popen) -> None:
    """Let a burst worker exit, or stop it and the job process it forked.

    After its last job the worker may take a minute to exit (rq 3's pubsub thread waits up to 60 s
    for a message, and closing it waits for that: a race, seen under load), so it gets a few
    seconds. Then two SIGTERMs: rq's cold shutdown, which also kills a job still running in its
    own process group.
    """
    try:
        worker.wait(5)
        return
    except subprocess.TimeoutExpired:
        pass
    worker.terminate()
    time.sleep(0.5)
    if worker.poll() is None:
        worker.terminate()
    try:
        worker.wait(10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def test_with_rq_configured_a_separate_worker_process_does_the_run(app, client, auth, ring, redis_url, tmp_path):
    app.config.update(MATCHER_QUEUE="rq", REDIS_URL=redis_url)
    run_id = _start_from_the_web(client, auth, ring)
    with app.app_context():
        assert db.session.get(MatcherRun, run_id).status == "queued"  # nothing ran in the web process
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "MAIL_BACKEND": "locmem",
           "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    rq = Path(sys.executable).with_name("rq")
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen([str(rq), "worker", "--burst", "--url", redis_url, "matcher"], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        status, _, error = _wait_for_run(app, run_id, worker=worker)
    finally:
        _stop_rq_worker(worker)
    assert status == "done", f"run {status}: {error}\n{log.read_text()[-2000:]}"
    assert "Successfully completed timebank.matcher.runs.rq_job" in log.read_text(), log.read_text()[-2000:]
    assert '"job": "matcher-run"' in log.read_text()  # the worker logs one JSON line for the run
    assert _ring_was_proposed(app, ring)[1]
