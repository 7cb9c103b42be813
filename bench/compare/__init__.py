"""Modules of bench/compare.py: Cairn against Redis on the same machine
(issue 5). Python 3 standard library only."""
