"""The matcher's home in the app: everything between the database and `matching.marketplace`.

`market.py` builds the matcher's plain input from the database; `runs.py` runs it in the background
(a thread, or RQ workers) and stores what it proposes; `models.py` holds `MatcherRun`; `views.py`
the coordinators' matcher pages and `api.py` the coordinator API's matcher endpoints.

Nothing here is imported at start-up that loads the engine (numpy, HiGHS): `market.py` and
`matching` are imported by the code that builds or solves a market.
"""
