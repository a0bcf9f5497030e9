"""Pretext-task transforms: labels made from the data itself.

* ``noise``: corruption for denoising autoencoders (notebook 03)
* ``pairs``: similar / dissimilar pairs for siamese networks (notebook 05)
* ``sampling``: class-balanced P x K batches for online triplet mining (notebook 06)
* ``rotation``: rotations and the rotation-prediction dataset (notebook 07)
* ``patches``: relative patch positions and chromatic aberration (notebook 09)
* ``jigsaw``: permutation sets and jigsaw tiles (notebook 10)
* ``inpainting``: masked regions for context encoders (notebook 11)
* ``exemplar``: exemplar seeds and surrogate classes (notebook 12)
* ``text``: masked tokens and sentence pairs (notebook 13)

Each module's functions are also available from the package: ``pretext.rotation_dataset(...)``.
"""

from helpers.pretext import (  # noqa: F401
    exemplar,
    inpainting,
    jigsaw,
    noise,
    pairs,
    patches,
    rotation,
    sampling,
    text,
)
from helpers.pretext.exemplar import *  # noqa: F401,F403
from helpers.pretext.inpainting import *  # noqa: F401,F403
from helpers.pretext.jigsaw import *  # noqa: F401,F403
from helpers.pretext.noise import *  # noqa: F401,F403
from helpers.pretext.pairs import *  # noqa: F401,F403
from helpers.pretext.patches import *  # noqa: F401,F403
from helpers.pretext.rotation import *  # noqa: F401,F403
from helpers.pretext.sampling import *  # noqa: F401,F403
from helpers.pretext.text import *  # noqa: F401,F403
