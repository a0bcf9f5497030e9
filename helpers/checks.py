"""Checks of inputs shared by the pretext tasks and the shortcut helpers."""

from __future__ import annotations

import numpy as np


def image_batch(images: np.ndarray, what: str = "images") -> np.ndarray:
    """``images`` as an array of shape ``(n, height, width, channels)`` with ``n >= 1``.

    Introduced in notebook 01. Raises ``ValueError`` naming the expected layout and the fix.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"{what} must be a batch of shape (n, height, width, channels), got shape {images.shape}; "
            "add a channel axis with images[..., None] for greyscale images "
            "(helpers.evaluation.evaluation_split returns images in this layout)."
        )
    if len(images) == 0:
        raise ValueError(f"Got no {what}: an empty batch.")
    return images
