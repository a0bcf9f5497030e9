"""The course's one evaluation protocol: every recorded number goes through this module.

Introduced in notebook 00.

How a representation is judged, the same way in every notebook:

1. **One split per dataset and profile** (``evaluation_split``), drawn once from a fixed seed and
   shared by every notebook: a class-balanced, labelled **probe pool** (what "all labels" means),
   a **validation** set (every choice a notebook makes is made on it) and a **test** subset
   (the final report only). Validation and test never overlap the images a notebook pretrains
   on; pretraining may use the probe pool's images *without their labels*, the usual
   self-supervised setting. The split has a fingerprint (dataset, data source, indices, pixels)
   that every recorded row carries.
2. **The probe**: freeze the encoder, standardize its features on the labelled images, fit a
   multinomial logistic regression whose L2 strength is chosen on the validation set from
   ``PROBE_STRENGTHS``, run to convergence (a fit that does not converge is reported, not
   hidden). Few-label probes are averaged over several class-balanced draws (the same draws for
   every method) and reported as mean and standard deviation: ``probe_10`` and
   ``probe_10_std``, ... kNN accuracy on the same split.
3. **A random twin for every row**: the same architecture with random weights, probed at the
   same layer with the same pooling (``random_twin``), so each row shows what training added.
4. **What a row says** (``Row``): dataset, data source, split fingerprint, layer, pooling and
   feature dimension, whether labels were used before the probe, the pretraining budget as
   optimizer steps and images seen, and the training seconds.

Metric keys are ``<method>.<measure>`` (``simclr.probe_10``); a row's twin is the method
``<method>.twin`` (``simclr.twin.probe_10``). Accuracies are fractions in [0, 1].
``record`` stores a notebook's rows for notebook 20 and ``python -m course run``; ``Outcomes``
asserts a notebook's lesson and remembers the measured values for the seed sweep
(``python -m course margins``).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helpers import config
from helpers.data import few_labels

# --------------------------------------------------------------------------- settings

#: The split and probe of each profile. ``probe_per_class``: labelled images per class in the probe
#: pool (``None``: as many as every class has); ``validation_size`` is capped at a tenth of the
#: training split, ``test_size`` at the test split; ``draws``: class-balanced draws per few-label probe.
PROTOCOL_SETTINGS: dict[str, dict[str, Any]] = {
    "smoke": {"probe_per_class": 120, "validation_size": 500, "test_size": 1_000, "draws": 3},
    "class": {"probe_per_class": 1_000, "validation_size": 5_000, "test_size": 5_000, "draws": 5},
    "full": {"probe_per_class": None, "validation_size": 5_000, "test_size": None, "draws": 10},
}
#: The seed of every evaluation split; never a notebook's seed, so all notebooks share the split.
SPLIT_SEED = 1_201
#: Inverse L2 strengths (scikit-learn's ``C``) the probe chooses from on validation data.
PROBE_STRENGTHS: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0)
PROBE_MAX_ITER = 2_000
DEFAULT_LABEL_COUNTS: tuple[int | None, ...] = (10, 100, None)
KNN_K = 20
KINDS = ("baseline", "label-free", "labels")

STANDARD_MEASURES = (
    "probe_10",
    "probe_100",
    "probe_all",
    "knn",
    "recall_at_1",
    "recall_at_5",
    "map",
    "pair_accuracy",
    "train_seconds",
)
FRACTION_MEASURES = frozenset(STANDARD_MEASURES) - {"train_seconds"}


def split_key(key: str) -> tuple[str, str]:
    """``"simclr.twin.probe_10"`` -> ``("simclr.twin", "probe_10")``: method and measure."""
    if not isinstance(key, str) or "." not in key.strip(".") or key.startswith(".") or key.endswith("."):
        raise ValueError(
            f"Metric key {key!r} must look like '<method>.<measure>', for example 'simclr.probe_10'."
        )
    method, measure = key.rsplit(".", 1)
    return method, measure


def is_fraction(measure: str) -> bool:
    """Whether a measure is an accuracy in [0, 1]: the standard ones, ``probe_<n>`` and their ``_std``."""
    measure = measure.removesuffix("_std")
    return measure in FRACTION_MEASURES or (measure.startswith("probe_") and measure[6:].isdigit())


def probe_key(labels_per_class: int | None) -> str:
    """The measure name of a probe: ``probe_10``, ``probe_100`` or ``probe_all``."""
    return "probe_all" if labels_per_class is None else f"probe_{labels_per_class}"


# --------------------------------------------------------------------------- the split


def fingerprint_arrays(*parts: Any) -> str:
    """A short SHA-256 of strings and arrays (their shape, dtype and bytes)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(f"{part.shape}{part.dtype}".encode())
            digest.update(np.ascontiguousarray(part).tobytes())
        else:
            digest.update(repr(part).encode())
    return digest.hexdigest()[:12]


@dataclass(eq=False)
class EvaluationSplit:
    """The shared split of one dataset and profile: probe pool, validation, test, pretraining pool.

    Introduced in notebook 00. Build one with ``evaluation_split`` (image datasets) or
    ``make_split`` (any arrays, for example token ids). ``x_probe, y_probe`` is the labelled probe
    pool ("all labels"); ``x_val, y_val`` the validation set for every choice; ``x_test, y_test``
    the test subset, for the final report only (``evaluate_encoder`` and friends read it; notebook
    cells that touch it carry the tag ``report``). ``pretraining_data`` gives the images a notebook
    may pretrain on: the training split without the validation images (the probe pool's images
    are part of it, without their labels unless a method uses labels).
    """

    dataset: str
    source: str
    is_sample: bool
    profile: str
    class_names: tuple[str, ...]
    x_probe: np.ndarray
    y_probe: np.ndarray | None
    x_val: np.ndarray
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    draws: int
    fingerprint: str
    _train_inputs: np.ndarray = field(repr=False)
    _train_labels: np.ndarray | None = field(repr=False)
    _pretraining_index: np.ndarray = field(repr=False)
    _prepare: Callable[[np.ndarray], np.ndarray] = field(repr=False)

    @property
    def has_labels(self) -> bool:
        return self.y_probe is not None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def pretraining_size(self) -> int:
        """How many training images a notebook may pretrain on."""
        return len(self._pretraining_index)

    def pretraining_data(self, size: int | None = None, with_labels: bool = False, allow_fewer: bool = False) -> Any:
        """The first ``size`` images of the pretraining pool (in a fixed random order).

        With ``with_labels`` returns ``(images, labels)`` (for methods that pretrain with labels:
        siamese, triplet, supervised; their rows say ``labels_used``). Raises ``ValueError`` when
        more images are asked for than the pool has (unless ``allow_fewer``: then the whole pool,
        with a printed warning, as on the small offline samples), or labels the data does not have.
        """
        if size is None:
            size = self.pretraining_size
        if not isinstance(size, (int, np.integer)) or size <= 0:
            raise ValueError(f"size must be a positive integer or None, got {size!r}.")
        if size > self.pretraining_size and allow_fewer:
            print(
                f"WARNING: the {self.dataset} pretraining pool here holds only {self.pretraining_size:,} "
                f"images ({self.source}); pretraining on all of them instead of {size:,}, so results are weaker."
            )
            size = self.pretraining_size
        if size > self.pretraining_size:
            raise ValueError(
                f"The {self.dataset} pretraining pool of this profile holds {self.pretraining_size:,} "
                f"images; {size:,} were asked for. Ask for fewer (or None for all of them)."
            )
        index = self._pretraining_index[:size]
        images = self._prepare(self._train_inputs[index])
        if not with_labels:
            return images
        if self._train_labels is None:
            raise ValueError(f"The {self.dataset} data loaded here has no labels ({self.source}).")
        return images, self._train_labels[index]

    def info(self) -> dict[str, Any]:
        """What a recorded row says about its data."""
        return {
            "dataset": self.dataset,
            "source": self.source,
            "is_sample": self.is_sample,
            "fingerprint": self.fingerprint,
            "probe_pool": len(self.x_probe),
            "validation": len(self.x_val),
            "test": len(self.x_test),
            "draws": self.draws,
        }

    def describe(self) -> str:
        """One line: sizes, source and fingerprint."""
        labels = "labelled" if self.has_labels else "NO labels (label-based cells are skipped)"
        sample = " (an embedded SAMPLE, not the real dataset)" if self.is_sample else ""
        return (
            f"{self.dataset} evaluation split, profile {self.profile}: probe pool {len(self.x_probe):,} "
            f"{labels}, validation {len(self.x_val):,}, test {len(self.x_test):,}; pretraining pool "
            f"{self.pretraining_size:,} images; {self.draws} draws per few-label probe; from "
            f"{self.source}{sample}; fingerprint {self.fingerprint}"
        )

    def __repr__(self) -> str:
        return f"EvaluationSplit({self.describe()})"


def _balanced_index(labels: np.ndarray, per_class: int | None, order: np.ndarray) -> np.ndarray:
    """The first ``per_class`` positions of ``order`` of every class (``None``: as many as all have)."""
    classes = np.unique(labels)
    members = {label: order[labels[order] == label] for label in classes}
    available = min(len(values) for values in members.values())
    take = available if per_class is None else per_class
    if take > available:
        raise ValueError(f"A class has only {available} training examples, fewer than the {take} per class asked for.")
    return np.sort(np.concatenate([values[:take] for values in members.values()]))


def make_split(
    dataset: str,
    source: str,
    train_inputs: np.ndarray,
    train_labels: np.ndarray | None,
    test_inputs: np.ndarray,
    test_labels: np.ndarray | None,
    class_names: Sequence[str],
    profile: str | None = None,
    is_sample: bool = False,
    prepare: Callable[[np.ndarray], np.ndarray] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> EvaluationSplit:
    """The evaluation split of any arrays (images, token ids, ...), drawn with ``SPLIT_SEED``.

    Introduced in notebook 00 (``evaluation_split`` calls it for the image datasets; notebook 13
    for text). ``prepare`` turns stored inputs into model inputs (``uint8`` images to floats);
    ``settings`` overrides the profile's ``PROTOCOL_SETTINGS``. Validation is capped at a tenth of
    the training inputs, test at the test inputs, the probe pool at what every class has. Without
    labels the probe pool holds ``probe_per_class * classes`` unlabelled inputs.
    """
    profile = config.get_profile(profile)
    chosen = dict(PROTOCOL_SETTINGS[profile], **(settings or {}))
    if len(train_inputs) < 20 or len(test_inputs) < 2:
        raise ValueError(f"{dataset}: too few inputs for an evaluation split ({len(train_inputs)} train, {len(test_inputs)} test).")
    prepare = prepare or (lambda inputs: inputs)
    flat_train = None if train_labels is None else np.asarray(train_labels).reshape(len(train_inputs)).astype("int64")
    flat_test = None if test_labels is None else np.asarray(test_labels).reshape(len(test_inputs)).astype("int64")
    generator = np.random.default_rng(SPLIT_SEED)
    order = generator.permutation(len(train_inputs))
    num_validation = min(int(chosen["validation_size"]), len(train_inputs) // 10)
    validation_index = np.sort(order[:num_validation])
    pool = order[num_validation:]
    per_class = chosen["probe_per_class"]
    if flat_train is not None:
        probe_index = _balanced_index(flat_train, per_class, pool)
    else:
        count = len(pool) if per_class is None else min(len(pool), per_class * len(class_names))
        probe_index = np.sort(pool[:count])
    test_size = len(test_inputs) if chosen["test_size"] is None else min(int(chosen["test_size"]), len(test_inputs))
    test_index = np.sort(generator.permutation(len(test_inputs))[:test_size])

    def labels(values: np.ndarray | None, index: np.ndarray) -> np.ndarray | None:
        return None if values is None else values[index]

    fingerprint = fingerprint_arrays(
        dataset, profile, dict(chosen), validation_index, probe_index, test_index,
        np.asarray(train_inputs)[validation_index], np.asarray(train_inputs)[probe_index],
        np.asarray(test_inputs)[test_index], flat_train if flat_train is None else flat_train[probe_index],
    )
    return EvaluationSplit(
        dataset=dataset,
        source=source,
        is_sample=is_sample,
        profile=profile,
        class_names=tuple(class_names),
        x_probe=prepare(np.asarray(train_inputs)[probe_index]),
        y_probe=labels(flat_train, probe_index),
        x_val=prepare(np.asarray(train_inputs)[validation_index]),
        y_val=labels(flat_train, validation_index),
        x_test=prepare(np.asarray(test_inputs)[test_index]),
        y_test=labels(flat_test, test_index),
        draws=int(chosen["draws"]),
        fingerprint=fingerprint,
        _train_inputs=np.asarray(train_inputs),
        _train_labels=flat_train,
        _pretraining_index=pool,
        _prepare=prepare,
    )


@functools.lru_cache(maxsize=8)
def _cached_split(name: str, profile: str, data_directory: str, offline: str) -> EvaluationSplit:
    from helpers import data

    (x_train, y_train), (x_test, y_test) = data.load_dataset(name)
    source = data.LAST_SOURCE[name]
    return make_split(
        name, source, x_train, y_train, x_test, y_test, data.DATASETS[name].class_names,
        profile=profile, is_sample=data.is_sample_source(name, source), prepare=data.to_float_images,
    )


def evaluation_split(name: str = "mnist", profile: str | None = None) -> EvaluationSplit:
    """The shared evaluation split of an image dataset (``mnist``, ``fashion_mnist``, ``cifar10``).

    Introduced in notebook 00. Loaded once per kernel (later calls return the same object).
    Raises ``data.DatasetUnavailableError`` when no source has the dataset.
    """

    from helpers import data

    data.check_name(name)
    profile = config.get_profile(profile)
    split = _cached_split(name, profile, str(config.data_dir()), os.environ.get("COURSE_OFFLINE", ""))
    print(split.describe())
    return split


# --------------------------------------------------------------------------- the probe


def _check_features(features: np.ndarray, labels: np.ndarray | None, what: str) -> tuple[np.ndarray, np.ndarray | None]:
    features = np.asarray(features, dtype="float64")
    if features.ndim != 2:
        raise ValueError(
            f"{what} features must be a 2-D array (n, dim), got shape {features.shape}; "
            "flatten feature maps first (helpers.models.extract_features does)."
        )
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(features) != len(labels):
            raise ValueError(f"{what} has {len(features)} feature rows but {len(labels)} labels.")
    if len(features) == 0:
        raise ValueError(f"{what} features are empty.")
    if not np.all(np.isfinite(features)):
        raise ValueError(f"{what} features contain NaN or infinity: did training diverge?")
    return features, labels


@dataclass
class FittedProbe:
    """A standardizer and a logistic regression fitted on labelled features, with its chosen strength."""

    scaler: Any
    classifier: Any
    strength: float
    validation_accuracy: float
    converged: bool

    def accuracy(self, features: np.ndarray, labels: np.ndarray) -> float:
        features, labels = _check_features(features, labels, "Evaluation")
        return float(np.mean(self.classifier.predict(self.scaler.transform(features)) == labels))


#: How many processes fit the probe's logistic regressions side by side; results do not depend on it.
PROBE_WORKERS_VARIABLE = "COURSE_PROBE_WORKERS"
#: Below this much work (labelled images x feature dimensions, summed over the fits of one call)
#: the fits run in this process: starting worker processes would cost more than they save.
PARALLEL_PROBE_MIN_WORK = 1_000_000


def probe_workers() -> int:
    """How many processes fit probes at once: ``COURSE_PROBE_WORKERS``, else the usable cores (at most 4).

    The fits are independent and each runs single-threaded, so the numbers are identical for any
    value; ``COURSE_PROBE_WORKERS=1`` fits them one after the other in this process.
    """
    value = os.environ.get(PROBE_WORKERS_VARIABLE, "").strip()
    if value:
        try:
            workers = int(value)
        except ValueError:
            workers = 0
        if workers < 1:
            raise ValueError(
                f"{PROBE_WORKERS_VARIABLE} must be a positive integer, got {value!r}; for example "
                f"{PROBE_WORKERS_VARIABLE}=1 fits the probes one at a time."
            )
        return workers
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def _fit_logistic(
    train_scaled: np.ndarray,
    train_labels: np.ndarray,
    validation_scaled: np.ndarray,
    validation_labels: np.ndarray,
    strength: float,
    max_iter: int,
) -> tuple[Any, float, bool]:
    """One single-threaded logistic regression: ``(classifier, validation accuracy, converged)``."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    # one BLAS thread: these small problems run several times faster without thread hand-offs
    with threadpool_limits(1):
        classifier = LogisticRegression(C=strength, max_iter=max_iter)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            classifier.fit(train_scaled, train_labels)
        accuracy = float(np.mean(classifier.predict(validation_scaled) == validation_labels))
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return classifier, accuracy, converged


def _fit_many(tasks: Sequence[tuple[Any, ...]]) -> list[tuple[Any, float, bool]]:
    """Run ``_fit_logistic`` on every task, in worker processes when there is enough work."""
    workers = min(probe_workers(), len(tasks))
    work = sum(int(task[0].size) for task in tasks)
    if workers < 2 or work < PARALLEL_PROBE_MIN_WORK:
        return [_fit_logistic(*task) for task in tasks]
    from joblib import Parallel, delayed

    # the largest problems (most images, then weakest regularization: most iterations) first,
    # so that no worker is left with a long fit at the end
    order = sorted(range(len(tasks)), key=lambda i: (len(tasks[i][0]), tasks[i][4]), reverse=True)
    fits = Parallel(n_jobs=workers, backend="loky")(delayed(_fit_logistic)(*tasks[i]) for i in order)
    results: list[Any] = [None] * len(tasks)
    for position, fit in zip(order, fits, strict=True):
        results[position] = fit
    return results


@dataclass
class _ProbeProblem:
    """One labelled set, standardized, and the fits (one per strength) that choose its strength."""

    scaler: Any
    strengths: list[float]
    tasks: list[tuple[Any, ...]]

    def best(self, fits: Sequence[tuple[Any, float, bool]]) -> FittedProbe:
        """The fit with the best validation accuracy; ties go to the smaller ``C`` (stronger L2)."""
        best: FittedProbe | None = None
        for strength, (classifier, accuracy, converged) in zip(self.strengths, fits, strict=True):
            if best is None or accuracy > best.validation_accuracy:
                best = FittedProbe(self.scaler, classifier, float(strength), accuracy, converged)
        assert best is not None
        return best


def _probe_problem(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    validation_features: np.ndarray,
    validation_labels: np.ndarray,
    strengths: Sequence[float],
    max_iter: int,
) -> _ProbeProblem:
    from sklearn.preprocessing import StandardScaler

    train_features, train_labels = _check_features(train_features, train_labels, "Training")
    validation_features, validation_labels = _check_features(validation_features, validation_labels, "Validation")
    if train_features.shape[1] != validation_features.shape[1]:
        raise ValueError(
            f"Training features have {train_features.shape[1]} dimensions, validation features "
            f"{validation_features.shape[1]}: they must come from the same layer."
        )
    if len(np.unique(train_labels)) < 2:
        raise ValueError("A linear probe needs at least two classes in the training labels.")
    if not strengths or any(s <= 0 for s in strengths):
        raise ValueError(f"strengths must be positive numbers, got {strengths!r}.")
    scaler = StandardScaler().fit(train_features)
    train_scaled = scaler.transform(train_features)
    validation_scaled = scaler.transform(validation_features)
    ordered = sorted(float(s) for s in strengths)
    tasks = [(train_scaled, train_labels, validation_scaled, validation_labels, s, max_iter) for s in ordered]
    return _ProbeProblem(scaler, ordered, tasks)


def fit_probe(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    validation_features: np.ndarray,
    validation_labels: np.ndarray,
    strengths: Sequence[float] = PROBE_STRENGTHS,
    max_iter: int = PROBE_MAX_ITER,
) -> FittedProbe:
    """Standardize on the labelled features, fit a logistic regression per strength, keep the best on validation.

    Introduced in notebook 00. ``strengths`` are scikit-learn's ``C`` (inverse L2 strength); ties
    go to the stronger regularization (the smaller ``C``). A fit that stops at ``max_iter``
    without converging is reported in ``converged``. The fits run side by side in
    ``probe_workers()`` processes when the problem is large; the result is the same either way.
    """
    problem = _probe_problem(train_features, train_labels, validation_features, validation_labels, strengths, max_iter)
    return problem.best(_fit_many(problem.tasks))


@dataclass
class ProbeResult:
    """A probe at one label count: one entry per class-balanced draw."""

    labels_per_class: int | None
    validation_accuracies: list[float]
    test_accuracies: list[float]
    strengths: list[float]
    converged: bool

    @property
    def mean(self) -> float:
        """Mean test accuracy over draws (validation accuracy when no test set was given)."""
        values = self.test_accuracies or self.validation_accuracies
        return float(np.mean(values))

    @property
    def std(self) -> float:
        """Standard deviation over draws (0 for a single draw)."""
        values = self.test_accuracies or self.validation_accuracies
        return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def probe(
    probe_features: np.ndarray,
    probe_labels: np.ndarray,
    validation_features: np.ndarray,
    validation_labels: np.ndarray,
    test_features: np.ndarray | None = None,
    test_labels: np.ndarray | None = None,
    label_counts: Sequence[int | None] = DEFAULT_LABEL_COUNTS,
    draws: int = 3,
    strengths: Sequence[float] = PROBE_STRENGTHS,
) -> dict[str, ProbeResult]:
    """The protocol's probe at several label counts: ``{"probe_10": ProbeResult, ...}``.

    Introduced in notebook 00. For ``k`` labels per class, ``draws`` class-balanced subsets of the
    probe pool (draw ``d`` uses seed ``d``: every method sees the same labelled images); ``None``
    uses the whole pool once. Each draw chooses its strength on the validation set. Without test
    features only validation accuracies are measured (for choosing, never for reporting).
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}.")
    if (test_features is None) != (test_labels is None):
        raise ValueError("Give both test_features and test_labels, or neither.")
    probe_features, probe_labels = _check_features(probe_features, probe_labels, "Probe pool")
    problems: dict[int | None, list[_ProbeProblem]] = {}
    for count in label_counts:
        problems[count] = []
        for draw in range(1 if count is None else draws):
            index = np.arange(len(probe_labels)) if count is None else few_labels(probe_labels, count, seed=draw)
            problems[count].append(_probe_problem(probe_features[index], probe_labels[index], validation_features,
                                                  validation_labels, strengths, PROBE_MAX_ITER))
    # every fit of every label count in one batch, so that the worker processes stay busy
    fits = iter(_fit_many([task for group in problems.values() for problem in group for task in problem.tasks]))
    results = {}
    for count, group in problems.items():
        validation, test, chosen, converged = [], [], [], True
        for problem in group:
            fitted = problem.best([next(fits) for _ in problem.tasks])
            validation.append(fitted.validation_accuracy)
            chosen.append(fitted.strength)
            converged = converged and fitted.converged
            if test_features is not None:
                test.append(fitted.accuracy(test_features, test_labels))
        results[probe_key(count)] = ProbeResult(count, validation, test, chosen, converged)
    return results


def linear_probe(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    validation_features: np.ndarray,
    validation_labels: np.ndarray,
    test_features: np.ndarray,
    test_labels: np.ndarray,
    labels_per_class: int | None = None,
    seed: int = 0,
) -> float:
    """Test accuracy of one validation-chosen probe on one class-balanced draw (seed ``seed``).

    Introduced in notebook 00: the probe written out once, for teaching; ``probe`` repeats it
    over draws.
    """
    train_features, train_labels = _check_features(train_features, train_labels, "Training")
    if labels_per_class is not None:
        index = few_labels(train_labels, labels_per_class, seed=seed)
        train_features, train_labels = train_features[index], train_labels[index]
    fitted = fit_probe(train_features, train_labels, validation_features, validation_labels)
    return fitted.accuracy(test_features, test_labels)


# --------------------------------------------------------------------------- kNN and retrieval


def normalize_rows(features: np.ndarray) -> np.ndarray:
    """Each row divided by its L2 norm (zero rows stay zero).

    Introduced in notebook 00 (cosine kNN); notebook 08's diagnostics use it too.
    """
    features = np.asarray(features, dtype="float64")
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def knn_accuracy(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    test_features: np.ndarray,
    test_labels: np.ndarray,
    k: int = KNN_K,
    chunk_size: int = 1024,
) -> float:
    """Accuracy of a k-nearest-neighbour vote with cosine similarity.

    Introduced in notebook 00. Each test item takes the majority label of its ``k`` most similar
    training items; a tie goes to the label whose tied neighbours are more similar in total.
    """
    train_features, train_labels = _check_features(train_features, train_labels, "Training")
    test_features, test_labels = _check_features(test_features, test_labels, "Test")
    if not 1 <= k <= len(train_features):
        raise ValueError(f"k must be between 1 and the {len(train_features)} training items, got {k}.")
    classes, train_codes = np.unique(train_labels, return_inverse=True)
    train_unit = normalize_rows(train_features)
    test_unit = normalize_rows(test_features)
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


def _distances_without_self(embeddings: np.ndarray, start: int, stop: int) -> np.ndarray:
    squared_norms = np.sum(embeddings**2, axis=1)
    block = embeddings[start:stop]
    distances = squared_norms[start:stop, None] - 2 * block @ embeddings.T + squared_norms[None, :]
    rows = np.arange(len(block))
    distances[rows, start + rows] = np.inf
    return distances


def recall_at_k(embeddings: np.ndarray, labels: np.ndarray, k: int = 1, chunk_size: int = 1024) -> float:
    """Fraction of items whose ``k`` nearest other items include one of the same label.

    Introduced in notebook 00. Distances are Euclidean; each item is excluded from its own neighbours.
    """
    embeddings, labels = _check_features(embeddings, labels, "Retrieval")
    if not 1 <= k < len(embeddings):
        raise ValueError(f"k must be between 1 and {len(embeddings) - 1} (items minus one), got {k}.")
    hits = 0
    for start in range(0, len(embeddings), chunk_size):
        distances = _distances_without_self(embeddings, start, start + chunk_size)
        neighbours = np.argpartition(distances, k - 1, axis=1)[:, :k]
        hits += int(np.sum(np.any(labels[neighbours] == labels[start : start + chunk_size, None], axis=1)))
    return hits / len(embeddings)


def mean_average_precision(embeddings: np.ndarray, labels: np.ndarray, chunk_size: int = 512) -> float:
    """Mean over queries of the average precision of ranking every other item by Euclidean distance.

    Introduced in notebook 06. For each query the items of its class are the relevant ones;
    average precision is the mean, over them, of the precision at their rank. Recall@1 looks at one
    neighbour, mAP at the whole ranking.
    """
    embeddings, labels = _check_features(embeddings, labels, "Retrieval")
    if len(embeddings) < 2:
        raise ValueError("mean_average_precision needs at least two items.")
    precisions = []
    for start in range(0, len(embeddings), chunk_size):
        distances = _distances_without_self(embeddings, start, start + chunk_size)
        order = np.argsort(distances, axis=1, kind="stable")[:, :-1]  # the query itself sorts last
        relevant = labels[order] == labels[start : start + chunk_size, None]
        hits = np.cumsum(relevant, axis=1)
        ranks = np.arange(1, relevant.shape[1] + 1)
        counts = relevant.sum(axis=1)
        average = np.where(counts > 0, (relevant * hits / ranks).sum(axis=1) / np.maximum(counts, 1), 0.0)
        precisions.append(average)
    return float(np.mean(np.concatenate(precisions)))


# --------------------------------------------------------------------------- rows


@dataclass
class Row:
    """One representation measured by the protocol, with everything a leaderboard needs to say.

    Introduced in notebook 00. ``metrics`` holds ``probe_10``, ``probe_10_std``, ... ``probe_all``,
    ``knn`` (and retrieval measures where asked); ``twin`` the same for the random twin.
    """

    method: str
    kind: str
    layer: str | None
    pooling: str | None
    dimension: int
    labels_used: bool
    split: dict[str, Any]
    metrics: dict[str, float]
    twin: dict[str, float] | None = None
    pretraining: dict[str, Any] | None = None
    train_seconds: float | None = None
    strengths: dict[str, list[float]] = field(default_factory=dict)
    converged: bool = True
    note: str = ""

    def gain(self, measure: str = "probe_100") -> float | None:
        """The row's measure minus its twin's (``None`` without a twin)."""
        if self.twin is None or measure not in self.twin or measure not in self.metrics:
            return None
        return self.metrics[measure] - self.twin[measure]

    def flat(self) -> dict[str, float]:
        """``{"<method>.<measure>": value}`` for the row and ``<method>.twin`` for its twin."""
        values = {f"{self.method}.{measure}": value for measure, value in self.metrics.items()}
        if self.train_seconds is not None:
            values[f"{self.method}.train_seconds"] = float(self.train_seconds)
        for measure, value in (self.twin or {}).items():
            values[f"{self.method}.twin.{measure}"] = value
        return values

    def info(self) -> dict[str, Any]:
        """Everything but the metrics, as stored beside them by ``record``."""
        data = asdict(self)
        data.pop("metrics")
        data.pop("twin")
        return data


def budget(steps: int, batch_size: int, images: int | None = None, note: str = "") -> dict[str, Any]:
    """A pretraining budget as a row records it: optimizer steps, batch size, images seen.

    Introduced in notebook 00. ``images`` is how many different images the pretraining drew from.
    """
    if steps < 0 or batch_size <= 0:
        raise ValueError(f"steps must be >= 0 and batch_size > 0, got {steps} and {batch_size}.")
    return {"steps": int(steps), "batch_size": int(batch_size), "images_seen": int(steps) * int(batch_size),
            "images": None if images is None else int(images), "note": note}


def _measure(
    featurize: Callable[[np.ndarray], np.ndarray],
    split: EvaluationSplit,
    label_counts: Sequence[int | None],
    knn: bool,
    retrieval: bool,
) -> tuple[dict[str, float], dict[str, list[float]], bool, int]:
    # one call for all three parts: a model traces its prediction function once, not three times
    features = np.asarray(featurize(np.concatenate([split.x_probe, split.x_val, split.x_test])))
    boundaries = np.cumsum([len(split.x_probe), len(split.x_val)])
    probe_features, validation_features, test_features = np.split(features, boundaries)
    smallest_class = int(np.bincount(split.y_probe).min())
    label_counts = [count for count in label_counts if count is None or count < smallest_class]
    results = probe(
        probe_features, split.y_probe, validation_features, split.y_val, test_features, split.y_test,
        label_counts=label_counts, draws=split.draws,
    )
    metrics: dict[str, float] = {}
    for key, result in results.items():
        metrics[key] = result.mean
        if result.labels_per_class is not None:
            metrics[f"{key}_std"] = result.std
    if knn:
        metrics["knn"] = knn_accuracy(probe_features, split.y_probe, test_features, split.y_test, k=min(KNN_K, len(probe_features)))
    if retrieval:
        metrics["recall_at_1"] = recall_at_k(test_features, split.y_test, k=1)
        metrics["recall_at_5"] = recall_at_k(test_features, split.y_test, k=5)
        metrics["map"] = mean_average_precision(test_features, split.y_test)
    strengths = {key: result.strengths for key, result in results.items()}
    converged = all(result.converged for result in results.values())
    return metrics, strengths, converged, int(np.asarray(probe_features).shape[1])


def evaluate_representation(
    method: str,
    featurize: Callable[[np.ndarray], np.ndarray],
    split: EvaluationSplit,
    twin_featurize: Callable[[np.ndarray], np.ndarray] | None = None,
    kind: str = "label-free",
    layer: str | None = None,
    pooling: str | None = None,
    labels_used: bool | None = None,
    pretraining: Mapping[str, Any] | None = None,
    train_seconds: float | None = None,
    label_counts: Sequence[int | None] = DEFAULT_LABEL_COUNTS,
    knn: bool = True,
    retrieval: bool = False,
    note: str = "",
) -> Row:
    """Measure any representation (a function inputs -> 2-D features) with the protocol.

    Introduced in notebook 00. Reads the split's test data: use it for the final report only
    (in cells tagged ``report``). ``twin_featurize`` is the same representation with random
    weights; ``kind`` is ``baseline``, ``label-free`` or ``labels`` (``labels_used`` defaults to
    ``kind == "labels"``).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    smallest_class = int(np.bincount(split.y_probe).min()) if split.has_labels else 0
    skipped = [count for count in label_counts if count is not None and count >= smallest_class]
    if skipped and split.has_labels:
        print(f"{method}: the probe pool has {smallest_class} images of its smallest class, so the probes with "
              f"{', '.join(map(str, skipped))} labels per class are the 'all labels' probe and are left out")
    if not split.has_labels:
        raise ValueError(
            f"The {split.dataset} data loaded here has no class labels ({split.source}), so nothing can be "
            "probed. Check split.has_labels and skip the probe, saying so."
        )
    started = time.time()
    metrics, strengths, converged, dimension = _measure(featurize, split, label_counts, knn, retrieval)
    twin = None
    if twin_featurize is not None:
        twin, _, twin_converged, _ = _measure(twin_featurize, split, label_counts, knn, retrieval)
        converged = converged and twin_converged
    row = Row(
        method=method, kind=kind, layer=layer, pooling=pooling, dimension=dimension,
        labels_used=(kind == "labels") if labels_used is None else bool(labels_used),
        split=split.info(), metrics=metrics, twin=twin,
        pretraining=None if pretraining is None else dict(pretraining),
        train_seconds=None if train_seconds is None else float(train_seconds),
        strengths=strengths, converged=converged, note=note,
    )
    state = "" if converged else "  WARNING: a probe did not converge (see row.converged)"
    print(f"{method}: measured in {time.time() - started:.0f} s{state}")
    return row


def random_twin(encoder: Any, seed: int = 0) -> Any:
    """The same architecture as ``encoder`` with fresh random weights (``keras.models.clone_model``).

    Introduced in notebook 00. Deterministic per ``seed``; the encoder itself is not touched.
    """
    import keras

    keras.utils.set_random_seed(seed)
    twin = keras.models.clone_model(encoder)
    twin.name = f"{encoder.name}_twin" if hasattr(twin, "name") else twin.name
    return twin


def _feature_function(model: Any, preprocess: Callable[[np.ndarray], np.ndarray] | None, batch_size: int) -> Callable[[np.ndarray], np.ndarray]:
    from helpers import models

    def featurize(inputs: np.ndarray) -> np.ndarray:
        return models.extract_features(model, preprocess(inputs) if preprocess else inputs, batch_size=batch_size)

    return featurize


def evaluate_encoder(
    method: str,
    encoder: Any,
    split: EvaluationSplit,
    layer: str | None = None,
    pooling: str | int | None = None,
    preprocess: Callable[[np.ndarray], np.ndarray] | None = None,
    twin: bool = True,
    twin_seed: int = 0,
    export: bool | None = None,
    batch_size: int = 512,
    **row_arguments: Any,
) -> Row:
    """Measure a Keras encoder at one layer with the protocol, next to its random twin.

    Introduced in notebook 00. ``layer`` names the layer whose output is probed (default: the
    model's output); ``pooling`` is ``None`` (flatten), ``"global"`` (global average pooling) or an
    integer grid size (average-pool the map down to ``grid x grid`` cells), applied alike to the
    encoder and its twin. ``preprocess`` maps the split's images to the encoder's inputs.
    ``export`` (default: for MNIST encoders without ``preprocess``) saves the probed feature model
    for notebook 20's transfer table. Reads the split's test data: final report only. The other
    arguments go to ``evaluate_representation``.
    """
    from helpers import models

    feature = models.feature_model(encoder, layer, pooling) if (layer or pooling is not None) else encoder
    twin_model = None
    if twin:
        random = random_twin(encoder, twin_seed)
        twin_model = models.feature_model(random, layer, pooling) if (layer or pooling is not None) else random
    row = evaluate_representation(
        method,
        _feature_function(feature, preprocess, batch_size),
        split,
        None if twin_model is None else _feature_function(twin_model, preprocess, batch_size),
        layer=layer or (encoder.layers[-1].name if getattr(encoder, "layers", None) else None),
        pooling=None if pooling is None else str(pooling),
        **row_arguments,
    )
    if export is None:
        export = split.dataset == "mnist" and preprocess is None
    if export:
        from helpers import checkpoints

        checkpoints.export_encoder(feature, row)
    return row


# --------------------------------------------------------------------------- baselines

BASELINE_VERSION = 2


def baseline_rows(name: str = "mnist", refresh: bool = False, pixels: bool = True) -> list[Row]:
    """The reference rows of a dataset: raw pixels and the standard encoder with random weights.

    Introduced in notebook 00. Measured with the protocol on the shared split, then read from
    ``<results dir>/<profile>/baselines_<name>.json``; the cache is keyed by the split's
    fingerprint (so an embedded sample is never served for the real data), the protocol settings
    and the encoder's architecture. ``pixels=False`` leaves out the pixel row (slow to probe for
    32x32 colour images). Reads test data: final report only.
    """
    from helpers import checkpoints, models

    split = evaluation_split(name)
    shape = split.x_probe.shape[1:]
    encoder = random_twin(models.build_encoder(shape, name="random_init_encoder"), seed=0)
    key = {
        "version": BASELINE_VERSION,
        "fingerprint": split.fingerprint,
        "settings": PROTOCOL_SETTINGS[split.profile],
        "strengths": list(PROBE_STRENGTHS),
        "architecture": checkpoints.architecture_fingerprint(encoder),
        "pixels": pixels,
    }
    path = config.results_dir(split.profile) / f"baselines_{name}{'' if pixels else '_encoder'}.json"
    if path.is_file() and not refresh:
        try:
            stored = json.loads(path.read_text())
            if stored.get("key") == json.loads(json.dumps(key)):
                return [Row(**row) for row in stored["rows"]]
        except (ValueError, TypeError, KeyError):
            pass  # an unreadable cache is measured again
    rows = []
    if pixels:
        rows.append(evaluate_representation(
            "pixels", lambda images: np.asarray(images, dtype="float32").reshape(len(images), -1), split,
            kind="baseline", layer="pixels",
        ))
    rows.append(evaluate_representation(
        "random_init", _feature_function(encoder, None, 512), split, kind="baseline", layer="embedding",
        note="the standard encoder (helpers.models.build_encoder) with random weights",
    ))
    path.parent.mkdir(parents=True, exist_ok=True)
    config.write_atomically(path, json.dumps({"key": key, "rows": [asdict(row) for row in rows]}, indent=2))
    return rows


# --------------------------------------------------------------------------- results


def check_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Validate a flat ``{"<method>.<measure>": float}`` dict; return it with plain floats.

    Raises:
        ValueError: a key without a method, a value that is not a finite number, or an
            accuracy outside [0, 1].
    """
    if not isinstance(metrics, Mapping):
        raise ValueError("metrics must be a dict {'<method>.<measure>': number}.")
    clean = {}
    for key, value in metrics.items():
        _, measure = split_key(key)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"Metric {key!r} must be a number, got {type(value).__name__}.")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"Metric {key!r} is {value}: not finite.")
        if is_fraction(measure) and not 0.0 <= value <= 1.0:
            raise ValueError(
                f"Metric {key!r} = {value} is an accuracy and must be a fraction in [0, 1] "
                "(did you pass a percentage?)."
            )
        if measure.endswith("seconds") and value < 0:
            raise ValueError(f"Metric {key!r} = {value}: a time cannot be negative.")
        clean[key] = value
    return clean


def _check_notebook_name(notebook: str) -> None:
    if not notebook or "/" in notebook or notebook.endswith(".ipynb"):
        raise ValueError(
            f"notebook must be the notebook's name without folder or extension, "
            f"for example '05_siamese_contrastive', got {notebook!r}."
        )


def record(
    notebook: str,
    metrics: Mapping[str, Any] | None = None,
    rows: Iterable[Row] = (),
    seed: int | None = None,
    wall_seconds: float | None = None,
    profile: str | None = None,
) -> Path:
    """Save a notebook's rows and extra metrics to ``<results dir>/<profile>/<notebook>.json``.

    Introduced in notebook 00. The file holds the flat metrics of every row (and its twin), the
    extra ``metrics``, and each row's description (``rows``). ``wall_seconds`` defaults to the
    time since the kernel imported ``helpers``. Returns the path written.
    """
    _check_notebook_name(notebook)
    active = config.get_profile(profile)
    rows = list(rows)
    methods = [row.method for row in rows]
    if len(set(methods)) != len(methods):
        raise ValueError(f"Two rows share a method name: {methods}.")
    flat: dict[str, Any] = {}
    for row in rows:
        flat.update(row.flat())
    flat.update(metrics or {})
    if not flat:
        raise ValueError("record needs at least one row or metric.")
    clean = check_metrics(flat)
    payload = {
        "notebook": notebook,
        "profile": active,
        "seed": config.seed() if seed is None else int(seed),
        "datasets": sorted({row.split["dataset"] for row in rows}),
        "wall_seconds": float(config.elapsed_seconds() if wall_seconds is None else wall_seconds),
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "metrics": clean,
        "rows": {row.method: row.info() for row in rows},
    }
    path = config.results_dir(active) / f"{notebook}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    config.write_atomically(path, json.dumps(payload, indent=2))
    return path


def load_record(notebook: str, profile: str | None = None) -> dict[str, Any] | None:
    """One notebook's recorded results, or ``None`` if it has none.

    Raises ``ValueError`` naming the file when it is not valid JSON.
    """
    _check_notebook_name(notebook)
    path = config.results_dir(profile) / f"{notebook}.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON ({error}); delete it and re-run its notebook.") from error


def load_results(profile: str | None = None) -> dict[str, dict[str, Any]]:
    """Every recorded notebook of a profile: ``{notebook: record}`` (baseline caches excluded).

    Raises ``ValueError`` naming a file that is not valid JSON.
    """
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


def recorded_rows(results: Mapping[str, Mapping[str, Any]], dataset: str | None = None) -> dict[str, Row]:
    """The rows of every recorded notebook (the last notebook in course order wins a name).

    Introduced in notebook 20.
    """
    rows: dict[str, Row] = {}
    for notebook in sorted(results):
        record_ = results[notebook]
        metrics = record_.get("metrics", {})
        for method, info in record_.get("rows", {}).items():
            if dataset is not None and info.get("split", {}).get("dataset") != dataset:
                continue
            own = {split_key(k)[1]: v for k, v in metrics.items() if split_key(k)[0] == method and not split_key(k)[1].endswith("seconds")}
            twin = {split_key(k)[1]: v for k, v in metrics.items() if split_key(k)[0] == f"{method}.twin"}
            row = Row(metrics=own, twin=twin or None, **{k: v for k, v in info.items() if k in Row.__dataclass_fields__})
            row.note = (row.note + f" (notebook {notebook[:2]})").strip()
            rows[method] = row
    return rows


# --------------------------------------------------------------------------- outcomes


class Outcomes:
    """The asserted lesson of a notebook: measured values that must clear written thresholds.

    Introduced in notebook 00. ``expect`` checks one value against ``above`` (or ``below``) and
    prints the verdict; ``check`` saves every value with its threshold (also the failing ones: the
    seed sweep of ``python -m course margins`` reads them) and then raises ``AssertionError``
    listing the outcomes that do not hold. Thresholds are sized from five or more smoke seeds;
    ``tests/outcome_margins/`` keeps the measured table.
    """

    def __init__(self, notebook: str):
        _check_notebook_name(notebook)
        self.notebook = notebook
        self.outcomes: dict[str, dict[str, Any]] = {}

    def expect(self, name: str, value: float, above: float | None = None, below: float | None = None, why: str = "") -> bool:
        """Check ``value > above`` (or ``value < below``); remember it; return whether it holds."""
        if (above is None) == (below is None):
            raise ValueError("Give exactly one of above= or below=.")
        if not name or not name.replace("_", "").isalnum():
            raise ValueError(f"An outcome name is a word like 'gain_over_twin_probe_100', got {name!r}.")
        if name in self.outcomes:
            raise ValueError(f"The outcome {name!r} was already expected.")
        value = float(value)
        direction, threshold = ("above", float(above)) if above is not None else ("below", float(below))
        holds = math.isfinite(value) and (value > threshold if direction == "above" else value < threshold)
        self.outcomes[name] = {"value": value, "direction": direction, "threshold": threshold, "holds": holds, "why": why}
        sign = ">" if direction == "above" else "<"
        print(f"{'ok  ' if holds else 'FAIL'} {name} = {value:.4g} (must be {sign} {threshold:g}){': ' + why if why else ''}")
        return holds

    def check(self) -> None:
        """Save every expected value, then fail with the list of outcomes that do not hold.

        A run that expected nothing (every outcome of a notebook skipped on an offline sample) says so
        with a WARNING line; ``tests/test_outcome_margins.py`` checks that every notebook has outcomes.
        """
        if not self.outcomes:
            print(f"WARNING: no learning outcome of {self.notebook} was asserted in this run (see the WARNING lines above).")
        path = config.results_dir() / "outcomes" / f"{self.notebook}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        config.write_atomically(
            path,
            json.dumps({"notebook": self.notebook, "seed": config.seed(), "profile": config.get_profile(),
                        "outcomes": self.outcomes}, indent=2),
        )
        failing = [f"{name} = {o['value']:.4g} ({o['why'] or 'no reason given'})" for name, o in self.outcomes.items() if not o["holds"]]
        if failing:
            raise AssertionError("These learning outcomes do not hold: " + "; ".join(failing))
        if self.outcomes:
            print(f"All {len(self.outcomes)} learning outcomes hold.")


# --------------------------------------------------------------------------- tables


def _percent(value: float | None, std: float | None = None) -> str:
    if value is None:
        return "-"
    text = f"{100 * value:.1f}"
    if std is not None:
        text += f" ± {100 * std:.1f}"
    return text + "%"


def rows_table(rows: Iterable[Row], measures: Sequence[str] = ("probe_10", "probe_100", "probe_all", "knn"), gain: str | None = "probe_100") -> str:
    """A Markdown table of rows: mean ± std over draws, the twin, and the gain over the twin.

    Introduced in notebook 00.
    """
    rows = list(rows)
    header = ["method", "layer (dim)"] + [m.replace("_", " ") for m in measures]
    if gain:
        header += [f"twin {gain.replace('_', ' ')}", f"gain over twin ({gain.replace('_', ' ')})"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row.method, f"{row.layer} ({row.dimension})"]
        cells += [_percent(row.metrics.get(m), row.metrics.get(f"{m}_std")) for m in measures]
        if gain:
            twin_value = None if row.twin is None else row.twin.get(gain)
            difference = row.gain(gain)
            cells += [_percent(twin_value), "-" if difference is None else f"{100 * difference:+.1f} points"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
        method, measure = split_key(key)
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

    lines = ["| method | " + " | ".join(measures) + " |", "|---|" + "---|" * len(measures)]
    for method in order:
        if method in rows:
            lines.append(f"| {method} | " + " | ".join(cell(m, rows[method].get(m)) for m in measures) + " |")
    return "\n".join(lines)


def show_table(markdown: str) -> None:
    """Display Markdown (a table, a paragraph) in a notebook; print it elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(markdown))
            return
    except ImportError:
        pass
    print(markdown)


def copy_row(row: Row, method: str) -> Row:
    """The same measurements under another method name (``denoising_autoencoder`` = its best level)."""
    duplicate = copy.deepcopy(row)
    duplicate.method = method
    return duplicate
