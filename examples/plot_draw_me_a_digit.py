"""
Draw me a 3: class-conditional digits from a generative classifier
==================================================================

A discriminative classifier trained on handwritten digits can tell a 3 from
an 8, but asked to draw a 3 it has nothing to offer: it models ``p(y|x)``
only. A generative classifier models ``p(x|y)``, so the same fitted object
that classifies digits also draws them.

Here :class:`~skgen.conditional.GenerativeClassifier` fits, for each digit
class, a full-covariance :class:`~skgen.classical.Gaussian` over the 64
pixels of scikit-learn's 8x8 digits (``reg_covar=1`` pixel², so that the
always-blank corner pixels keep a positive variance). The drawn digits are
shown beside real ones, and a logistic regression trained on the real digits
acts as a judge: does it read each drawn digit as the class it was drawn
from?

Run it with ``python examples/plot_draw_me_a_digit.py`` (a few seconds).
"""

# %%
# One object, three questions
# ---------------------------

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgen.classical import Gaussian
from skgen.conditional import GenerativeClassifier
from skgen.plotting import plot_image_grid

X, y = load_digits(return_X_y=True)  # pixels in 0..16
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
clf = GenerativeClassifier(Gaussian(covariance_type="full", reg_covar=1.0))
clf.fit(X_train, y_train)

print(f"p(y|x): accuracy on held-out digits {clf.score(X_test, y_test):.3f}")
print(f"p(x):   mean log-density of held-out digits "
      f"{clf.score_samples(X_test).mean():.1f} nats")
print(f"p(x|y): mean log p(x | its own label) "
      f"{clf.score_samples(X_test, y=y_test).mean():.1f} nats")

# %%
# Draw me a 3 (and every other digit)
# -----------------------------------
# ``sample(n, y=...)`` draws from ``p(x | y)``. Pixels are intensities in
# 0..16; a Gaussian does not know that, so the drawings are clipped for
# display. A logistic regression trained on real digits only then judges
# the drawings.

N_PER_CLASS = 8
labels = np.repeat(clf.classes_, N_PER_CLASS)
drawn = np.clip(clf.sample(labels.size, y=labels, random_state=0), 0, 16)
threes = np.clip(clf.sample(N_PER_CLASS, y=3, random_state=1), 0, 16)

judge = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
judge.fit(X_train, y_train)
print(f"The judge reads {np.mean(judge.predict(drawn) == labels):.1%} of the drawn digits "
      f"as the class they were drawn from, and {np.mean(judge.predict(threes) == 3):.0%} "
      "of the drawn 3s as 3s (chance: 10%).")
print(f"hasattr(judge, 'sample'): {hasattr(judge, 'sample')}; "
      f"hasattr(clf, 'sample'): {hasattr(clf, 'sample')}")

# %%
# Real and drawn digits
# ---------------------
# Left, real digits; right, digits drawn from ``p(x | y)``, one row per
# class. The drawings are noisier than real digits (a Gaussian knows how
# pixels vary together, not what a stroke is), yet most of them read as their
# digit, as the judge found.

real = np.vstack([X_train[y_train == c][:N_PER_CLASS] for c in clf.classes_])
real_threes = X_train[y_train == 3][N_PER_CLASS:2 * N_PER_CLASS]
fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), gridspec_kw={"height_ratios": [1, 8]})
style = dict(n_cols=N_PER_CLASS, vmin=0, vmax=16)
plot_image_grid(real_threes, ax=axes[0, 0], title="real 3s", **style)
plot_image_grid(threes, ax=axes[0, 1], title="draw me a 3: sample(8, y=3)", **style)
plot_image_grid(real, ax=axes[1, 0], title="real digits, one row per class", **style)
plot_image_grid(drawn, ax=axes[1, 1], title="drawn from p(x | y), one row per class",
                **style)
fig.tight_layout()
plt.show()
