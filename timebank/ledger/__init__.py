"""Time credits: the double-entry ledger (accounts, entries, postings), balances, adjustments, the pot."""
