"""Mixed traffic for bench/load.py: browse, search, view, sign in, post a listing, accept a proposal.

Each simulated person is one synthetic member's admin (admin<N>@synthetic.example). A visit
signs in, does what people do, weighted (mostly reading, sometimes writing), and after a number
of things (LOAD_TASKS_PER_VISIT, "10-30" by default) signs out, pauses, and starts another
visit with a fresh sign-in: so signing in happens all through the run, about once every 20
things a person does, as it does for real people, rather than only when everyone arrives.
LOAD_TASKS_PER_VISIT=0 keeps everyone signed in for the whole run (the old profile).
"""
from __future__ import annotations

import os
import random
import re
import time
from datetime import date, timedelta

from locust import HttpUser, TaskSet, between, events, task

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ANSWER = re.compile(r'href="(/exchanges/(\d+)/respond\?member_id=(\d+))"')
WORDS = ("community", "garden", "youth", "food", "digital", "family", "sports", "advice", "training", "kitchen")
POSTCODES = ("L36 9YS", "L32 8TS", "L34 5QW", "L26 1UU", "L28 1AB", "L35 3SX", "WA8 5QG")
MEMBERS = int(os.environ.get("LOAD_MEMBERS", "10000"))
WITH_PROPOSALS = int(os.environ.get("LOAD_PROPOSAL_MEMBERS", "0"))
MAX_LISTING = int(os.environ.get("LOAD_LISTINGS", "100000"))
CATEGORY_IDS = [int(c) for c in os.environ.get("LOAD_CATEGORY_IDS", "2").split(",")]
_visit = os.environ.get("LOAD_TASKS_PER_VISIT", "10-30")
TASKS_PER_VISIT = tuple(int(n) for n in _visit.split("-")) if _visit != "0" else None


REQUEST_LOG = os.environ.get("LOAD_REQUEST_LOG")
if REQUEST_LOG:  # every request's end time, name, response time and failure, for bench/load.py
    _request_log = open(REQUEST_LOG, "w")

    def _mark(name: str) -> None:
        _request_log.write(f"{time.time():.3f},{name},0,0\n")
        _request_log.flush()

    @events.request.add_listener
    def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
        _request_log.write(f"{time.time():.3f},{name},{response_time:.1f},{int(exception is not None)}\n")

    # bench/load.py measures from the moment every person has been started.
    events.test_start.add_listener(lambda **kwargs: _mark("#started"))
    events.spawning_complete.add_listener(lambda user_count, **kwargs: _mark("#all started"))

    @events.quitting.add_listener
    def _close(**kwargs):
        _request_log.close()


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


class Visit(TaskSet):
    """Sign in, do some things, sign out (the Person then pauses and starts another visit)."""

    def on_start(self) -> None:
        self.left = random.randint(*TASKS_PER_VISIT) if TASKS_PER_VISIT else None
        page = self.client.get("/sign-in", name="sign in (form)")
        with self.client.post("/sign-in", name="sign in", catch_response=True, data={
                "csrf_token": _csrf(page.text), "email": f"admin{self.user.member}@synthetic.example",
                "password": "demo-password-1"}) as dashboard:
            if not dashboard.url.endswith("/dashboard"):
                dashboard.failure("not signed in")  # the form again: a wrong password or a lockout
        self.csrf = _csrf(dashboard.text)  # for the sign-out form at the end of the visit

    def execute_task(self, task) -> None:
        super().execute_task(task)
        if self.left is not None:
            self.left -= 1
            if self.left <= 0:
                self.wait()
                with self.client.post("/sign-out", name="sign out", catch_response=True,
                                      data={"csrf_token": self.csrf}) as home:
                    if "Sign out" in home.text:
                        home.failure("still signed in")
                self.interrupt(reschedule=False)  # the Person pauses, then signs in again

    def _get(self, url: str, name: str, **kwargs):
        response = self.client.get(url, name=name, **kwargs)
        self.csrf = _csrf(response.text) or self.csrf  # every signed-in page has the sign-out form
        return response

    @task(4)
    def home(self) -> None:
        self._get("/", name="home")

    @task(6)
    def browse(self) -> None:
        self._get(f"/listings?page={random.randint(1, 50)}", name="directory page")

    @task(8)
    def search(self) -> None:
        params = {"q": random.choice(WORDS), "kind": random.choice(("time", "skill", "room", "equipment")),
                  "postcode": random.choice(POSTCODES), "within": random.choice((2, 5, 10))}
        self._get("/listings", params=params, name="directory search")

    @task(6)
    def view(self) -> None:
        with self.client.get(f"/listings/{random.randint(1, MAX_LISTING)}", name="listing",
                             catch_response=True) as response:
            if response.status_code == 404:
                response.success()  # a withdrawn or missing id: a fine answer
            else:
                self.csrf = _csrf(response.text) or self.csrf

    @task(2)
    def dashboard(self) -> None:
        self._get("/dashboard", name="dashboard")

    @task(1)
    def post_listing(self) -> None:
        member = self.user.member
        form = self._get(f"/members/{member}/listings/new?direction=need", name="post a listing (form)")
        start = date.today()
        self.client.post(f"/members/{member}/listings/new", name="post a listing", data={
            "csrf_token": _csrf(form.text), "direction": "need", "kind": "time",
            "category_id": random.choice(CATEGORY_IDS), "title": "Volunteers for a litter pick",
            "description": "Load test listing", "quantity": "3", "people": "4",
            "available_from": start.isoformat(), "available_until": (start + timedelta(days=30)).isoformat(),
            "days": ["Saturday"], "parts": ["morning"], "location": "at_receiver", "travel_km": "5",
            "urgency": "2"})

    @task(1)
    def accept_a_proposal(self) -> None:
        page = self._get("/exchanges", name="exchanges")
        for exchange_id in re.findall(r'href="/exchanges/(\d+)"', page.text)[:3]:
            detail = self._get(f"/exchanges/{exchange_id}", name="exchange")
            found = ANSWER.search(detail.text.replace("&amp;", "&"))
            if found:
                form = self._get(found.group(1), name="answer (form)")
                self.client.post(found.group(1), name="accept a part", data={
                    "csrf_token": _csrf(form.text), "member_id": found.group(3), "answer": "accept"})
                return


class Person(HttpUser):
    wait_time = between(0.5, 2.0)
    tasks = [Visit]

    def on_start(self) -> None:
        # People with proposals waiting come first, so "accept" has work to do.
        self.member = random.randint(1, WITH_PROPOSALS or MEMBERS)
