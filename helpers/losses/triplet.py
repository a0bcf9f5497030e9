"""Triplet losses: one triplet at a time, and mined online from a labelled batch.

Introduced in notebook 06.

Embeddings are a ``(batch, dim)`` tensor and labels a ``(batch,)`` integer
tensor. Distances are Euclidean (``squared=False``) unless ``squared=True``.
A *valid* triplet ``(a, p, n)`` has ``a != p`` with the same label and ``n``
with another label. Every loss is written with ``keras.ops`` and has finite
gradients when two embeddings coincide (distance zero).
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = [
    "pairwise_distances",
    "triplet_loss",
    "batch_all_triplet_loss",
    "batch_hard_triplet_loss",
    "batch_semi_hard_triplet_loss",
    "active_triplet_fraction",
]

#: Squared distances below this count as zero: the root is taken of a clamped value.
_EPSILON = 1e-12


def _embeddings_and_labels(labels, embeddings):
    embeddings = ops.convert_to_tensor(embeddings)
    if "float" not in str(embeddings.dtype):
        embeddings = ops.cast(embeddings, keras.config.floatx())
    labels = ops.reshape(ops.convert_to_tensor(labels), (-1,))
    if len(embeddings.shape) != 2:
        raise ValueError(f"embeddings must be a (batch, dim) tensor, got shape {tuple(embeddings.shape)}.")
    if embeddings.shape[0] is not None and labels.shape[0] is not None and embeddings.shape[0] != labels.shape[0]:
        raise ValueError(f"Got {embeddings.shape[0]} embeddings but {labels.shape[0]} labels.")
    return labels, embeddings


def _check_margin(margin: float) -> None:
    if margin < 0:
        raise ValueError(f"margin must be non-negative, got {margin}.")


def pairwise_distances(embeddings, squared: bool = False):
    """The ``(batch, batch)`` matrix of distances between every two embeddings.

    Introduced in notebook 06. Uses ``|x|^2 - 2 x.y + |y|^2``, clipped at zero
    (rounding can make it slightly negative); the square root is taken of a
    value clamped away from zero and exact zeros are restored afterwards, so
    the gradient stays finite where two embeddings coincide (the diagonal).
    """
    embeddings = ops.convert_to_tensor(embeddings)
    if len(embeddings.shape) != 2:
        raise ValueError(f"embeddings must be a (batch, dim) tensor, got shape {tuple(embeddings.shape)}.")
    dot = ops.matmul(embeddings, ops.transpose(embeddings))
    squared_norms = ops.diagonal(dot)
    distances = ops.expand_dims(squared_norms, 1) - 2.0 * dot + ops.expand_dims(squared_norms, 0)
    distances = ops.maximum(distances, 0.0)
    # The diagonal is zero by definition; rounding must not say otherwise.
    size = ops.shape(embeddings)[0]
    off_diagonal = 1.0 - ops.eye(size, dtype=distances.dtype)
    distances = distances * off_diagonal
    if squared:
        return distances
    zero = ops.cast(ops.less_equal(distances, _EPSILON), distances.dtype)
    return ops.sqrt(ops.maximum(distances, _EPSILON)) * (1.0 - zero)


def _masks(labels):
    """Boolean ``(b, b)`` masks: anchor-positive (same label, not itself) and anchor-negative."""
    same = ops.equal(ops.expand_dims(labels, 1), ops.expand_dims(labels, 0))
    size = ops.shape(labels)[0]
    not_itself = ops.logical_not(ops.cast(ops.eye(size), "bool"))
    return ops.logical_and(same, not_itself), ops.logical_not(same)


def _safe_mean(values, mask):
    """Mean of ``values`` where ``mask`` is true; 0 when the mask is empty."""
    mask = ops.cast(mask, values.dtype)
    return ops.sum(values * mask) / ops.maximum(ops.sum(mask), 1.0)


def triplet_loss(anchor, positive, negative, margin: float = 0.2, squared: bool = True):
    """``max(0, |a - p|^2 - |a - n|^2 + margin)`` averaged over the batch of triplets.

    Introduced in notebook 06: the loss of the lecture (Schroff et al., 2015),
    with squared Euclidean distances (``squared=False``: plain Euclidean distances,
    as Hermans et al., 2017 recommend). ``anchor``, ``positive`` and ``negative``
    are ``(batch, dim)`` embeddings, row ``i`` of each forming triplet ``i``.
    """
    _check_margin(margin)
    anchor, positive, negative = (ops.convert_to_tensor(t) for t in (anchor, positive, negative))
    if not (tuple(anchor.shape) == tuple(positive.shape) == tuple(negative.shape)) or len(anchor.shape) != 2:
        raise ValueError(
            "anchor, positive and negative must be (batch, dim) tensors of one shape, got "
            f"{tuple(anchor.shape)}, {tuple(positive.shape)}, {tuple(negative.shape)}."
        )
    positive_distance = ops.sum(ops.square(anchor - positive), axis=1)
    negative_distance = ops.sum(ops.square(anchor - negative), axis=1)
    if not squared:
        positive_distance, negative_distance = (
            ops.sqrt(ops.maximum(d, _EPSILON)) * (1.0 - ops.cast(ops.less_equal(d, _EPSILON), d.dtype))
            for d in (positive_distance, negative_distance)
        )
    return ops.mean(ops.relu(positive_distance - negative_distance + margin))


def _all_triplet_losses(labels, embeddings, margin, squared):
    """The ``(a, p, n)`` cube of ``d(a,p) - d(a,n) + margin`` (unclipped) and its validity mask."""
    distances = pairwise_distances(embeddings, squared=squared)
    positive_mask, negative_mask = _masks(labels)
    losses = ops.expand_dims(distances, 2) - ops.expand_dims(distances, 1) + margin
    valid = ops.logical_and(ops.expand_dims(positive_mask, 2), ops.expand_dims(negative_mask, 1))
    return losses, valid


def batch_all_triplet_loss(labels, embeddings, margin: float = 0.2, squared: bool = False):
    """Mean loss of the *active* (non-zero loss) triplets among all valid triplets of the batch.

    Introduced in notebook 06 (Hermans et al., 2017, "batch all"). Averaging
    over active triplets only keeps the loss from fading as easy triplets
    (loss 0) become the majority. Returns 0 when no triplet is active.
    """
    _check_margin(margin)
    labels, embeddings = _embeddings_and_labels(labels, embeddings)
    losses, valid = _all_triplet_losses(labels, embeddings, margin, squared)
    losses = ops.relu(losses) * ops.cast(valid, losses.dtype)
    active = ops.cast(ops.greater(losses, 1e-16), losses.dtype)
    return ops.sum(losses) / ops.maximum(ops.sum(active), 1.0)


def active_triplet_fraction(labels, embeddings, margin: float = 0.2, squared: bool = False):
    """Fraction of the batch's valid triplets whose loss is still greater than zero.

    Introduced in notebook 06: the triplets that still teach the model
    something. 0 when the batch has no valid triplet.
    """
    _check_margin(margin)
    labels, embeddings = _embeddings_and_labels(labels, embeddings)
    losses, valid = _all_triplet_losses(labels, embeddings, margin, squared)
    return _safe_mean(ops.cast(ops.greater(losses, 1e-16), losses.dtype), valid)


def batch_hard_triplet_loss(
    labels, embeddings, margin: float = 0.2, squared: bool = False, soft_margin: bool = False
):
    """For each anchor, its farthest positive against its closest negative (Hermans et al., 2017).

    Introduced in notebook 06. The mean, over the anchors that have at least
    one positive and one negative in the batch, of
    ``max(d(a, hardest p) - d(a, hardest n) + margin, 0)``; 0 if no anchor has both.
    With ``soft_margin`` the hinge is replaced by Hermans et al.'s soft margin
    ``log(1 + exp(d(a, hardest p) - d(a, hardest n)))`` (``margin`` is then not used):
    it never reaches zero, so every anchor keeps pulling its positives in and
    pushing its negatives out.
    """
    _check_margin(margin)
    labels, embeddings = _embeddings_and_labels(labels, embeddings)
    distances = pairwise_distances(embeddings, squared=squared)
    positive_mask, negative_mask = _masks(labels)
    positive_float = ops.cast(positive_mask, distances.dtype)
    negative_float = ops.cast(negative_mask, distances.dtype)
    # distances are >= 0, so zeroing the non-positives leaves the max over positives
    hardest_positive = ops.max(distances * positive_float, axis=1)
    # push the non-negatives above every distance before the min
    largest = ops.max(distances, axis=1, keepdims=True)
    hardest_negative = ops.min(distances + largest * (1.0 - negative_float) + (1.0 - negative_float), axis=1)
    valid_anchor = ops.logical_and(ops.any(positive_mask, axis=1), ops.any(negative_mask, axis=1))
    if soft_margin:
        return _safe_mean(ops.softplus(hardest_positive - hardest_negative), valid_anchor)
    return _safe_mean(ops.relu(hardest_positive - hardest_negative + margin), valid_anchor)


def batch_semi_hard_triplet_loss(labels, embeddings, margin: float = 0.2, squared: bool = False):
    """For each anchor-positive pair, the closest negative farther than the positive (FaceNet).

    Introduced in notebook 06 (Schroff et al., 2015). For each pair ``(a, p)``
    whose anchor has at least one negative: the negative with the smallest
    ``d(a, n)`` among those with ``d(a, n) > d(a, p)`` (semi-hard), or the
    farthest negative when no negative is farther than the positive. Returns
    the mean over those pairs of ``max(d(a, p) - d(a, n) + margin, 0)``; 0 if none.
    """
    _check_margin(margin)
    labels, embeddings = _embeddings_and_labels(labels, embeddings)
    distances = pairwise_distances(embeddings, squared=squared)
    positive_mask, negative_mask = _masks(labels)
    negative_float = ops.cast(negative_mask, distances.dtype)
    anchor_positive = ops.expand_dims(distances, 2)  # (a, p, 1)
    anchor_negative = ops.expand_dims(distances, 1)  # (a, 1, n)
    farther = ops.logical_and(
        ops.greater(anchor_negative, anchor_positive), ops.expand_dims(negative_mask, 1)
    )  # (a, p, n): negatives farther than the positive
    farther_float = ops.cast(farther, distances.dtype)
    ceiling = ops.max(distances) + 1.0
    semi_hard = ops.min(anchor_negative * farther_float + ceiling * (1.0 - farther_float), axis=2)
    farthest = ops.max(distances * negative_float, axis=1, keepdims=True)  # (a, 1)
    has_semi_hard = ops.any(farther, axis=2)
    chosen = ops.where(has_semi_hard, semi_hard, farthest)
    valid_pair = ops.logical_and(positive_mask, ops.any(negative_mask, axis=1, keepdims=True))
    return _safe_mean(ops.relu(distances - chosen + margin), valid_pair)
