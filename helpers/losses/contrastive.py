"""The euclidean distance of a siamese network and the margin contrastive loss.

Introduced in notebook 05. Both are written with ``keras.ops``, so they run on
any Keras backend and inside a compiled model.

Label convention (the one thing tutorials disagree on): **``y_true = 1`` means
a similar pair** (same class) and ``0`` a dissimilar pair. Hadsell, Chopra and
LeCun (2006) write the opposite (``Y = 0`` for similar, with factors 1/2), and so
does any code of the form ``(1 - y) * d**2 + y * max(m - d, 0)**2`` when ``d`` is a
distance: it is the same function with ``y`` replaced by ``1 - y``. Feeding one
convention's labels to the other's loss raises no error; it trains the network to
push similar pairs apart (notebook 05 shows it).
"""

from __future__ import annotations

from typing import Any

from keras import ops

__all__ = ["euclidean_distance", "contrastive_loss", "DEFAULT_EPSILON"]

#: Smallest squared distance passed to the square root: keeps the gradient finite at d = 0.
DEFAULT_EPSILON = 1e-7


def euclidean_distance(a: Any, b: Any, epsilon: float = DEFAULT_EPSILON) -> Any:
    """Row-wise Euclidean distance between two batches of embeddings, shape ``(batch,)``.

    Introduced in notebook 05.

    The squared sum is clamped to at least ``epsilon`` *before* the square
    root: the derivative of ``sqrt(s)`` is ``1 / (2 sqrt(s))``, infinite at
    ``s = 0``, so two identical embeddings would otherwise produce NaN
    gradients. The price is a distance of ``sqrt(epsilon)`` (about 3e-4)
    instead of 0 for identical rows.

    Args:
        a, b: tensors or arrays of the same shape ``(batch, dim)``.
        epsilon: the clamp of the squared distance (positive).

    Raises:
        ValueError: shapes differ or are not ``(batch, dim)``, or ``epsilon <= 0``.
    """
    if not epsilon > 0:
        raise ValueError(f"epsilon must be positive (it keeps sqrt's gradient finite), got {epsilon}.")
    a_shape, b_shape = tuple(ops.shape(a)), tuple(ops.shape(b))
    if len(a_shape) != 2 or len(b_shape) != 2:
        raise ValueError(
            f"euclidean_distance expects two batches of embeddings (batch, dim), got shapes "
            f"{a_shape} and {b_shape}."
        )
    if a_shape[1] is not None and b_shape[1] is not None and a_shape[1] != b_shape[1]:
        raise ValueError(f"The embeddings have different sizes: {a_shape} and {b_shape}.")
    squared = ops.sum(ops.square(ops.subtract(a, b)), axis=1)
    return ops.sqrt(ops.maximum(squared, epsilon))


def contrastive_loss(y_true: Any, distance: Any, margin: float = 1.0, squared: bool = True) -> Any:
    """The margin contrastive loss, averaged over the batch (a scalar).

    Introduced in notebook 05. Per pair,
    ``y * d**2 + (1 - y) * max(margin - d, 0)**2``:

    * ``y_true = 1`` (**similar** pair): pulled together, the loss is ``d**2``;
    * ``y_true = 0`` (dissimilar pair): pushed apart until ``d >= margin``,
      after which it costs nothing.

    With ``squared=False`` neither term is squared,
    ``y * d + (1 - y) * max(margin - d, 0)`` (the form of the lecture's slide).

    Args:
        y_true: 1 for a similar pair, 0 for a dissimilar pair; shape ``(batch,)``
            or ``(batch, 1)``.
        distance: the pair distances ``d >= 0`` (e.g. from ``euclidean_distance``),
            same number of elements as ``y_true``.
        margin: how far apart dissimilar pairs must be before they stop costing (positive).

    Usable as a Keras loss: ``model.compile(loss=lambda y, d: contrastive_loss(y, d, margin))``.

    Raises:
        ValueError: ``margin <= 0``.
    """
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin}.")
    distance = ops.reshape(distance, (-1,))
    y = ops.reshape(ops.cast(y_true, distance.dtype), (-1,))
    shortfall = ops.maximum(margin - distance, 0.0)
    if squared:
        distance, shortfall = ops.square(distance), ops.square(shortfall)
    return ops.mean(y * distance + (1.0 - y) * shortfall)
