"""Losses of notebook 05 (to be written)."""

__all__: list[str] = []
