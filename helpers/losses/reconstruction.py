"""Reconstruction losses on a hole, for inpainting (notebook 11)."""

from __future__ import annotations

__all__: list[str] = []
