"""The matcher's adapter: the database as a plain `matching.marketplace.Market`."""
from timebank.matcher.market import build_market

__all__ = ["build_market"]
