"""The lecture's Hello World on the world map.

Points are drawn uniformly from the Earth's land (the hidden rule ``p_data``).
The first model, :class:`skgen.classical.UniformBox`, is the smallest
rectangle holding all of them. The first panel redraws the lecture's figure:
the data, the fitted box and the points A (the model makes it, the data never
would: at sea), B (the data make it, the model never can: outside the box)
and C (both agree). The other panels show the log-density and samples of a
few models, and the script prints the metrics that count A-type and B-type
failures.
"""

import matplotlib.pyplot as plt

from skgen.classical import Gaussian, GaussianMixture, KernelDensity, UniformBox
from skgen.datasets import WorldMap, make_world_map
from skgen.metrics import impossible_sample_fraction, missed_data_fraction
from skgen.plotting import plot_hello_world

truth = WorldMap()  # p_data: uniform over land, exact log-density
X_train = make_world_map(2000, random_state=0)
X_test = make_world_map(2000, random_state=1)

fitted = []
for name, model in [
    ("UniformBox", UniformBox(random_state=0)),
    ("Gaussian", Gaussian(random_state=0)),
    ("GaussianMixture(10)", GaussianMixture(10, random_state=0)),
    ("KernelDensity", KernelDensity(random_state=0)),
]:
    model.fit(X_train)
    samples = model.sample(2000, random_state=0)
    print(f"{name:<20} held-out loglik {model.score(X_test):8.3f}   "
          f"A (samples at sea) {impossible_sample_fraction(truth, samples):.3f}   "
          f"B (held-out points missed) {missed_data_fraction(model, X_test):.3f}")
    fitted.append((name, model, samples))

fig = plot_hello_world(truth, X_train, fitted, random_state=0)
plt.show()
