"""p(y|x), p(x) and p(x|y): a discriminative and a generative classifier side by side.

Logistic regression learns ``p(y|x)`` directly: where the class boundaries
are, nothing about where the data are. A generative classifier learns
``p(x|y)`` for every class and a prior ``p(y)``; Bayes' rule turns them into
``p(y|x)``, and the same fitted object also gives the density of the data
``p(x)`` and draws new points from ``p(x|y)``.

The figure has four panels on a 2-D toy with three classes: the posterior of
each classifier (colour: most probable class, lightness: its probability),
the generative model's ``log p(x)``, and points it draws for each class.

Run: ``python examples/generative_vs_discriminative.py [--output gen_vs_disc.png]``.
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skgen.classical import Gaussian  # noqa: E402
from skgen.conditional import GenerativeClassifier  # noqa: E402

COLORS = np.array([[0.85, 0.37, 0.01], [0.11, 0.62, 0.47], [0.46, 0.44, 0.70]])


def make_toy(n_per_class=150, random_state=0):
    """Three Gaussian classes of different shapes in 2-D."""
    rng = np.random.RandomState(random_state)
    covs = [[[1.0, 0.8], [0.8, 1.0]], [[0.3, 0.0], [0.0, 2.0]], [[1.5, -0.6], [-0.6, 0.5]]]
    means = [[-2.0, 0.0], [1.5, 1.5], [1.0, -2.0]]
    X = np.vstack([rng.multivariate_normal(m, c, n_per_class) for m, c in zip(means, covs)])
    y = np.repeat(["apple", "pear", "plum"], n_per_class)
    return X, y


def _posterior_image(ax, model, xx, yy, title):
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    proba = model.predict_proba(grid)
    winner, confidence = proba.argmax(axis=1), proba.max(axis=1)
    # Lightness from confidence: white where the classes are tied.
    weight = (confidence - 1 / 3) / (2 / 3)
    rgb = 1 - weight[:, None] * (1 - COLORS[winner])
    ax.imshow(rgb.reshape(*xx.shape, 3), origin="lower",
              extent=(xx.min(), xx.max(), yy.min(), yy.max()), aspect="auto")
    ax.set_title(title)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="gen_vs_disc.png", help="PNG to write")
    args = parser.parse_args(argv)

    X, y = make_toy()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    disc = LogisticRegression().fit(X_train, y_train)
    gen = GenerativeClassifier(Gaussian(covariance_type="full")).fit(X_train, y_train)

    print(f"{'':26s} {'accuracy':>9s} {'log-loss':>9s}  can sample?")
    for name, model in [("LogisticRegression", disc), ("GenerativeClassifier", gen)]:
        print(f"{name:26s} {model.score(X_test, y_test):9.3f} "
              f"{log_loss(y_test, model.predict_proba(X_test)):9.3f}  "
              f"{hasattr(model, 'sample')}")

    # Only the generative model answers the other two questions.
    far_away = [[10.0, 10.0]]
    print("p(y|x) at a point far from all data:",
          "logistic", disc.predict_proba(far_away).round(3),
          "generative", gen.predict_proba(far_away).round(3))
    print(f"log p(x) there (generative): {gen.score_samples(far_away)[0]:.1f} "
          "-- it knows the point is unlike the data; logistic regression cannot say.")
    print("three new pears, drawn from p(x | y='pear'):")
    print(gen.sample(3, y="pear", random_state=0).round(2))

    lo, hi = X.min(axis=0) - 1, X.max(axis=0) + 1
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2), sharex=True, sharey=True)
    _posterior_image(axes[0], disc, xx, yy, "p(y|x): LogisticRegression")
    _posterior_image(axes[1], gen, xx, yy, "p(y|x): GenerativeClassifier")
    log_px = gen.score_samples(np.column_stack([xx.ravel(), yy.ravel()])).reshape(xx.shape)
    axes[2].contourf(xx, yy, np.maximum(log_px, -12), levels=15, cmap="viridis")
    axes[2].set_title("p(x): log-density (generative only)")
    for k, label in enumerate(gen.classes_.tolist()):
        real = X_train[y_train == label]
        for ax in axes[:3]:
            ax.scatter(*real.T, s=4, color=COLORS[k], edgecolor="k", linewidths=0.2)
        new = gen.sample(150, y=label, random_state=k)
        axes[3].scatter(*new.T, s=6, color=COLORS[k], label=f"sample(y={label!r})")
    axes[3].set_title("p(x|y): new points (generative only)")
    axes[3].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(args.output, dpi=90)
    plt.close(fig)
    print(f"Saved {args.output}")


if __name__ == "__main__":
    main()
