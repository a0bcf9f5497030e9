"""Losses of the course, each written with ``keras.ops`` so it runs on any Keras backend.

* ``contrastive``: euclidean distance and the margin contrastive loss (notebook 05)
* ``triplet``: triplet losses with batch-all, batch-hard and semi-hard mining (notebook 06)
* ``nt_xent``: the NT-Xent / InfoNCE loss of SimCLR (notebook 08)
* ``reconstruction``: reconstruction losses on a hole, for inpainting (notebook 11)
"""

from helpers.losses import contrastive, nt_xent, reconstruction, triplet  # noqa: F401
from helpers.losses.contrastive import *  # noqa: F401,F403
from helpers.losses.nt_xent import *  # noqa: F401,F403
from helpers.losses.reconstruction import *  # noqa: F401,F403
from helpers.losses.triplet import *  # noqa: F401,F403
