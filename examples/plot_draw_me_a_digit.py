"""Draw me a 3: class-conditional digits from a generative classifier.

A discriminative classifier trained on handwritten digits can tell a 3 from
an 8, but asked to draw a 3 it has nothing to offer: it models ``p(y|x)``
only. A generative classifier models ``p(x|y)``, so the same fitted object
that classifies digits also draws them.

Here each digit class gets a full-covariance Gaussian over the 64 pixels of
scikit-learn's 8x8 digits (``reg_covar=1`` pixel², so that the always-blank
corner pixels keep a positive variance). The drawn digits are shown beside
real ones, and a logistic regression trained on the real digits only acts as
a judge: does it read each drawn digit as the class it was drawn from?

Run: ``python examples/draw_me_a_digit.py [--output draw_me_a_digit.png]``.
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skgen.classical import Gaussian  # noqa: E402
from skgen.conditional import GenerativeClassifier  # noqa: E402
from skgen.plotting import plot_image_grid  # noqa: E402

N_PER_CLASS = 8


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="draw_me_a_digit.png", help="PNG to write")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)  # pixels in 0..16
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    clf = GenerativeClassifier(Gaussian(covariance_type="full", reg_covar=1.0))
    clf.fit(X_train, y_train)

    # One object, three questions.
    print(f"p(y|x): accuracy on held-out digits {clf.score(X_test, y_test):.3f}")
    print(f"p(x):   mean log-density of held-out digits "
          f"{clf.score_samples(X_test).mean():.1f} nats")
    print(f"p(x|y): mean log p(x | its own label) "
          f"{clf.score_samples(X_test, y=y_test).mean():.1f} nats")

    # Draw me a 3 (and every other digit). Pixels are intensities in 0..16;
    # a Gaussian does not know that, so clip for display.
    labels = np.repeat(clf.classes_, N_PER_CLASS)
    drawn = np.clip(clf.sample(labels.size, y=labels, random_state=0), 0, 16)
    threes = np.clip(clf.sample(N_PER_CLASS, y=3, random_state=1), 0, 16)

    judge = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    judge.fit(X_train, y_train)
    print(f"A logistic regression trained on real digits reads "
          f"{np.mean(judge.predict(drawn) == labels):.1%} of the drawn digits as the "
          f"class they were drawn from, and {np.mean(judge.predict(threes) == 3):.0%} "
          f"of the drawn 3s as 3s (chance: 10%).")
    print(f"hasattr(LogisticRegression, 'sample'): {hasattr(judge, 'sample')}; "
          f"hasattr(GenerativeClassifier, 'sample'): {hasattr(clf, 'sample')}")

    real = np.vstack([X_train[y_train == c][:N_PER_CLASS] for c in clf.classes_])
    real_threes = X_train[y_train == 3][N_PER_CLASS:2 * N_PER_CLASS]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5),
                             gridspec_kw={"height_ratios": [1, 8]})
    style = dict(n_cols=N_PER_CLASS, vmin=0, vmax=16)
    plot_image_grid(real_threes, ax=axes[0, 0], title="real 3s", **style)
    plot_image_grid(threes, ax=axes[0, 1], title="draw me a 3: sample(8, y=3)", **style)
    plot_image_grid(real, ax=axes[1, 0], title="real digits, one row per class", **style)
    plot_image_grid(drawn, ax=axes[1, 1], title="drawn from p(x | y), one row per class",
                    **style)
    fig.tight_layout()
    fig.savefig(args.output, dpi=100)
    plt.close(fig)
    print(f"Saved {args.output}")


if __name__ == "__main__":
    main()
