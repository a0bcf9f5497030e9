"""Pretext-task transforms: labels made from the data itself.

* ``noise``: corruption for denoising autoencoders (notebook 03)
* ``pairs``: similar / dissimilar pairs for siamese networks (notebook 05)
* ``sampling``: class-balanced P x K batches for online triplet mining (notebook 06)
* ``rotation``: rotations and the rotation-prediction dataset (notebook 07)
"""

from helpers.pretext.noise import *  # noqa: F401,F403
from helpers.pretext.pairs import *  # noqa: F401,F403
from helpers.pretext.rotation import *  # noqa: F401,F403
from helpers.pretext.sampling import *  # noqa: F401,F403
