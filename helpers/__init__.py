"""Shared, tested code for the hands-on course on self-supervised and contrastive learning.

Modules (import the ones a notebook needs, e.g. ``from helpers import config, data``):

* ``config``: run profiles (``COURSE_PROFILE``), seeds and paths
* ``data``: offline-capable dataset loaders and few-label subsets
* ``models``: the course's standard conv encoder and feature extraction
* ``evaluation``: linear probe, kNN, retrieval, baselines, recorded results
* ``plotting``: image grids, training curves, embeddings, probe curves
* ``checkpoints``: ``train_or_load``
* ``losses`` and ``pretext``: the losses and pretext-task transforms of the notebooks
"""

import os as _os

# Quiet TensorFlow's start-up chatter and pick the backend before Keras is imported.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"
