"""The hash the database keeps of a random secret: a session's, an emailed link's, an invitation's, an API token's."""
from __future__ import annotations

import hashlib


def hash_secret(secret: str) -> str:
    """SHA-256 of a random secret: what the database keeps instead of it.

    32 random bytes need no slow hash: nobody can guess them, so a fast one is as safe.
    """
    return hashlib.sha256(secret.encode()).hexdigest()
