"""
p(y|x), p(x) and p(x|y): a discriminative and a generative classifier
=====================================================================

Logistic regression learns ``p(y|x)`` directly: where the class boundaries
are, and nothing about where the data are. A generative classifier
(:class:`~skgen.conditional.GenerativeClassifier`) learns ``p(x|y)`` for every
class and a prior ``p(y)``; Bayes' rule turns them into ``p(y|x)``, and the
same fitted object also gives the density of the data ``p(x)`` and draws new
points from ``p(x|y)``.

The data are a 2-D toy with three classes of different shapes; each class of
the generative classifier is a full-covariance
:class:`~skgen.classical.Gaussian`.

Run it with ``python examples/plot_generative_vs_discriminative.py``.
"""

# %%
# The data and the two classifiers
# --------------------------------

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from skgen.classical import Gaussian
from skgen.conditional import GenerativeClassifier

COLORS = np.array([[0.85, 0.37, 0.01], [0.11, 0.62, 0.47], [0.46, 0.44, 0.70]])


def make_toy(n_per_class=150, random_state=0):
    """Three Gaussian classes of different shapes in 2-D."""
    rng = np.random.RandomState(random_state)
    covs = [[[1.0, 0.8], [0.8, 1.0]], [[0.3, 0.0], [0.0, 2.0]], [[1.5, -0.6], [-0.6, 0.5]]]
    means = [[-2.0, 0.0], [1.5, 1.5], [1.0, -2.0]]
    X = np.vstack([rng.multivariate_normal(m, c, n_per_class) for m, c in zip(means, covs)])
    y = np.repeat(["apple", "pear", "plum"], n_per_class)
    return X, y


X, y = make_toy()
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
disc = LogisticRegression().fit(X_train, y_train)
gen = GenerativeClassifier(Gaussian(covariance_type="full")).fit(X_train, y_train)

print(f"{'':22s} {'accuracy':>9s} {'log-loss':>9s}  can sample?")
for name, model in [("LogisticRegression", disc), ("GenerativeClassifier", gen)]:
    print(f"{name:22s} {model.score(X_test, y_test):9.3f} "
          f"{log_loss(y_test, model.predict_proba(X_test)):9.3f}  "
          f"{hasattr(model, 'sample')}")

# %%
# Both answer ``p(y|x)`` about equally well on held-out points. Only the
# generative one answers the other two questions.
#
# Far from the data
# -----------------
# At a point far from every class, both classifiers are confident about
# ``p(y|x)``, but only the generative model can say that the point itself is
# unlike anything it was trained on: its ``log p(x)`` is very low.

far_away = [[10.0, 10.0]]
print("p(y|x) there, logistic:  ", disc.predict_proba(far_away).round(3))
print("p(y|x) there, generative:", gen.predict_proba(far_away).round(3))
print(f"log p(x) there (generative only): {gen.score_samples(far_away)[0]:.1f} nats; "
      f"typical held-out points: {gen.score_samples(X_test).mean():.1f} nats")
print("three new pears, drawn from p(x | y='pear'):")
print(gen.sample(3, y="pear", random_state=0).round(2))

# %%
# Four pictures
# -------------
# The posterior of each classifier (colour: the most probable class,
# lightness: its probability), the generative model's ``log p(x)``, and
# points it draws for each class.


def posterior_image(ax, model, xx, yy, title):
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    proba = model.predict_proba(grid)
    winner, confidence = proba.argmax(axis=1), proba.max(axis=1)
    weight = (confidence - 1 / 3) / (2 / 3)  # white where the classes are tied
    rgb = 1 - weight[:, None] * (1 - COLORS[winner])
    ax.imshow(rgb.reshape(*xx.shape, 3), origin="lower",
              extent=(xx.min(), xx.max(), yy.min(), yy.max()), aspect="auto")
    ax.set_title(title)


lo, hi = X.min(axis=0) - 1, X.max(axis=0) + 1
xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
fig, axes = plt.subplots(2, 2, figsize=(10, 8.4), sharex=True, sharey=True)
axes = axes.ravel()
posterior_image(axes[0], disc, xx, yy, "p(y|x): LogisticRegression")
posterior_image(axes[1], gen, xx, yy, "p(y|x): GenerativeClassifier")
log_px = gen.score_samples(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
axes[2].contourf(xx, yy, np.maximum(log_px, -12), levels=15, cmap="viridis")
axes[2].set_title("p(x): log-density (generative only)")
for k, label in enumerate(gen.classes_.tolist()):
    real = X_train[y_train == label]
    for ax in axes[:3]:
        ax.scatter(*real.T, s=5, color=COLORS[k], edgecolor="k", linewidths=0.2)
    new = gen.sample(150, y=label, random_state=k)
    axes[3].scatter(*new.T, s=7, color=COLORS[k], label=f"sample(y={label!r})")
axes[3].set_title("p(x|y): new points (generative only)")
axes[3].legend(loc="upper left")
fig.tight_layout()
plt.show()
