"""Masked regions for inpainting with a context encoder (Pathak et al. 2016).

Introduced in notebook 11.

The pretext task: remove a region of the image, fill it with a constant (the
dataset's mean colour in the paper) and train an encoder-decoder to paint it
back from its context. ``mask_regions`` makes the holes of the paper's three
kinds:

* ``"centre"``: a central square of side ``size`` (the paper's main figures);
* ``"random_block"``: a square of side ``size`` at a random position inside the image;
* ``"random_region"``: random blobs covering a fraction ``coverage`` of the image (a quarter by
  default). Pathak et al.'s ``train_random.lua`` thresholds a smooth random pattern (uniform noise
  on a coarse grid, upsampled) and keeps crops covering 20 to 30 percent; here each image gets its
  own smooth pattern, upsampled bilinearly from a grid with one cell per ``size`` pixels, and the
  threshold is that pattern's own quantile, so every mask covers ``coverage`` of the image (up to
  rounding). ``size`` sets how large the blobs are.

Masks are ``(n, height, width, 1)`` float32 arrays, 1 inside the hole and 0 in the context. Every
function is deterministic per ``seed`` and never modifies its input.
"""

from __future__ import annotations

import numpy as np

from helpers import checks

__all__ = [
    "MASK_KINDS",
    "mask_regions",
    "overlap_band",
    "fill_value",
]

#: The hole shapes ``mask_regions`` knows, and what ``size`` means for each.
MASK_KINDS: dict[str, str] = {
    "centre": "side of the central square hole, in pixels",
    "random_block": "side of a square hole at a random position, in pixels",
    "random_region": "size of the random blobs, in pixels (one cell of the coarse random pattern)",
}


def _check_images(images: np.ndarray) -> np.ndarray:
    return checks.image_batch(images).astype("float32", copy=False)


def fill_value(images: np.ndarray) -> np.ndarray:
    """The per-channel mean colour of ``images``, shape ``(channels,)``: the paper's hole filling.

    Introduced in notebook 11. Compute it once on the pretraining images and pass it as ``fill``
    so that every batch is filled with the same colour.
    """
    images = _check_images(images)
    return images.mean(axis=(0, 1, 2)).astype("float32")


def _interpolation_matrix(size: int, cells: int) -> np.ndarray:
    """``(size, cells + 1)`` weights of linear interpolation from ``cells + 1`` grid points."""
    positions = (np.arange(size) + 0.5) / size * cells
    left = np.minimum(np.floor(positions).astype(int), cells - 1)
    fraction = positions - left
    matrix = np.zeros((size, cells + 1))
    matrix[np.arange(size), left] = 1.0 - fraction
    matrix[np.arange(size), left + 1] = fraction
    return matrix


def _region_masks(count: int, height: int, width: int, size: int, coverage: float, generator) -> np.ndarray:
    rows = _interpolation_matrix(height, max(1, round(height / size)))
    columns = _interpolation_matrix(width, max(1, round(width / size)))
    coarse = generator.random((count, rows.shape[1], columns.shape[1]))
    smooth = np.einsum("hi,nij,wj->nhw", rows, coarse, columns)
    holes = max(1, round(coverage * height * width))
    # the `holes` lowest values of each pattern form the hole (stable order breaks ties)
    order = np.argsort(smooth.reshape(count, -1), axis=1, kind="stable")[:, :holes]
    masks = np.zeros((count, height * width), dtype="float32")
    np.put_along_axis(masks, order, 1.0, axis=1)
    return masks.reshape(count, height, width)


def mask_regions(
    images: np.ndarray,
    kind: str,
    size: int,
    seed: int = 0,
    fill: float | np.ndarray | None = None,
    coverage: float = 0.25,
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a hole of ``kind`` into every image and fill it: ``(masked_images, masks)``.

    Introduced in notebook 11.

    Args:
        images: a batch ``(n, height, width, channels)`` of float images.
        kind: ``"centre"``, ``"random_block"`` or ``"random_region"`` (see ``MASK_KINDS``).
        size: the side of the square hole in pixels; for ``"random_region"`` the size of the blobs.
        seed: the seed of the random positions and patterns (``"centre"`` uses none).
        fill: the value put in the hole: a number or one value per channel; default the
            per-channel mean of ``images`` (``fill_value``).
        coverage: the fraction of each image a ``"random_region"`` hole covers.

    Returns:
        ``masked_images`` (float32, same shape as ``images``) and ``masks`` ``(n, height, width, 1)``,
        1 inside the hole.

    Raises:
        ValueError: an unknown kind, a hole that does not fit in the image (``size`` below 1 or
            above the smaller side), a coverage outside (0, 1), or a fill with the wrong length.
    """
    images = _check_images(images)
    count, height, width, channels = images.shape
    if kind not in MASK_KINDS:
        raise ValueError(f"Unknown mask kind {kind!r}; use one of {list(MASK_KINDS)}.")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= min(height, width):
        raise ValueError(
            f"A hole of size {size!r} does not fit in {height}x{width} images: give an integer "
            f"from 1 to {min(height, width)}."
        )
    if not 0.0 < coverage < 1.0:
        raise ValueError(f"coverage must be a fraction in (0, 1), got {coverage!r}.")
    if fill is None:
        fill = fill_value(images)
    fill = np.asarray(fill, dtype="float32").reshape(-1)
    if len(fill) not in (1, channels):
        raise ValueError(f"fill must be one number or one per channel ({channels}), got {len(fill)} values.")
    generator = np.random.default_rng(seed)
    masks = np.zeros((count, height, width), dtype="float32")
    if kind == "centre":
        top, left = (height - size) // 2, (width - size) // 2
        masks[:, top : top + size, left : left + size] = 1.0
    elif kind == "random_block":
        tops = generator.integers(0, height - size + 1, size=count)
        lefts = generator.integers(0, width - size + 1, size=count)
        for mask, top, left in zip(masks, tops, lefts, strict=True):
            mask[top : top + size, left : left + size] = 1.0
    else:
        masks = _region_masks(count, height, width, int(size), float(coverage), generator)
    masks = masks[..., None]
    masked = images * (1.0 - masks) + masks * fill.reshape(1, 1, 1, -1)
    return masked.astype("float32"), masks


def overlap_band(masks: np.ndarray, width: int) -> np.ndarray:
    """The context pixels within ``width`` pixels of the hole (a square neighbourhood), as 0/1 masks.

    Introduced in notebook 11. Pathak et al. also predict a band of ``width`` context pixels
    around the hole (4 pixels at 128x128) and weight its L2 loss 10 times more, so that the fill
    continues its surroundings. ``width=0`` gives an empty band.
    """
    masks = np.asarray(masks, dtype="float32")
    if masks.ndim != 4 or masks.shape[-1] != 1:
        raise ValueError(f"masks must have shape (n, height, width, 1), got {masks.shape}.")
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 0:
        raise ValueError(f"width must be a non-negative integer, got {width!r}.")
    grown = masks[..., 0] > 0.5
    padded = np.pad(grown, ((0, 0), (width, width), (width, width)))
    height, image_width = grown.shape[1:]
    dilated = np.zeros_like(grown)
    for dy in range(2 * width + 1):
        for dx in range(2 * width + 1):
            dilated |= padded[:, dy : dy + height, dx : dx + image_width]
    return (dilated & ~grown).astype("float32")[..., None]
