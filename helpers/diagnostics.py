"""Is an embedding collapsing? Per-dimension spread, alignment and uniformity.

Introduced in notebook 08.

A contrastive encoder can "cheat" by mapping every image to (nearly) the same
point: positives then agree perfectly and the representation is useless. These
measures, computed on L2-normalized embeddings with NumPy, catch it:

* ``embedding_std``: the standard deviation of each dimension over a batch.
  Collapse drives it to 0; embeddings spread evenly over the unit sphere in
  ``d`` dimensions give about ``1 / sqrt(d)`` per dimension.
* ``alignment`` (Wang and Isola 2020): the mean of ``||f(x) - f(y)||^alpha``
  over positive pairs; 0 when the two views always map to the same point.
* ``uniformity`` (Wang and Isola 2020): ``log mean exp(-t ||f(x) - f(y)||^2)``
  over all pairs of distinct items; 0 (its maximum) for a collapsed embedding,
  more negative the more evenly the points cover the sphere.
"""

from __future__ import annotations

import numpy as np

from helpers import evaluation

__all__ = ["normalize_rows", "embedding_std", "alignment", "uniformity", "collapse_report"]


def _as_matrix(embeddings: np.ndarray, what: str, minimum_rows: int = 1) -> np.ndarray:
    embeddings = np.asarray(embeddings, dtype="float64")
    if embeddings.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (n, dim), got shape {embeddings.shape}.")
    if len(embeddings) < minimum_rows:
        raise ValueError(f"{what} needs at least {minimum_rows} rows, got {len(embeddings)}.")
    if not np.all(np.isfinite(embeddings)):
        raise ValueError(f"{what} contain NaN or infinity: did training diverge?")
    return embeddings


def normalize_rows(embeddings: np.ndarray) -> np.ndarray:
    """Each row divided by its L2 norm (zero rows stay zero), after checking the array.

    Introduced in notebook 08; the arithmetic is ``helpers.evaluation.normalize_rows``.
    """
    return evaluation.normalize_rows(_as_matrix(embeddings, "embeddings"))


def embedding_std(embeddings: np.ndarray) -> np.ndarray:
    """Per-dimension standard deviation of the L2-normalized embeddings, shape ``(dim,)``.

    Introduced in notebook 08. All zeros for a collapsed embedding; about
    ``1 / sqrt(dim)`` for embeddings spread evenly over the sphere.
    """
    return normalize_rows(_as_matrix(embeddings, "embeddings", minimum_rows=2)).std(axis=0)


def alignment(z_a: np.ndarray, z_b: np.ndarray, alpha: float = 2.0) -> float:
    """Mean ``||f(x) - f(y)||^alpha`` over positive pairs (rows of ``z_a``, ``z_b``), normalized.

    Introduced in notebook 08 (Wang and Isola 2020). Lower is better aligned;
    0 to 4 for ``alpha = 2``.
    """
    z_a = _as_matrix(z_a, "z_a")
    z_b = _as_matrix(z_b, "z_b")
    if z_a.shape != z_b.shape:
        raise ValueError(f"z_a and z_b must have the same shape, got {z_a.shape} and {z_b.shape}.")
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}.")
    distances = np.linalg.norm(normalize_rows(z_a) - normalize_rows(z_b), axis=1)
    return float(np.mean(distances**alpha))


def uniformity(embeddings: np.ndarray, t: float = 2.0, max_items: int | None = 2_000) -> float:
    """``log mean exp(-t ||f(x) - f(y)||^2)`` over pairs of distinct rows, normalized.

    Introduced in notebook 08 (Wang and Isola 2020). 0 for a collapsed
    embedding; lower (more negative) is more uniform. Only the first
    ``max_items`` rows are used (the cost is quadratic).
    """
    if t <= 0:
        raise ValueError(f"t must be positive, got {t}.")
    z = normalize_rows(_as_matrix(embeddings, "embeddings", minimum_rows=2))
    if max_items is not None:
        z = z[:max_items]
    squared = np.maximum(2.0 - 2.0 * z @ z.T, 0.0)
    upper = np.triu_indices(len(z), k=1)
    values = -t * squared[upper]
    peak = values.max()
    return float(peak + np.log(np.mean(np.exp(values - peak))))


def collapse_report(z_a: np.ndarray, z_b: np.ndarray) -> dict[str, float]:
    """The three diagnostics of two views' embeddings in one dict.

    Introduced in notebook 08. Keys: ``mean_std`` (mean of ``embedding_std``
    over dimensions, of the first views), ``std_ratio`` (``mean_std`` times
    ``sqrt(dim)``: about 1 when spread evenly, 0 when collapsed),
    ``alignment`` and ``uniformity``.
    """
    z_a = _as_matrix(z_a, "z_a", minimum_rows=2)
    mean_std = float(np.mean(embedding_std(z_a)))
    return {
        "mean_std": mean_std,
        "std_ratio": mean_std * float(np.sqrt(z_a.shape[1])),
        "alignment": alignment(z_a, z_b),
        "uniformity": uniformity(z_a),
    }
