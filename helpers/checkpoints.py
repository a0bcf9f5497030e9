"""Train once, reload afterwards: ``train_or_load``, and the encoders exported for transfer.

Introduced in notebook 00. A checkpoint's file name is derived from everything that changes the
result: the run profile, the settings of the training, the data it was trained on (the evaluation
split's fingerprint, which differs between the real dataset and an embedded sample) and the
model's architecture. So a checkpoint trained on the 5,000-digit sample is never served to a run
on the real MNIST, and a changed model trains again. Set ``COURSE_RETRAIN=1`` to ignore saved
checkpoints (CI never has any).

``export_encoder`` saves the feature model a notebook probed (``helpers.evaluation`` calls it for
every MNIST row), so that notebook 20 can probe it on Fashion-MNIST (transfer).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import keras

from helpers import config


def architecture_fingerprint(model: keras.Model) -> str:
    """A short hash of a model's structure: each leaf layer's class, configuration and weight shapes.

    Introduced in notebook 00. Layer *names* are left out (Keras numbers them per session), so
    the same architecture built twice has the same fingerprint; a changed layer, width or
    activation changes it.
    """
    parts = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if list(layer._flatten_layers(include_self=False, recursive=False)):
            continue  # a model or block: its leaves are listed on their own
        layer_config = {key: value for key, value in layer.get_config().items() if key != "name"}
        parts.append([type(layer).__name__, layer_config, [list(w.shape) for w in layer.weights]])
    text = json.dumps([list(model.input_shape) if hasattr(model, "input_shape") else None, parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def checkpoint_path(
    name: str,
    settings: Mapping[str, Any] | None = None,
    profile: str | None = None,
    data: str | None = None,
    architecture: str | None = None,
) -> Path:
    """``<checkpoint dir>/<profile>/<name>-<fingerprint>.weights.h5``.

    The fingerprint covers ``settings``, the data fingerprint ``data`` and the ``architecture``
    fingerprint.
    """
    if not name or any(character in name for character in "/\\ "):
        raise ValueError(f"A checkpoint name must be a plain word like 'siamese_encoder', got {name!r}.")
    key = {"settings": dict(settings or {}), "data": data, "architecture": architecture}
    fingerprint = config.Settings("any", key).fingerprint()
    return config.checkpoint_dir(profile) / f"{name}-{fingerprint}.weights.h5"


def train_or_load(
    model: keras.Model,
    name: str,
    train: Callable[[], Any],
    settings: Mapping[str, Any] | None = None,
    split: Any = None,
    retrain: bool | None = None,
) -> dict[str, list[float]]:
    """Load ``model``'s weights from its checkpoint if it exists, else call ``train()`` and save.

    Introduced in notebook 00.

    Args:
        model: a built model whose weights are saved or loaded.
        name: the checkpoint's name (one per model in a notebook; two notebooks that train the
            same model with the same settings on the same data share it).
        train: a function that trains ``model`` and returns a Keras ``History``
            (or a dict of metric lists).
        settings: the hyperparameters that shaped the training; part of the file name.
        split: the ``evaluation.EvaluationSplit`` (or anything with a ``fingerprint``) whose data
            the model trains on; its fingerprint is part of the file name.
        retrain: ignore a saved checkpoint (default: ``COURSE_RETRAIN`` is set).

    Returns:
        The training history as a dict (stored beside the weights), with ``train_seconds``
        added as a one-element list.
    """
    if retrain is None:
        retrain = os.environ.get("COURSE_RETRAIN", "").strip() not in ("", "0")
    data = None if split is None else str(getattr(split, "fingerprint", split))
    weights_path = checkpoint_path(name, settings, data=data, architecture=architecture_fingerprint(model))
    history_path = weights_path.with_name(weights_path.name.replace(".weights.h5", ".history.json"))
    if weights_path.is_file() and history_path.is_file() and not retrain:
        model.load_weights(weights_path)
        print(f"Loaded {name} from {weights_path} (set COURSE_RETRAIN=1 to train again).")
        return json.loads(history_path.read_text())
    started = time.time()
    result = train()
    seconds = time.time() - started
    history = dict(getattr(result, "history", result) or {})
    history = {key: [float(v) for v in values] for key, values in history.items()}
    history.setdefault("train_seconds", [seconds])
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(weights_path)
    config.write_atomically(history_path, json.dumps(history))
    return history


# --------------------------------------------------------------------------- exported encoders


def exported_encoders_dir(profile: str | None = None) -> Path:
    """Where notebooks export the encoders they probed: ``<checkpoint dir>/<profile>/encoders``."""
    return config.checkpoint_dir(profile) / "encoders"


def export_encoder(feature_model: keras.Model, row: Any, profile: str | None = None) -> Path:
    """Save the feature model of a recorded row (``<method>.keras``) and its row description.

    Introduced in notebook 00; notebook 20 loads them with ``load_exported_encoders``.
    """
    directory = exported_encoders_dir(profile)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{row.method}.keras"
    temporary = directory / f".{row.method}.tmp{os.getpid()}.keras"
    feature_model.save(temporary)
    os.replace(temporary, path)
    config.write_atomically(path.with_suffix(".json"), json.dumps(row.info(), indent=2, default=str))
    return path


def load_exported_encoders(profile: str | None = None) -> dict[str, tuple[keras.Model, dict[str, Any]]]:
    """Every exported encoder of a profile: ``{method: (feature model, row description)}``."""
    directory = exported_encoders_dir(profile)
    encoders: dict[str, tuple[keras.Model, dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.keras")) if directory.is_dir() else []:
        if path.name.startswith("."):
            continue
        info_path = path.with_suffix(".json")
        info = json.loads(info_path.read_text()) if info_path.is_file() else {}
        encoders[path.stem] = (keras.saving.load_model(path, compile=False), info)
    return encoders
