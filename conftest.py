"""Test defaults: the smoke profile, no stale checkpoints, quiet TensorFlow.

Environment variables set here are inherited by the notebook kernels nbval starts.
"""

import os

os.environ.setdefault("COURSE_PROFILE", "smoke")
os.environ.setdefault("COURSE_RETRAIN", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")
