"""Pretext transforms of notebook 06 (to be written)."""

__all__: list[str] = []
