"""The NT-Xent loss of SimCLR (normalized temperature-scaled cross-entropy, a form of InfoNCE).

Introduced in notebook 08.
"""

from __future__ import annotations

from typing import Any

from keras import ops

__all__ = ["nt_xent_loss", "nt_xent_logits"]

_MASK_VALUE = -1e9


def _check_temperature(temperature: Any) -> None:
    if isinstance(temperature, (int, float)) and not isinstance(temperature, bool) and temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}.")


def nt_xent_logits(z_a: Any, z_b: Any, temperature: float = 0.5) -> tuple[Any, Any]:
    """Cosine-similarity logits of the ``2n`` views and the index of each one's positive.

    Introduced in notebook 08. Rows ``0..n-1`` are the views ``z_a``, rows
    ``n..2n-1`` the views ``z_b``; row ``i`` holds ``cos(z_i, z_j) / temperature``
    for every ``j``, with the self-similarity on the diagonal masked out
    (a very negative number), and ``positives[i]`` is the column of the other
    view of the same image (``i + n`` or ``i - n``).

    Returns:
        ``(logits, positives)`` of shapes ``(2n, 2n)`` and ``(2n,)``.
    """
    _check_temperature(temperature)
    if len(z_a.shape) != 2 or len(z_b.shape) != 2:
        raise ValueError(f"z_a and z_b must be 2-D (n, dim), got shapes {tuple(z_a.shape)} and {tuple(z_b.shape)}.")
    if z_a.shape[0] is not None and z_b.shape[0] is not None and tuple(z_a.shape) != tuple(z_b.shape):
        raise ValueError(
            f"z_a and z_b must have the same shape (two views of the same n images), "
            f"got {tuple(z_a.shape)} and {tuple(z_b.shape)}."
        )
    z = ops.concatenate([ops.cast(z_a, "float32"), ops.cast(z_b, "float32")], axis=0)
    z = z / ops.sqrt(ops.maximum(ops.sum(z * z, axis=1, keepdims=True), 1e-12))
    num_views = ops.shape(z)[0]
    n = num_views // 2
    logits = ops.matmul(z, ops.transpose(z)) / temperature
    logits = ops.where(ops.eye(num_views, dtype="bool"), _MASK_VALUE, logits)
    index = ops.arange(num_views)
    positives = ops.where(index < n, index + n, index - n)
    return logits, positives


def nt_xent_loss(z_a: Any, z_b: Any, temperature: float = 0.5) -> Any:
    """The NT-Xent (InfoNCE) loss of SimCLR for two views of the same ``n`` images.

    Introduced in notebook 08. ``z_a[i]`` and ``z_b[i]`` are the projections
    ``(n, dim)`` of two augmentations of image ``i``: that is the *positive*
    pair (the label is "same image"), and the other ``2n - 2`` views in the
    batch are the negatives. Rows are L2-normalized inside. For each of the
    ``2n`` views as anchor, the loss is the cross-entropy of picking its
    positive among the other ``2n - 1`` views from the cosine similarities
    divided by ``temperature``; the result is the mean over all ``2n``
    anchors, a scalar. It is symmetric in ``z_a`` and ``z_b``; with ``n``
    orthonormal rows and ``z_a == z_b`` it equals
    ``log(1 + (2n - 2) exp(-1 / temperature))``.

    Raises:
        ValueError: ``temperature <= 0``, inputs not 2-D, or of different shapes.
    """
    logits, positives = nt_xent_logits(z_a, z_b, temperature)
    positive_logits = ops.take_along_axis(logits, ops.expand_dims(positives, 1), axis=1)[:, 0]
    return ops.mean(ops.logsumexp(logits, axis=1) - positive_logits)
