"""Who may look a person up for privacy requests: coordinators, answering a request made by letter or email."""
from __future__ import annotations

from timebank.accounts.access import load_for_coordinator
from timebank.accounts.models import User


def load_person(user_id: int, actor: User) -> User:
    """A person, for a coordinator downloading their data or erasing them."""
    return load_for_coordinator(User, user_id, actor, to="look up a person's data",
                                missing=f"There is no person {user_id}")
