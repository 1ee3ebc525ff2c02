"""
Hello World on the world map
============================

The lecture's first generative model, redrawn with skgen. Points are drawn
uniformly from the Earth's land: that is the hidden rule ``p_data``. The first
model, :class:`~skgen.classical.UniformBox`, is the smallest rectangle holding
all of them. The figure shows the data, the fitted box, and the lecture's
three points:

- **A**: the model makes it, the data never would (at sea inside the box);
- **B**: the data make it, the model never can (on land outside the box);
- **C**: both agree (on land inside the box).

Three smoother classical models follow, each with its log-density and its
samples, and two metrics count the A-type and B-type failures of each.

Run it with ``python examples/plot_hello_world.py`` (a few seconds).
"""

# %%
# The data and the truth
# ----------------------
# :func:`~skgen.datasets.make_world_map` draws (longitude, latitude) pairs in
# degrees; :class:`~skgen.datasets.WorldMap` is the distribution they come
# from, with an exact log-density (``-inf`` at sea).

import matplotlib.pyplot as plt

from skgen.classical import Gaussian, GaussianMixture, KernelDensity, UniformBox
from skgen.datasets import WorldMap, make_world_map
from skgen.metrics import impossible_sample_fraction, missed_data_fraction
from skgen.plotting import plot_hello_world

truth = WorldMap()
X_train = make_world_map(2000, random_state=0)
X_test = make_world_map(2000, random_state=1)
print(f"{len(X_train)} training points, {len(X_test)} held out; "
      f"the truth's held-out log-likelihood is {truth.score(X_test):.3f} nats")

# %%
# Four models, two kinds of failure
# ---------------------------------
# For each model: the held-out mean log-likelihood (``score``; ``-inf`` as
# soon as one held-out point has density zero), the share of its samples at
# sea (A-type failures, :func:`~skgen.metrics.impossible_sample_fraction`) and
# the share of held-out points it gives density zero (B-type failures,
# :func:`~skgen.metrics.missed_data_fraction`).

models = {
    "UniformBox": UniformBox(random_state=0),
    "Gaussian": Gaussian(random_state=0),
    "GaussianMixture(10)": GaussianMixture(10, random_state=0),
    "KernelDensity": KernelDensity(random_state=0),
}
fitted = []
print(f"{'model':<20} {'held-out loglik':>15} {'A: at sea':>10} {'B: missed':>10}")
for name, model in models.items():
    model.fit(X_train)
    samples = model.sample(2000, random_state=0)
    print(f"{name:<20} {model.score(X_test):15.3f} "
          f"{impossible_sample_fraction(truth, samples):10.3f} "
          f"{missed_data_fraction(model, X_test):10.3f}")
    fitted.append((name, model, samples))

# %%
# The box's held-out log-likelihood is ``-inf``: a few held-out points lie
# just outside it (B-type failures), and about two thirds of its samples fall
# at sea (A-type failures). The smoother models give every held-out point a
# positive density, so their log-likelihoods are finite; the mixture of ten
# Gaussians scores best and puts the fewest samples at sea.
#
# The figure
# ----------
# The first panel is the lecture's picture. The others show each model's
# log-density (brighter is higher, over 12 nats below the maximum) with its
# samples in cyan; the coast is drawn in white.

fig = plot_hello_world(truth, X_train, fitted, random_state=0)
plt.show()
