"""Run profiles, seeds and paths: the one place that decides how long a notebook runs.

Introduced in notebook 00.

Every notebook reads its epochs, subset sizes and batch sizes from a *run
profile*, chosen by the environment variable ``COURSE_PROFILE``:

* ``smoke``: tiny subsets for CI; each notebook runs well under 90 s on 2 cores.
* ``class`` (the default): good results live in class, each notebook's training
  at most about 5 minutes on a 2-core laptop CPU.
* ``full``: best results; a GPU is recommended.

A notebook declares one table with a column per profile and gets back the
column of the active profile::

    hp = config.profile_settings({
        "smoke": {"num_epochs": 1, "train_size": 2_000, "batch_size": 128},
        "class": {"num_epochs": 5, "train_size": 30_000, "batch_size": 128},
        "full":  {"num_epochs": 30, "train_size": 60_000, "batch_size": 256},
    })
    hp.num_epochs

Paths (data, results, checkpoints, build) are resolved here, relative to the
repository and not to the current working directory, and each can be moved with
an environment variable.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

PROFILES: tuple[str, ...] = ("smoke", "class", "full")
DEFAULT_PROFILE = "class"
PROFILE_VARIABLE = "COURSE_PROFILE"
DEFAULT_SEED = 42
SEED_VARIABLE = "COURSE_SEED"

#: When this module was first imported: the start of a notebook's kernel, used
#: by ``helpers.evaluation.record`` for the notebook's wall time.
START_TIME = time.time()

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- profiles


def get_profile(value: str | None = None) -> str:
    """Return the active run profile (``COURSE_PROFILE``, default ``class``).

    Introduced in notebook 00.

    Raises:
        ValueError: if the value is not one of ``smoke``, ``class``, ``full``.
    """
    if value is None:
        value = os.environ.get(PROFILE_VARIABLE, "") or DEFAULT_PROFILE
    profile = value.strip().lower()
    if profile not in PROFILES:
        raise ValueError(
            f"Unknown run profile {value!r} (from {PROFILE_VARIABLE}). "
            f"Valid profiles are: {', '.join(PROFILES)}. "
            f"For example: export {PROFILE_VARIABLE}=smoke"
        )
    return profile


class Settings(Mapping[str, Any]):
    """Read-only hyperparameters of one profile, readable as ``hp.name`` or ``hp["name"]``."""

    def __init__(self, profile: str, values: Mapping[str, Any]):
        self._profile = profile
        self._values = dict(values)

    @property
    def profile(self) -> str:
        return self._profile

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(
                f"No setting {name!r} in profile {self._profile!r}; "
                f"known settings: {', '.join(sorted(self._values))}"
            ) from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def as_dict(self) -> dict[str, Any]:
        """A plain copy of the settings."""
        return dict(self._values)

    def fingerprint(self) -> str:
        """A short hash of the settings, used to keep checkpoints of different settings apart."""
        text = json.dumps(self._values, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def __repr__(self) -> str:
        items = ", ".join(f"{key}={value!r}" for key, value in self._values.items())
        return f"Settings(profile={self._profile!r}, {items})"


def profile_settings(
    table: Mapping[str, Mapping[str, Any]], profile: str | None = None
) -> Settings:
    """Pick the active profile's column from a notebook's table of hyperparameters.

    Introduced in notebook 00.

    Args:
        table: ``{"smoke": {...}, "class": {...}, "full": {...}}``; every profile
            must be present and name the same settings.
        profile: override the active profile (default: ``COURSE_PROFILE``).

    Raises:
        ValueError: a profile is missing or extra, or the profiles name different settings.
    """
    active = get_profile(profile)
    missing = [name for name in PROFILES if name not in table]
    extra = [name for name in table if name not in PROFILES]
    if missing or extra:
        raise ValueError(
            "A settings table needs exactly one column per profile "
            f"({', '.join(PROFILES)}); missing: {missing or 'none'}, unknown: {extra or 'none'}."
        )
    reference = set(table[PROFILES[0]])
    for name in PROFILES[1:]:
        if set(table[name]) != reference:
            difference = sorted(reference.symmetric_difference(table[name]))
            raise ValueError(
                f"Profile {name!r} does not name the same settings as {PROFILES[0]!r}: "
                f"differs in {difference}. Give every profile a value for every setting."
            )
    return Settings(active, table[active])


# --------------------------------------------------------------------------- seeds


def seed() -> int:
    """The notebook's seed: ``COURSE_SEED`` if set, else 42.

    Introduced in notebook 00. ``python -m course margins`` runs every notebook under several
    seeds this way, to size the margins of the asserted outcomes.
    """
    value = os.environ.get(SEED_VARIABLE, "").strip()
    if not value:
        return DEFAULT_SEED
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{SEED_VARIABLE}={value!r} is not an integer; for example: export {SEED_VARIABLE}=1") from None
    if number < 0:
        raise ValueError(f"{SEED_VARIABLE} must be a non-negative integer, got {number}.")
    return number


def set_seed(seed: int = DEFAULT_SEED) -> int:
    """Seed Python, NumPy and Keras (and so TensorFlow) in one call; returns the seed.

    Introduced in notebook 00.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"The seed must be a non-negative integer, got {seed!r}.")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    import keras  # imported here so that `helpers.config` stays light

    keras.utils.set_random_seed(seed)
    return seed


# --------------------------------------------------------------------------- paths


def _directory(variable: str, default: Path) -> Path:
    """The folder named by environment ``variable`` (absolute or ``~``), else ``default``.

    A relative path is refused: notebooks run with ``notebooks/`` as their working
    directory and the tests with the repository root, so ``../shared/data`` would
    name a different folder in each and a dataset would silently go missing.
    """
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    path = Path(value).expanduser()
    if not path.is_absolute():
        raise ValueError(
            f"{variable}={value!r} is a relative path. Notebooks run inside notebooks/ and the "
            f"tests in the repository root, so it would point to different folders. Give an "
            f'absolute path, for example: export {variable}="$(realpath {value})"'
        )
    return path.resolve()


def data_dir() -> Path:
    """Folder of ``<name>.npz`` datasets: ``COURSE_DATA_DIR`` or the repository's ``data/``."""
    return _directory("COURSE_DATA_DIR", REPOSITORY_ROOT / "data")


def results_dir(profile: str | None = None) -> Path:
    """Recorded metrics of one profile: ``COURSE_RESULTS_DIR`` (default ``results/``) / profile."""
    return _directory("COURSE_RESULTS_DIR", REPOSITORY_ROOT / "results") / get_profile(profile)


def checkpoint_dir(profile: str | None = None) -> Path:
    """Saved weights of one profile: ``COURSE_CHECKPOINT_DIR`` (default ``checkpoints/``) / profile."""
    return _directory("COURSE_CHECKPOINT_DIR", REPOSITORY_ROOT / "checkpoints") / get_profile(
        profile
    )


def build_dir() -> Path:
    """Generated files (executed notebooks, slides, benchmarks): ``COURSE_BUILD_DIR`` or ``build/``."""
    return _directory("COURSE_BUILD_DIR", REPOSITORY_ROOT / "build")


def notebooks_dir() -> Path:
    """The course notebooks, in teaching order by file name."""
    return REPOSITORY_ROOT / "notebooks"


def notebook_paths(only: Sequence[str] | None = None) -> list[Path]:
    """Course notebooks in teaching order; ``only`` filters by name prefix (``05``) or name.

    Raises:
        ValueError: a name in ``only`` matches no notebook.
    """
    notebooks = sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
    if not only:
        return notebooks
    selected = []
    for wanted in only:
        wanted = wanted.removesuffix(".ipynb")
        matches = [path for path in notebooks if path.stem == wanted or path.stem.startswith(f"{wanted}_")]
        if not matches:
            names = ", ".join(path.stem for path in notebooks)
            raise ValueError(f"No notebook matches {wanted!r}. Notebooks: {names}.")
        selected.extend(match for match in matches if match not in selected)
    return sorted(selected)


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write a file through a temporary file beside it and a rename: never half-written.

    Introduced in notebook 00 (results); the tooling writes notebooks and reports this way.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        if isinstance(content, bytes):
            temporary.write_bytes(content)
        else:
            temporary.write_text(content, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


# --------------------------------------------------------------------------- environment


def describe_environment() -> str:
    """One line on Python, Keras, its backend, TensorFlow, the profile and any GPU.

    Introduced in notebook 00.
    """
    import keras

    parts = [
        f"Python {platform.python_version()}",
        f"Keras {keras.__version__} (backend: {keras.backend.backend()})",
    ]
    gpus: list[Any] = []
    try:
        import tensorflow as tf

        parts.append(f"TensorFlow {tf.__version__}")
        gpus = tf.config.list_physical_devices("GPU")
    except ImportError:  # another Keras backend
        pass
    parts.append(f"profile: {get_profile()}")
    parts.append(
        f"GPU: {len(gpus)} visible" if gpus else "GPU: none (fine: every profile but 'full' is sized for a CPU)"
    )
    return " | ".join(parts)


def elapsed_seconds() -> float:
    """Seconds since the kernel imported ``helpers`` (the notebook's wall time so far)."""
    return time.time() - START_TIME
