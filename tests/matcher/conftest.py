"""Fixtures of the matcher's app tests: the same three-member ring as the exchanges' tests."""
from tests.exchanges.conftest import ring  # noqa: F401
