"""Shared, tested code for the hands-on course on self-supervised and contrastive learning.

Modules (import the ones a notebook needs, e.g. ``from helpers import config, data``):

* ``config``: run profiles (``COURSE_PROFILE``), seeds (``COURSE_SEED``) and paths
* ``data``: offline-capable dataset loaders and few-label subsets
* ``evaluation``: the one evaluation protocol (shared split, validation-chosen probe, random
  twins, recorded rows, asserted outcomes)
* ``models``: the course's standard conv encoder and feature extraction
* ``plotting``: image grids, training curves, embeddings, probe curves
* ``checkpoints``: ``train_or_load`` and exported encoders
* ``losses`` and ``pretext``: the losses and pretext-task transforms of the notebooks

The instructors' tooling (benchmark, slides, handouts, student copies) is the separate package
``course`` (``python -m course --help``); notebooks never import it.
"""

__version__ = "0.2.0"
