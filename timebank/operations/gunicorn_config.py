"""gunicorn's settings for the exchange: `gunicorn -c python:timebank.operations.gunicorn_config 'timebank:create_app()'`.

Two workers (the measured best on 2 cores: docs/performance.md), bound to loopback for a proxy
on the same server; GUNICORN_BIND and WEB_CONCURRENCY change them (the container binds
0.0.0.0:8000, since its port is only published to the host's loopback). The app writes its own
access log (timebank/operations/logs.py), so gunicorn's is off. The workers count requests into
one PROMETHEUS_MULTIPROC_DIR, emptied when gunicorn starts, so /metrics adds them all up.
"""
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# GUNICORN_THREADS above 1: gthread workers, each serving that many requests at once (one can wait
# for the database or for scrypt, which releases the GIL, while another runs). They keep
# connections alive for longer than a visitor's pause between clicks.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
if threads > 1:
    worker_class = "gthread"
    keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "10"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
accesslog = None
control_socket_disable = True
# The proxy in front says whether the visitor used HTTPS; the app trusts it (TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), f"timebank-metrics-{os.getpid()}"))


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
