"""Similar / dissimilar pairs for siamese networks, and pair accuracy with a threshold.

Introduced in notebook 05. A pair is *similar* when both images carry the same
label: pairs are built from class labels, so a siamese network trained on them
is class-supervised contrastive learning, not a label-free method.

A pair is *predicted* similar when its distance is below a threshold:
``pair_accuracy`` scores one threshold, ``pair_roc`` and ``pair_auc`` every threshold
at once (the ROC curve and the area under it).
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_pairs", "choose_threshold", "pair_accuracy", "pair_roc", "pair_auc"]


def make_pairs(
    labels: np.ndarray, num_pairs: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw index pairs, half similar (same label) and half dissimilar (different labels).

    Introduced in notebook 05.

    A similar pair joins two *different* images of one class; a dissimilar pair
    two images of different classes. The first image of each pair is drawn
    uniformly from the images (from those whose class has at least two images,
    for similar pairs), its partner uniformly among the allowed images. The
    pairs come shuffled and are deterministic per ``seed``.

    Args:
        labels: class label of each image, shape ``(n,)``.
        num_pairs: number of pairs; ``num_pairs // 2`` similar, the rest dissimilar.
        seed: seed of the random draw.

    Returns:
        ``(index_a, index_b, is_similar)``: two ``int64`` index arrays into
        ``labels`` and a ``float32`` array that is 1 for a similar pair and 0 otherwise.

    Raises:
        ValueError: ``num_pairs`` is not a positive integer, labels are not a
            non-empty 1-D array, fewer than two classes, or a class with a single
            image when similar pairs are needed.
    """
    if isinstance(num_pairs, bool) or not isinstance(num_pairs, (int, np.integer)) or num_pairs <= 0:
        raise ValueError(f"num_pairs must be a positive integer, got {num_pairs!r}.")
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:  # CIFAR-style (n, 1) labels
        labels = labels[:, 0]
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"labels must be a non-empty 1-D array of class labels, got shape {labels.shape}.")
    classes, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
    if len(classes) < 2:
        raise ValueError(
            f"make_pairs needs at least two classes for dissimilar pairs; the labels hold only {classes.tolist()}."
        )
    num_similar = int(num_pairs) // 2
    num_dissimilar = int(num_pairs) - num_similar
    if num_similar > 0 and np.any(counts < 2):
        lonely = classes[counts < 2].tolist()
        raise ValueError(
            f"Class(es) {lonely} have a single image, so no similar pair can be drawn from them. "
            "Use more images per class or drop those classes."
        )
    generator = np.random.default_rng(seed)
    # Images sorted by class: class c occupies positions starts[c] .. starts[c] + counts[c] - 1.
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels)) - starts[codes[order]]

    # Similar: an anchor, then another member of its class (skip the anchor's own position).
    anchors = generator.integers(0, len(labels), size=num_similar)
    anchor_codes = codes[anchors]
    offsets = generator.integers(0, counts[anchor_codes] - 1) if num_similar else np.zeros(0, np.int64)
    offsets = offsets + (offsets >= rank[anchors])
    similar_a, similar_b = anchors, order[starts[anchor_codes] + offsets]

    # Dissimilar: an anchor, then any image outside its class (skip the class's block).
    anchors = generator.integers(0, len(labels), size=num_dissimilar)
    anchor_codes = codes[anchors]
    positions = generator.integers(0, len(labels) - counts[anchor_codes])
    positions = positions + counts[anchor_codes] * (positions >= starts[anchor_codes])
    dissimilar_a, dissimilar_b = anchors, order[positions]

    index_a = np.concatenate([similar_a, dissimilar_a]).astype(np.int64)
    index_b = np.concatenate([similar_b, dissimilar_b]).astype(np.int64)
    is_similar = np.concatenate([np.ones(num_similar), np.zeros(num_dissimilar)]).astype(np.float32)
    shuffle = generator.permutation(len(index_a))
    return index_a[shuffle], index_b[shuffle], is_similar[shuffle]


def _check_pairs(distances: np.ndarray, is_similar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    distances = np.asarray(distances, dtype="float64").reshape(-1)
    is_similar = np.asarray(is_similar).reshape(-1)
    if len(distances) != len(is_similar) or len(distances) == 0:
        raise ValueError(
            f"Need one is_similar flag per distance (and at least one pair), got {len(distances)} "
            f"distances and {len(is_similar)} flags."
        )
    if not np.all(np.isin(is_similar, (0, 1))):
        raise ValueError("is_similar must hold only 1 (similar pair) and 0 (dissimilar pair).")
    if not np.all(np.isfinite(distances)):
        raise ValueError("The distances contain NaN or infinity: did training diverge?")
    return distances, is_similar.astype(bool)


def pair_accuracy(distances: np.ndarray, is_similar: np.ndarray, threshold: float) -> float:
    """Fraction of pairs classified right by "similar if distance < threshold".

    Introduced in notebook 05.
    """
    distances, similar = _check_pairs(distances, is_similar)
    return float(np.mean((distances < threshold) == similar))


def choose_threshold(distances: np.ndarray, is_similar: np.ndarray) -> float:
    """The distance threshold with the best ``pair_accuracy`` on these (validation) pairs.

    Introduced in notebook 05. Tries a threshold between every two consecutive
    sorted distances (and below / above all of them) and returns the midpoint
    with the highest accuracy. Choose it on validation pairs, never on test pairs.
    """
    distances, similar = _check_pairs(distances, is_similar)
    order = np.argsort(distances, kind="stable")
    sorted_distances, sorted_similar = distances[order], similar[order]
    # Threshold after the first i sorted pairs: those i are called similar, the rest dissimilar.
    similar_below = np.concatenate([[0], np.cumsum(sorted_similar)])
    dissimilar_above = np.concatenate([np.cumsum((~sorted_similar)[::-1])[::-1], [0]])
    correct = similar_below + dissimilar_above
    # Only cut between distinct distances (a tie cannot be split by a threshold).
    valid = np.ones(len(correct), dtype=bool)
    valid[1:-1] = sorted_distances[1:] > sorted_distances[:-1]
    best = int(np.argmax(np.where(valid, correct, -1)))
    if best == 0:
        return float(sorted_distances[0] - 1.0)
    if best == len(sorted_distances):
        return float(sorted_distances[-1] + 1.0)
    return float(0.5 * (sorted_distances[best - 1] + sorted_distances[best]))


def _check_both_kinds(similar: np.ndarray) -> None:
    if similar.all() or not similar.any():
        raise ValueError("A ROC curve needs both similar (1) and dissimilar (0) pairs; these pairs have one kind only.")


def pair_roc(distances: np.ndarray, is_similar: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve of "similar if distance < threshold", over every threshold.

    Introduced in notebook 05. Returns ``(false_positive_rate, true_positive_rate, thresholds)``,
    from the threshold below every distance (nothing called similar: the point (0, 0)) to the one
    above every distance (everything called similar: (1, 1)). The true positive rate is the
    fraction of similar pairs called similar, the false positive rate the fraction of dissimilar
    pairs called similar. Tied distances move together (one threshold cannot split them).
    """
    distances, similar = _check_pairs(distances, is_similar)
    _check_both_kinds(similar)
    values = np.unique(distances)  # sorted, distinct
    # threshold just above values[i] calls every distance <= values[i] similar
    index = np.searchsorted(values, distances)
    similar_at = np.bincount(index[similar], minlength=len(values))
    dissimilar_at = np.bincount(index[~similar], minlength=len(values))
    true_positive_rate = np.concatenate([[0.0], np.cumsum(similar_at) / similar.sum()])
    false_positive_rate = np.concatenate([[0.0], np.cumsum(dissimilar_at) / (~similar).sum()])
    gaps = np.diff(values) if len(values) > 1 else np.zeros(0)
    above = np.concatenate([values[:-1] + gaps / 2, [values[-1] + 1.0]])
    thresholds = np.concatenate([[values[0] - 1.0], above])
    return false_positive_rate, true_positive_rate, thresholds


def pair_auc(distances: np.ndarray, is_similar: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random similar pair is closer than a random dissimilar one.

    Introduced in notebook 05. Ties count one half. 1 means some threshold separates the two
    kinds perfectly, 0.5 is chance, and below 0.5 the distance ranks the pairs backwards.
    """
    false_positive_rate, true_positive_rate, _ = pair_roc(distances, is_similar)
    return float(np.trapezoid(true_positive_rate, false_positive_rate))
