"""
Choosing a density by held-out likelihood
=========================================

Every skgen estimator's ``score`` is the mean log-likelihood of the rows it
is given, so scikit-learn's model selection tools choose densities the way
they choose classifiers: :class:`~sklearn.model_selection.GridSearchCV`
keeps the candidate whose held-out rows are the most likely.

Here two classical models are tuned on 1000 points of two interleaved
spirals (:func:`~skgen.datasets.make_two_spirals`): the bandwidth of a
:class:`~skgen.classical.KernelDensity` and the number of components of a
:class:`~skgen.classical.GaussianMixture`. The true density is known, so the
chosen models can be compared with the best score any model can reach.

Run it with ``python examples/plot_model_selection.py`` (a few seconds).
"""

# %%
# The data
# --------

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold

from skgen.base import check_likelihood_kinds_comparable
from skgen.classical import GaussianMixture, KernelDensity
from skgen.datasets import make_toy
from skgen.plotting import plot_density_2d

X, truth = make_toy("two_spirals", 1000, random_state=0, return_distribution=True)
X_test = truth.sample(2000, random_state=1)
print(f"the truth's held-out log-likelihood: {truth.score(X_test):.3f} nats per point")

# %%
# Two grid searches
# -----------------
# Five folds, the same for both searches. ``GridSearchCV`` calls ``score``
# on each held-out fold; no ``scoring=`` is needed. Both models report an
# exact log-density (``likelihood_kind == "exact"``), so their scores may be
# compared -- :func:`~skgen.base.check_likelihood_kinds_comparable` raises an
# error otherwise.

check_likelihood_kinds_comparable([KernelDensity(), GaussianMixture()])
cv = KFold(5, shuffle=True, random_state=0)
searches = {
    "KernelDensity": GridSearchCV(
        KernelDensity(), {"bandwidth": np.geomspace(0.02, 1.0, 15)}, cv=cv),
    "GaussianMixture": GridSearchCV(
        GaussianMixture(random_state=0), {"n_components": np.arange(1, 31, 2)}, cv=cv),
}
for name, search in searches.items():
    search.fit(X)
    (param, value), = search.best_params_.items()
    print(f"{name:<16} best {param} = {value:.3g}: cross-validated "
          f"{search.best_score_:.3f}, held-out {search.score(X_test):.3f} nats per point")

# %%
# The rule-of-thumb bandwidth (``bandwidth="scott"``, the default) is made for
# a single bump and smooths the spirals too much; the search picks a much
# narrower kernel:

default = KernelDensity().fit(X)
print(f"KernelDensity(bandwidth='scott'): bandwidth_ = {default.bandwidth_:.3f}, "
      f"held-out {default.score(X_test):.3f} nats per point")

# %%
# Validation curves
# -----------------
# The mean cross-validated log-likelihood of each candidate, with the spread
# over folds. A narrow kernel overfits (each training point becomes its own
# bump) and a wide one underfits; the mixture gains less and less from each
# extra component.

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
curves = [("KernelDensity", "bandwidth", "log"), ("GaussianMixture", "n_components", "linear")]
for ax, (name, param, scale) in zip(axes, curves):
    results = searches[name].cv_results_
    values = np.asarray(results[f"param_{param}"], dtype=float)
    mean, std = results["mean_test_score"], results["std_test_score"]
    ax.plot(values, mean, "o-", label="cross-validated")
    ax.fill_between(values, mean - std, mean + std, alpha=0.2)
    ax.axhline(truth.score(X_test), color="k", ls="--", label="the truth, held out")
    ax.set(xlabel=param, ylabel="mean log-likelihood (nats)", title=name, xscale=scale,
           ylim=(mean.max() - 1.5, mean.max() + 0.3))
    ax.legend(loc="lower center")
fig.tight_layout()

# %%
# The chosen densities
# --------------------
# The truth with the training points, and each chosen model with 500 of its
# samples.

fig, axes = plt.subplots(1, 3, figsize=(13, 4.4), sharex=True, sharey=True)
limits = dict(xlim=(-4, 4), ylim=(-4, 4), resolution=150)
plot_density_2d(truth, samples=X[:500], ax=axes[0], title="truth and data", **limits)
for ax, (name, search) in zip(axes[1:], searches.items()):
    model = search.best_estimator_
    plot_density_2d(model, samples=model.sample(500, random_state=0), ax=ax,
                    title=f"{name}, chosen by cross-validation", **limits)
fig.tight_layout()
plt.show()
