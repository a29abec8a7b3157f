"""The image's healthcheck: `python3 -m timebank.operations.health` (exit 0 healthy, 1 not).

In the web container it asks gunicorn for /healthz (a database round trip); in the worker and
the scheduler, which serve nothing, it checks that the database and Redis answer.
"""
from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path


def main() -> int:
    command = Path("/proc/1/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    try:
        if "gunicorn" in command:
            port = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").rsplit(":", 1)[1]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                return 0 if response.status == 200 else 1
        from sqlalchemy import create_engine, text

        from timebank.config import database_url

        with create_engine(database_url()).connect() as connection:
            connection.execute(text("SELECT 1"))
        if "rq" in command or os.environ.get("MATCHER_QUEUE") == "rq":
            from redis import Redis

            Redis.from_url(os.environ["REDIS_URL"], socket_timeout=5).ping()
    except Exception as error:  # noqa: BLE001 - any failure is "unhealthy", said on stderr
        print(f"unhealthy: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
