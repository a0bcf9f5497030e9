"""Train once, reload afterwards: ``train_or_load`` keeps long trainings optional.

Introduced in notebook 00. The checkpoint path is derived from the run profile
and a fingerprint of the settings, so profiles and settings never mix. Set
``COURSE_RETRAIN=1`` to ignore saved checkpoints (CI never has any).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import keras

from helpers import config


def checkpoint_path(name: str, settings: Mapping[str, Any] | None = None, profile: str | None = None) -> Path:
    """``<checkpoint dir>/<profile>/<name>-<settings fingerprint>.weights.h5``."""
    if not name or any(character in name for character in "/\\ "):
        raise ValueError(f"A checkpoint name must be a plain word like 'siamese_encoder', got {name!r}.")
    fingerprint = config.Settings("any", settings or {}).fingerprint()
    return config.checkpoint_dir(profile) / f"{name}-{fingerprint}.weights.h5"


def train_or_load(
    model: keras.Model,
    name: str,
    train: Callable[[], Any],
    settings: Mapping[str, Any] | None = None,
    retrain: bool | None = None,
) -> dict[str, list[float]]:
    """Load ``model``'s weights from its checkpoint if it exists, else call ``train()`` and save.

    Introduced in notebook 00.

    Args:
        model: a built model whose weights are saved or loaded.
        name: the checkpoint's name (one per model in a notebook).
        train: a function that trains ``model`` and returns a Keras ``History``
            (or a dict of metric lists).
        settings: the hyperparameters that shaped the training; part of the path.
        retrain: ignore a saved checkpoint (default: ``COURSE_RETRAIN`` is set).

    Returns:
        The training history as a dict (stored beside the weights), with
        ``train_seconds`` added as a one-element list.
    """
    if retrain is None:
        retrain = os.environ.get("COURSE_RETRAIN", "").strip() not in ("", "0")
    weights_path = checkpoint_path(name, settings)
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
    history["train_seconds"] = [seconds]
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(weights_path)
    history_path.write_text(json.dumps(history))
    return history
