"""Figures every notebook uses: image grids, training curves, embeddings, probe curves.

Introduced in notebook 00. Each function returns the ``matplotlib`` figure so a
notebook can save or adjust it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np


def image_grid(
    images: np.ndarray,
    titles: Sequence[str] | None = None,
    num_columns: int = 8,
    title: str | None = None,
    cell_size: float = 1.4,
    cmap: str = "gray",
) -> plt.Figure:
    """Show images ``(n, h, w)``, ``(n, h, w, 1)`` or ``(n, h, w, 3)`` in a grid.

    Introduced in notebook 00. Values may be ``uint8`` or floats in [0, 1].
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"Expected a non-empty batch of images (n, h, w[, c]), got shape {images.shape}.")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"Got {len(titles)} titles for {len(images)} images.")
    num_columns = max(1, min(num_columns, len(images)))
    num_rows = int(np.ceil(len(images) / num_columns))
    figure, axes = plt.subplots(
        num_rows, num_columns, figsize=(cell_size * num_columns, cell_size * num_rows + (0.4 if title else 0)),
        squeeze=False,
    )
    for index, axis in enumerate(axes.ravel()):
        axis.axis("off")
        if index >= len(images):
            continue
        image = images[index]
        if image.dtype != np.uint8:
            image = np.clip(image, 0.0, 1.0)
        axis.imshow(image, cmap=cmap if image.ndim == 2 else None, vmin=0, vmax=255 if image.dtype == np.uint8 else 1)
        if titles is not None:
            axis.set_title(str(titles[index]), fontsize=8)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_history(
    history: Any,
    metrics: Sequence[str] | None = None,
    title: str | None = None,
    points_per_epoch: int = 1,
) -> plt.Figure:
    """Training curves from a Keras ``History`` (or its ``.history`` dict).

    Introduced in notebook 00. Each metric gets a panel; ``val_<metric>`` is
    drawn on the same panel when present. With ``points_per_epoch`` above 1
    (a history measured several times per epoch, as
    ``autoencoders.train_autoencoder(..., checks_per_epoch=...)`` makes) the
    x-axis counts fractions of an epoch.
    """
    values: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    if not isinstance(values, Mapping) or not values:
        raise ValueError("plot_history needs a Keras History or a non-empty dict of metric lists.")
    if not isinstance(points_per_epoch, (int, np.integer)) or points_per_epoch < 1:
        raise ValueError(f"points_per_epoch must be a positive integer, got {points_per_epoch!r}.")
    if metrics is None:
        metrics = [name for name in values if not name.startswith("val_")]
    missing = [name for name in metrics if name not in values]
    if missing:
        raise ValueError(f"History has no metric {missing}; it has {sorted(values)}.")
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.2), squeeze=False)
    for axis, name in zip(axes[0], metrics, strict=True):
        epochs = np.arange(1, len(values[name]) + 1) / points_per_epoch
        axis.plot(epochs, values[name], marker="o", label="train")
        if f"val_{name}" in values:
            axis.plot(epochs, values[f"val_{name}"], marker="o", label="validation")
            axis.legend()
        axis.set_xlabel("epoch")
        axis.set_title(name)
        axis.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def project_2d(embeddings: np.ndarray, method: str = "pca", seed: int = 0) -> np.ndarray:
    """Project embeddings to 2-D with PCA or t-SNE (scikit-learn)."""
    embeddings = np.asarray(embeddings, dtype="float64").reshape(len(embeddings), -1)
    if embeddings.shape[1] == 2:
        return embeddings
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(embeddings)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(30.0, max(2.0, (len(embeddings) - 1) / 3))
        return TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed).fit_transform(
            embeddings
        )
    raise ValueError(f"Unknown projection {method!r}; use 'pca' or 'tsne'.")


def embedding_scatter(
    embeddings: np.ndarray,
    labels: np.ndarray,
    method: str = "pca",
    title: str | None = None,
    class_names: Sequence[str] | None = None,
    seed: int = 0,
    axis: plt.Axes | None = None,
) -> plt.Figure:
    """2-D scatter of embeddings coloured by class (PCA or t-SNE unless already 2-D).

    Introduced in notebook 00.
    """
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != len(embeddings):
        raise ValueError(f"Got {len(embeddings)} embeddings but {len(labels)} labels.")
    points = project_2d(embeddings, method=method, seed=seed)
    if axis is None:
        figure, axis = plt.subplots(figsize=(5.5, 4.8))
    else:
        figure = axis.figure
    scatter = axis.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", s=6, alpha=0.8)
    classes = np.unique(labels)
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color=scatter.cmap(scatter.norm(c)),
                   label=class_names[c] if class_names is not None else str(c))
        for c in classes
    ]
    axis.legend(handles=handles, fontsize=7, loc="best", markerscale=1.2, frameon=False)
    axis.set_xticks([])
    axis.set_yticks([])
    projection = "" if np.asarray(embeddings).reshape(len(labels), -1).shape[1] == 2 else f" ({method.upper()})"
    axis.set_title((title or "embedding") + projection)
    figure.tight_layout()
    return figure


def plot_probe_curves(
    results: Mapping[str, Mapping[str, float]],
    title: str = "Linear probe accuracy vs. labels per class",
    all_labels_position: float | None = None,
    line_styles: Mapping[str, str] | None = None,
    axis: plt.Axes | None = None,
) -> plt.Figure:
    """Probe accuracy against labels per class, one line per method (log x-axis).

    Introduced in notebook 00. ``results`` maps a method to its metrics with
    keys ``probe_10``, ``probe_100``, ``probe_1000`` ... and ``probe_all``;
    ``probe_all`` is drawn at ``all_labels_position`` (default: 10x the largest count).
    Where a ``probe_<n>_std`` is given, an error bar shows the spread over label draws.
    ``line_styles`` maps a method to a matplotlib line style (``"--"`` for reference lines).
    """
    if not results:
        raise ValueError("plot_probe_curves needs at least one method.")
    counts = sorted(
        {int(key.split("_")[1]) for row in results.values() for key in row
         if key.startswith("probe_") and key[6:].isdigit()}
    )
    position_all = all_labels_position or (10 * counts[-1] if counts else 1000)
    if axis is None:
        figure, axis = plt.subplots(figsize=(6.4, 4.2))
    else:
        figure = axis.figure
    for method, row in results.items():
        xs, ys, errors = [], [], []
        for count in counts:
            if f"probe_{count}" in row:
                xs.append(count)
                ys.append(100 * row[f"probe_{count}"])
                errors.append(100 * row.get(f"probe_{count}_std", 0.0))
        if "probe_all" in row:
            xs.append(position_all)
            ys.append(100 * row["probe_all"])
            errors.append(0.0)
        style = (line_styles or {}).get(method, "-")
        axis.errorbar(xs, ys, yerr=errors if any(errors) else None, marker="o", linestyle=style, capsize=3, label=method)
    ticks = counts + [position_all]
    axis.set_xscale("log")
    axis.set_xticks(ticks)
    axis.set_xticklabels([str(c) for c in counts] + ["all"])
    axis.minorticks_off()
    axis.set_xlabel("labelled training images per class")
    axis.set_ylabel("test accuracy (%)")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def group_metrics(metrics: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """``{"a.probe_10": x}`` -> ``{"a": {"probe_10": x}}``, for ``plot_probe_curves``."""
    from helpers.evaluation import split_key

    grouped: dict[str, dict[str, float]] = {}
    for key, value in metrics.items():
        method, measure = split_key(key)
        grouped.setdefault(method, {})[measure] = value
    return grouped
