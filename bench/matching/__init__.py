"""Benchmarks of the clearing engine against kep_solver and TradeMaximizer."""
