"""Caseload's performance benchmarks: each ``bench_*.py`` times one job against a baseline
measured in the same run and prints figures and ratios. ``make bench`` runs them all."""
