"""Password hashes worked out at a lower CPU priority than the pages, so sign-ins never queue them.

A scrypt check costs about 75-150 ms of CPU (memory-hard on purpose; its settings are unchanged
here). Worked out in the request's own thread, each sign-in took a core on equal terms with
everything else, and under load every page waited behind the sign-ins in the queue. Here each
worker process hashes in one thread of its own whose priority is lowered by
PASSWORD_HASH_NICE (default 10; 0 hashes in the request's thread as before): while the cores are
busy the pages are served first and a sign-in waits its turn; while they are idle a sign-in takes
as long as ever. hashlib's scrypt lets go of the interpreter lock while it works, so a threaded
worker's other threads go on serving meanwhile. One hashing thread per process also bounds the
memory scrypt takes (32 MiB a check).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

T = TypeVar("T")
_lock = threading.Lock()
_pools: dict[tuple[int, int], ThreadPoolExecutor] = {}  # (process id, niceness): a forked worker makes its own


def _lower_priority(niceness: int) -> None:
    """Lower this thread's priority (Linux keeps one per thread); anyone may lower their own."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (OSError, AttributeError):  # a system without per-thread priorities: hash at the same priority
        pass


def _hashing_thread(niceness: int) -> ThreadPoolExecutor:
    key = (os.getpid(), niceness)
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-hash",
                                                    initializer=_lower_priority, initargs=(niceness,))
        return pool


def _run(work: Callable[..., T], *args) -> T:
    niceness = int(current_app.config.get("PASSWORD_HASH_NICE", 10))
    if niceness <= 0:
        return work(*args)
    return _hashing_thread(niceness).submit(work, *args).result()


def check(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash` (werkzeug's check, at the hashing thread's priority)."""
    return _run(check_password_hash, password_hash, password)


def make_hash(password: str, method: str) -> str:
    """A new salted hash of `password` by `method` (werkzeug's, at the hashing thread's priority)."""
    return _run(generate_password_hash, password, method)
