"""Masked regions for inpainting with a context encoder (notebook 11)."""

from __future__ import annotations

__all__: list[str] = []
