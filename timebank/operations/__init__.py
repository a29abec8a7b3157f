"""Running the exchange: daily jobs, logs, metrics, and the settings of its servers.

`jobs.py` holds the daily jobs (`flask jobs run NAME`, `flask jobs schedule`) and records each
outcome in `job_runs`; `logs.py` writes one JSON line per request and per job; `metrics.py`
serves Prometheus metrics; `gunicorn_config.py` is the web server's configuration.
"""
