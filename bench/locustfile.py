"""Mixed traffic for bench/load.py: browse, search, view, sign in, post a listing, accept a proposal.

Each simulated person signs in as one synthetic member's admin (admin<N>@synthetic.example) and
then does what people do, weighted: mostly reading, sometimes writing.
"""
from __future__ import annotations

import os
import random
import re
import time
from datetime import date, timedelta

from locust import HttpUser, between, events, task

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ANSWER = re.compile(r'href="(/exchanges/(\d+)/respond\?member_id=(\d+))"')
WORDS = ("community", "garden", "youth", "food", "digital", "family", "sports", "advice", "training", "kitchen")
POSTCODES = ("L36 9YS", "L32 8TS", "L34 5QW", "L26 1UU", "L28 1AB", "L35 3SX", "WA8 5QG")
MEMBERS = int(os.environ.get("LOAD_MEMBERS", "10000"))
WITH_PROPOSALS = int(os.environ.get("LOAD_PROPOSAL_MEMBERS", "0"))
MAX_LISTING = int(os.environ.get("LOAD_LISTINGS", "100000"))
CATEGORY_IDS = [int(c) for c in os.environ.get("LOAD_CATEGORY_IDS", "2").split(",")]


REQUEST_LOG = os.environ.get("LOAD_REQUEST_LOG")
if REQUEST_LOG:  # every request's end time, name, response time and failure, for bench/load.py
    _request_log = open(REQUEST_LOG, "w")

    @events.request.add_listener
    def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
        _request_log.write(f"{time.time():.3f},{name},{response_time:.1f},{int(exception is not None)}\n")

    @events.quitting.add_listener
    def _close(**kwargs):
        _request_log.close()


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


class Person(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        # People with proposals waiting sign in first, so "accept" has work to do.
        pool = WITH_PROPOSALS or MEMBERS
        self.member = random.randint(1, pool)
        self.sign_in()

    def sign_in(self) -> None:
        page = self.client.get("/sign-in", name="sign in (form)")
        self.client.post("/sign-in", name="sign in", data={
            "csrf_token": _csrf(page.text), "email": f"admin{self.member}@synthetic.example",
            "password": "demo-password-1"})

    @task(4)
    def home(self) -> None:
        self.client.get("/", name="home")

    @task(6)
    def browse(self) -> None:
        self.client.get(f"/listings?page={random.randint(1, 50)}", name="directory page")

    @task(8)
    def search(self) -> None:
        params = {"q": random.choice(WORDS), "kind": random.choice(("time", "skill", "room", "equipment")),
                  "postcode": random.choice(POSTCODES), "within": random.choice((2, 5, 10))}
        self.client.get("/listings", params=params, name="directory search")

    @task(6)
    def view(self) -> None:
        with self.client.get(f"/listings/{random.randint(1, MAX_LISTING)}", name="listing",
                             catch_response=True) as response:
            if response.status_code == 404:
                response.success()  # a withdrawn or missing id: a fine answer

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/dashboard", name="dashboard")

    @task(1)
    def post_listing(self) -> None:
        form = self.client.get(f"/members/{self.member}/listings/new?direction=need", name="post a listing (form)")
        start = date.today()
        self.client.post(f"/members/{self.member}/listings/new", name="post a listing", data={
            "csrf_token": _csrf(form.text), "direction": "need", "kind": "time",
            "category_id": random.choice(CATEGORY_IDS), "title": "Volunteers for a litter pick",
            "description": "Load test listing", "quantity": "3", "people": "4",
            "available_from": start.isoformat(), "available_until": (start + timedelta(days=30)).isoformat(),
            "days": ["Saturday"], "parts": ["morning"], "location": "at_receiver", "travel_km": "5",
            "urgency": "2"})

    @task(1)
    def accept_a_proposal(self) -> None:
        page = self.client.get(f"/exchanges", name="exchanges")
        for exchange_id in re.findall(r'href="/exchanges/(\d+)"', page.text)[:3]:
            detail = self.client.get(f"/exchanges/{exchange_id}", name="exchange")
            found = ANSWER.search(detail.text.replace("&amp;", "&"))
            if found:
                form = self.client.get(found.group(1), name="answer (form)")
                self.client.post(found.group(1), name="accept a part", data={
                    "csrf_token": _csrf(form.text), "member_id": found.group(3), "answer": "accept"})
                return
