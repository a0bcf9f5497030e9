"""Corruptions for denoising autoencoders: Gaussian noise and masking noise.

Introduced in notebook 03.

Both functions take float images in [0, 1], return new float32 images in
[0, 1] (the input is never modified) and are deterministic per ``seed``: the
same images, level and seed always give the same corruption. Vincent et al.
(2008) call zeroing a random fraction of the inputs *masking noise*; it is
Keras' ``Dropout`` without the ``1 / (1 - rate)`` rescaling.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NOISE_KINDS", "gaussian_noise", "masking_noise", "corrupt"]

#: The corruptions ``corrupt`` knows, and what their ``level`` means.
NOISE_KINDS: dict[str, str] = {
    "gaussian": "standard deviation of the added noise, clipped back to [0, 1]",
    "masking": "fraction of pixels set to 0",
}


def _check_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images, dtype="float32")
    if images.size == 0:
        raise ValueError("Got no images to corrupt.")
    low, high = float(images.min()), float(images.max())
    if low < -1e-6 or high > 1 + 1e-6:
        raise ValueError(
            f"Images must be floats in [0, 1], got values in [{low:.3g}, {high:.3g}]; "
            "divide uint8 images by 255 first (helpers.data.to_float_images does)."
        )
    return images


def gaussian_noise(images: np.ndarray, stddev: float, seed: int = 0) -> np.ndarray:
    """Add Gaussian noise of standard deviation ``stddev`` and clip back to [0, 1].

    Introduced in notebook 03. ``stddev=0`` returns an unchanged copy.
    """
    images = _check_images(images)
    if not np.isfinite(stddev) or stddev < 0:
        raise ValueError(f"stddev must be a non-negative number, got {stddev!r}.")
    generator = np.random.default_rng(seed)
    noise = generator.standard_normal(images.shape, dtype="float32") * np.float32(stddev)
    return np.clip(images + noise, 0.0, 1.0)


def masking_noise(images: np.ndarray, fraction: float, seed: int = 0) -> np.ndarray:
    """Set a random ``fraction`` of the pixels to 0 (masking noise, Vincent et al. 2008).

    Introduced in notebook 03. Each pixel position of each image is masked
    independently with probability ``fraction``; for colour images all channels
    of a masked pixel are zeroed together.
    """
    images = _check_images(images)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction!r}.")
    if images.ndim < 2:
        raise ValueError(f"Expected a batch of images (n, h, w[, c]), got shape {images.shape}.")
    generator = np.random.default_rng(seed)
    # one draw per pixel position; the channel axis (if any) shares it
    mask_shape = images.shape[:-1] + (1,) if images.ndim == 4 else images.shape
    keep = generator.random(mask_shape, dtype="float32") >= fraction
    return images * keep.astype("float32")


def corrupt(images: np.ndarray, kind: str, level: float, seed: int = 0) -> np.ndarray:
    """Apply the corruption ``kind`` (``"gaussian"`` or ``"masking"``) at ``level``.

    Introduced in notebook 03. ``kind="none"`` (or ``level=0``) returns a copy.
    """
    if kind == "none":
        return _check_images(images).copy()
    if kind == "gaussian":
        return gaussian_noise(images, level, seed=seed)
    if kind == "masking":
        return masking_noise(images, level, seed=seed)
    raise ValueError(f"Unknown noise kind {kind!r}; use one of {['none', *NOISE_KINDS]}.")
