"""Labels for free in text: masked tokens and sentence pairs (notebook 13)."""

from __future__ import annotations

__all__: list[str] = []
