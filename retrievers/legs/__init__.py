"""Retrieval legs: one module per way of finding candidates, all behind `Leg` (base.py).

Which legs a strategy runs, and with what weight, is `retrievers.registry`'s to say.
"""
