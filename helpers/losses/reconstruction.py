"""Reconstruction losses on a hole, for inpainting with a context encoder (Pathak et al. 2016).

Introduced in notebook 11.

A context encoder is judged only on what it could not see: the squared error is averaged over the
pixels of the hole (``masks`` is 1 there), not over the whole image, whose context the network was
given. Pathak et al. also predict a thin *overlap band* of context pixels around the hole and
weight its error 10 times more, so that the fill joins its surroundings without a seam. Written
with ``keras.ops``, so the loss runs inside a model's ``train_step`` on any backend.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["OVERLAP_WEIGHT", "hole_weights", "hole_loss"]

#: The weight of the overlap band in Pathak et al.'s ``train.lua`` (``overlapL2Weight``).
OVERLAP_WEIGHT = 10.0


def _check_overlap(overlap: int, overlap_weight: float) -> None:
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 0:
        raise ValueError(f"overlap must be a non-negative integer (pixels), got {overlap!r}.")
    if not overlap_weight >= 0:
        raise ValueError(f"overlap_weight must be a non-negative number, got {overlap_weight!r}.")


def hole_weights(masks, overlap: int = 0, overlap_weight: float = OVERLAP_WEIGHT):
    """Per-pixel loss weights: 1 in the hole, ``overlap_weight`` in the band of ``overlap`` pixels around it.

    Introduced in notebook 11. ``masks`` is ``(n, height, width, 1)`` with 1 inside the hole; the
    band is every context pixel within ``overlap`` pixels of the hole (a square neighbourhood,
    like ``pretext.inpainting.overlap_band``); elsewhere the weight is 0.
    """
    _check_overlap(overlap, overlap_weight)
    masks = ops.convert_to_tensor(masks)
    if "float" not in str(masks.dtype):
        masks = ops.cast(masks, keras.config.floatx())
    if len(masks.shape) != 4 or masks.shape[-1] != 1:
        raise ValueError(f"masks must have shape (n, height, width, 1), got {tuple(masks.shape)}.")
    if overlap == 0:
        return masks
    grown = ops.max_pool(masks, pool_size=2 * overlap + 1, strides=1, padding="same")
    return masks + overlap_weight * (grown - masks)


def hole_loss(targets, predictions, masks, overlap: int = 0, overlap_weight: float = OVERLAP_WEIGHT):
    """Mean squared error over the hole, optionally with a weighted overlap band: a scalar.

    Introduced in notebook 11. With weights ``w`` from ``hole_weights`` (1 in the hole,
    ``overlap_weight`` in the band, 0 elsewhere) the loss is
    ``sum(w * (targets - predictions) ** 2) / (channels * sum(w))`` over the whole batch: with
    ``overlap=0`` exactly the mean squared error of the hole's pixels. A batch without any hole
    gives 0.

    Raises:
        ValueError: targets and predictions of different shapes, masks that do not match them,
            a negative overlap or weight.
    """
    targets = ops.convert_to_tensor(targets)
    predictions = ops.convert_to_tensor(predictions)
    if tuple(targets.shape) != tuple(predictions.shape):
        raise ValueError(f"targets {tuple(targets.shape)} and predictions {tuple(predictions.shape)} must have one shape.")
    if len(targets.shape) != 4:
        raise ValueError(f"Expected image batches (n, height, width, channels), got shape {tuple(targets.shape)}.")
    weights = hole_weights(masks, overlap, overlap_weight)
    if tuple(weights.shape[1:3]) != tuple(targets.shape[1:3]):
        raise ValueError(f"masks {tuple(weights.shape)} do not match the images {tuple(targets.shape)}.")
    predictions = ops.cast(predictions, weights.dtype)
    targets = ops.cast(targets, weights.dtype)
    squared = ops.mean(ops.square(targets - predictions), axis=-1, keepdims=True)
    return ops.sum(weights * squared) / ops.maximum(ops.sum(weights), 1e-12)
