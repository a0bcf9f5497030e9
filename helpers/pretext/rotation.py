"""Pretext transforms of notebook 07 (to be written)."""

__all__: list[str] = []
