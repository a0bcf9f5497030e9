"""Losses of notebook 08 (to be written)."""

__all__: list[str] = []
