"""One evaluation harness for every representation: probes, kNN, retrieval, results.

Introduced in notebook 00.

The protocol of the whole course: freeze the encoder, compute features, fit a
multinomial logistic regression on a few labelled training examples per class,
and report test accuracy. ``record`` stores each notebook's metrics so that the
comparison notebook (20) and ``python -m helpers.benchmark`` can read them.

Metric keys are ``<method>.<measure>``, for example ``simclr.probe_10``, with
these measure names wherever they apply: ``probe_10``, ``probe_100``,
``probe_all``, ``knn``, ``recall_at_1``, ``recall_at_5``, ``pair_accuracy``,
``train_seconds``. Accuracies are fractions in [0, 1].
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helpers import config
from helpers.data import few_labels

STANDARD_MEASURES = (
    "probe_10",
    "probe_100",
    "probe_all",
    "knn",
    "recall_at_1",
    "recall_at_5",
    "pair_accuracy",
    "train_seconds",
)
FRACTION_MEASURES = frozenset(STANDARD_MEASURES) - {"train_seconds"}


def is_fraction(measure: str) -> bool:
    """Whether a measure is an accuracy in [0, 1]: the standard ones and any ``probe_<count>``."""
    return measure in FRACTION_MEASURES or (measure.startswith("probe_") and measure[6:].isdigit())
DEFAULT_LABEL_COUNTS: tuple[int | None, ...] = (10, 100, None)


def _check_features(features: np.ndarray, labels: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    features = np.asarray(features, dtype="float64")
    labels = np.asarray(labels).reshape(-1)
    if features.ndim != 2:
        raise ValueError(
            f"{what} features must be a 2-D array (n, dim), got shape {features.shape}; "
            "flatten feature maps first (helpers.models.extract_features does)."
        )
    if len(features) != len(labels):
        raise ValueError(
            f"{what} has {len(features)} feature rows but {len(labels)} labels."
        )
    if len(features) == 0:
        raise ValueError(f"{what} features are empty.")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{what} features contain NaN or infinity: did training diverge?")
    return features, labels


def probe_key(labels_per_class: int | None) -> str:
    """The measure name of a probe: ``probe_10``, ``probe_100`` or ``probe_all``."""
    return "probe_all" if labels_per_class is None else f"probe_{labels_per_class}"


# --------------------------------------------------------------------------- linear probe


def linear_probe(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    test_features: np.ndarray,
    test_labels: np.ndarray,
    labels_per_class: int | None = None,
    seed: int = 0,
    max_iter: int = 300,
) -> float:
    """Test accuracy of a multinomial logistic regression on frozen features.

    Introduced in notebook 00. Features are standardized with statistics of
    the (labelled) training part only. ``labels_per_class=None`` uses every
    training label; otherwise a class-balanced subset drawn with ``seed``.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    train_features, train_labels = _check_features(train_features, train_labels, "Training")
    test_features, test_labels = _check_features(test_features, test_labels, "Test")
    if train_features.shape[1] != test_features.shape[1]:
        raise ValueError(
            f"Training features have {train_features.shape[1]} dimensions, test features "
            f"{test_features.shape[1]}: they must come from the same layer."
        )
    if labels_per_class is not None:
        index = few_labels(train_labels, labels_per_class, seed=seed)
        train_features, train_labels = train_features[index], train_labels[index]
    if len(np.unique(train_labels)) < 2:
        raise ValueError("A linear probe needs at least two classes in the training labels.")
    scaler = StandardScaler().fit(train_features)
    classifier = LogisticRegression(max_iter=max_iter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(scaler.transform(train_features), train_labels)
    predictions = classifier.predict(scaler.transform(test_features))
    return float(np.mean(predictions == test_labels))


def probe_suite(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    test_features: np.ndarray,
    test_labels: np.ndarray,
    label_counts: Sequence[int | None] = DEFAULT_LABEL_COUNTS,
    seed: int = 0,
    repeats: int = 3,
) -> dict[str, float]:
    """Linear probes at several label counts: ``{"probe_10": ..., "probe_100": ..., "probe_all": ...}``.

    Introduced in notebook 00. Few-label probes are averaged over ``repeats``
    class-balanced draws (seeds ``seed``, ``seed + 1``, ...), since one draw of
    10 images per class is noisy.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}.")
    results = {}
    for count in label_counts:
        draws = 1 if count is None else repeats
        accuracies = [
            linear_probe(
                train_features, train_labels, test_features, test_labels,
                labels_per_class=count, seed=seed + draw,
            )
            for draw in range(draws)
        ]
        results[probe_key(count)] = float(np.mean(accuracies))
    return results


# --------------------------------------------------------------------------- kNN and retrieval


def _normalize_rows(features: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def knn_accuracy(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    test_features: np.ndarray,
    test_labels: np.ndarray,
    k: int = 20,
    chunk_size: int = 1024,
) -> float:
    """Accuracy of a k-nearest-neighbour vote with cosine similarity.

    Introduced in notebook 00. Each test item takes the majority label of its
    ``k`` most similar training items; a tie goes to the label whose tied
    neighbours are more similar in total.
    """
    train_features, train_labels = _check_features(train_features, train_labels, "Training")
    test_features, test_labels = _check_features(test_features, test_labels, "Test")
    if not 1 <= k <= len(train_features):
        raise ValueError(f"k must be between 1 and the {len(train_features)} training items, got {k}.")
    classes, train_codes = np.unique(train_labels, return_inverse=True)
    train_unit = _normalize_rows(train_features)
    test_unit = _normalize_rows(test_features)
    correct = 0
    for start in range(0, len(test_unit), chunk_size):
        similarity = test_unit[start : start + chunk_size] @ train_unit.T
        neighbours = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        neighbour_similarity = np.take_along_axis(similarity, neighbours, axis=1)
        votes = np.zeros((len(similarity), len(classes)))
        rows = np.repeat(np.arange(len(similarity)), k)
        np.add.at(votes, (rows, train_codes[neighbours].ravel()), 1.0)
        tie_break = np.zeros_like(votes)
        np.add.at(tie_break, (rows, train_codes[neighbours].ravel()), neighbour_similarity.ravel())
        predicted = classes[np.argmax(votes + 1e-6 * tie_break, axis=1)]
        correct += int(np.sum(predicted == test_labels[start : start + chunk_size]))
    return correct / len(test_unit)


def recall_at_k(embeddings: np.ndarray, labels: np.ndarray, k: int = 1, chunk_size: int = 1024) -> float:
    """Fraction of items whose ``k`` nearest other items include one of the same label.

    Introduced in notebook 00. Distances are Euclidean; each item is excluded
    from its own neighbours.
    """
    embeddings, labels = _check_features(embeddings, labels, "Retrieval")
    if not 1 <= k < len(embeddings):
        raise ValueError(f"k must be between 1 and {len(embeddings) - 1} (items minus one), got {k}.")
    squared_norms = np.sum(embeddings**2, axis=1)
    hits = 0
    for start in range(0, len(embeddings), chunk_size):
        block = embeddings[start : start + chunk_size]
        distances = squared_norms[start : start + chunk_size, None] - 2 * block @ embeddings.T + squared_norms[None, :]
        rows = np.arange(len(block))
        distances[rows, start + rows] = np.inf
        neighbours = np.argpartition(distances, k - 1, axis=1)[:, :k]
        hits += int(np.sum(np.any(labels[neighbours] == labels[start : start + chunk_size, None], axis=1)))
    return hits / len(embeddings)


def evaluate_features(
    method: str,
    train_features: np.ndarray,
    train_labels: np.ndarray,
    test_features: np.ndarray,
    test_labels: np.ndarray,
    label_counts: Sequence[int | None] = DEFAULT_LABEL_COUNTS,
    knn_k: int | None = 20,
    seed: int = 0,
) -> dict[str, float]:
    """The standard metrics of one representation, keyed ``<method>.<measure>``.

    Introduced in notebook 00: probes at ``label_counts`` and (unless
    ``knn_k`` is ``None``) the kNN accuracy.
    """
    metrics = {
        f"{method}.{measure}": value
        for measure, value in probe_suite(
            train_features, train_labels, test_features, test_labels, label_counts, seed
        ).items()
    }
    if knn_k is not None:
        metrics[f"{method}.knn"] = knn_accuracy(
            train_features, train_labels, test_features, test_labels, k=min(knn_k, len(train_features))
        )
    return metrics


# --------------------------------------------------------------------------- baselines

BASELINE_SETTINGS = {
    "smoke": {"train_size": 2_000, "test_size": 1_000},
    "class": {"train_size": 20_000, "test_size": 5_000},
    "full": {"train_size": None, "test_size": None},
}


def baselines(
    name: str = "mnist",
    profile: str | None = None,
    seed: int = 0,
    refresh: bool = False,
    verbose: bool = True,
) -> dict[str, float]:
    """Reference rows: raw pixels and the random-init standard encoder, probed.

    Introduced in notebook 00. Computed once per profile and dataset, then read
    from ``<results dir>/<profile>/baselines_<name>.json``. Keys:
    ``pixels.probe_10``, ``pixels.probe_100``, ``pixels.probe_all``,
    ``pixels.knn`` and the same for ``random_init``.
    """
    from helpers import data, models

    settings = config.profile_settings(BASELINE_SETTINGS, profile)
    path = config.results_dir(settings.profile) / f"baselines_{name}.json"
    key = {"dataset": name, "seed": seed, "fingerprint": settings.fingerprint()}
    if path.is_file() and not refresh:
        stored = json.loads(path.read_text())
        if all(stored.get(field) == value for field, value in key.items()):
            return {metric: float(value) for metric, value in stored["metrics"].items()}
    started = time.time()
    splits = data.load_splits(
        name,
        train_size=settings.train_size,
        validation_size=0,
        test_size=settings.test_size,
        seed=seed,
        verbose=verbose,
    )
    if not splits.has_labels:
        raise ValueError(
            f"Baselines need class labels, and the {name} data loaded here has none "
            "(the offline fallback). Point COURSE_DATA_DIR at the real dataset."
        )
    flatten = lambda images: images.reshape(len(images), -1)  # noqa: E731
    metrics = evaluate_features(
        "pixels", flatten(splits.x_train), splits.y_train, flatten(splits.x_test), splits.y_test, seed=seed
    )
    config.set_seed(seed)
    encoder = models.build_encoder(splits.x_train.shape[1:], name="random_init_encoder")
    metrics.update(
        evaluate_features(
            "random_init",
            models.extract_features(encoder, splits.x_train),
            splits.y_train,
            models.extract_features(encoder, splits.x_test),
            splits.y_test,
            seed=seed,
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    record_text = json.dumps(
        {**key, "profile": settings.profile, "seconds": time.time() - started, "metrics": metrics},
        indent=2,
    )
    _write_atomically(path, record_text)
    return metrics


# --------------------------------------------------------------------------- results


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    temporary.write_text(text)
    os.replace(temporary, path)


def check_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Validate a flat ``{"<method>.<measure>": float}`` dict; return it with plain floats.

    Raises:
        ValueError: a key without a method, a value that is not a finite number,
            or an accuracy outside [0, 1].
    """
    if not isinstance(metrics, Mapping) or not metrics:
        raise ValueError("metrics must be a non-empty dict {'<method>.<measure>': number}.")
    clean = {}
    for key, value in metrics.items():
        if not isinstance(key, str) or "." not in key.strip(".") or key.startswith(".") or key.endswith("."):
            raise ValueError(
                f"Metric key {key!r} must look like '<method>.<measure>', for example 'simclr.probe_10'."
            )
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"Metric {key!r} must be a number, got {type(value).__name__}.")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"Metric {key!r} is {value}: not finite.")
        measure = key.rsplit(".", 1)[1]
        if is_fraction(measure) and not 0.0 <= value <= 1.0:
            raise ValueError(
                f"Metric {key!r} = {value} is an accuracy and must be a fraction in [0, 1] "
                "(did you pass a percentage?)."
            )
        if measure == "train_seconds" and value < 0:
            raise ValueError(f"Metric {key!r} = {value}: a time cannot be negative.")
        clean[key] = value
    return clean


def record(
    notebook: str,
    metrics: Mapping[str, Any],
    dataset: str | Sequence[str] = "mnist",
    seed: int = config.DEFAULT_SEED,
    wall_seconds: float | None = None,
    profile: str | None = None,
) -> Path:
    """Save a notebook's metrics to ``<results dir>/<profile>/<notebook>.json``.

    Introduced in notebook 00. ``wall_seconds`` defaults to the time since the
    kernel imported ``helpers``. Returns the path written.
    """
    if not notebook or "/" in notebook or notebook.endswith(".ipynb"):
        raise ValueError(
            f"notebook must be the notebook's name without folder or extension, "
            f"for example '05_siamese_contrastive', got {notebook!r}."
        )
    active = config.get_profile(profile)
    clean = check_metrics(metrics)
    payload = {
        "notebook": notebook,
        "profile": active,
        "dataset": dataset if isinstance(dataset, str) else list(dataset),
        "seed": int(seed),
        "wall_seconds": float(config.elapsed_seconds() if wall_seconds is None else wall_seconds),
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "metrics": clean,
    }
    path = config.results_dir(active) / f"{notebook}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, json.dumps(payload, indent=2, sort_keys=False))
    return path


def load_results(profile: str | None = None) -> dict[str, dict[str, Any]]:
    """Every recorded notebook of a profile: ``{notebook: record}`` (baseline caches excluded)."""
    directory = config.results_dir(profile)
    results = {}
    if not directory.is_dir():
        return results
    for path in sorted(directory.glob("*.json")):
        if path.name.startswith("baselines_"):
            continue
        try:
            payload = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON ({error}); delete it and re-run its notebook.") from error
        results[payload.get("notebook", path.stem)] = payload
    return results


# --------------------------------------------------------------------------- leaderboard


def leaderboard(
    results: Mapping[str, Mapping[str, Any]],
    methods: Sequence[str],
    measures: Sequence[str] = ("probe_10", "probe_100", "probe_all", "knn", "train_seconds"),
) -> dict[str, dict[str, Any]]:
    """Collect each method's measures from the recorded results of all notebooks.

    Introduced in notebook 20. ``results`` is what ``load_results`` returns;
    for each method the row holds the measures found and ``notebook``, the
    notebook that recorded it (the last one in course order, when several did).
    Methods that no notebook recorded are left out.
    """
    rows: dict[str, dict[str, Any]] = {}
    for notebook in sorted(results):
        metrics = results[notebook].get("metrics", {})
        for method in methods:
            found = {m: metrics[f"{method}.{m}"] for m in measures if f"{method}.{m}" in metrics}
            if found:
                rows[method] = {"notebook": notebook, **found}
    return {method: rows[method] for method in methods if method in rows}


# --------------------------------------------------------------------------- tables


def metrics_table(
    metrics: Mapping[str, float],
    measures: Sequence[str] | None = None,
    methods: Iterable[str] | None = None,
    percent: bool = True,
) -> str:
    """A Markdown table with a row per method and a column per measure.

    Introduced in notebook 00. Accuracies print as percentages when ``percent``.
    """
    rows: dict[str, dict[str, float]] = {}
    for key, value in metrics.items():
        method, measure = key.rsplit(".", 1)
        rows.setdefault(method, {})[measure] = value
    if measures is None:
        seen = {measure for row in rows.values() for measure in row}
        measures = [m for m in STANDARD_MEASURES if m in seen] + sorted(seen - set(STANDARD_MEASURES))
    order = list(methods) if methods is not None else list(rows)

    def cell(measure: str, value: float | None) -> str:
        if value is None:
            return "-"
        if percent and is_fraction(measure):
            return f"{100 * value:.1f}%"
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"

    lines = [
        "| method | " + " | ".join(measures) + " |",
        "|---|" + "---|" * len(measures),
    ]
    for method in order:
        if method in rows:
            lines.append(
                f"| {method} | " + " | ".join(cell(m, rows[method].get(m)) for m in measures) + " |"
            )
    return "\n".join(lines)


def show_table(markdown: str) -> None:
    """Display a Markdown table in a notebook (prints it elsewhere)."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(markdown))
            return
    except ImportError:
        pass
    print(markdown)
