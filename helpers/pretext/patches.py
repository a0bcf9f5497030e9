"""Relative patch positions and the chromatic-aberration shortcut (notebook 09)."""

from __future__ import annotations

__all__: list[str] = []
