"""Jigsaw puzzles: permutation sets and tiles (notebook 10)."""

from __future__ import annotations

__all__: list[str] = []
