"""Biscuit tins: a 2-D latent space learned from images, and a walk that makes tins taller.

The lecture's example of representation learning. Each image of a biscuit
tin has ``image_size**2`` pixels, but two numbers describe it: the tin's
height and width. A model with a two-dimensional latent space has found that
description when

1. a *linear* map from its codes (``transform``) predicts the true height and
   width of held-out tins (R^2 close to 1), and
2. decoding (``inverse_transform``) a walk along the code direction that
   predicts height draws taller and taller tins whose width barely moves.

Both are measured for :class:`skgen.classical.ProbabilisticPCA` (a linear
encoder and decoder, fitted in closed form) and :class:`skgen.vae.VAE` (neural
encoder and decoder). Sizes along the walk are read off the decoded pixels,
not taken from the model: pixel values divided by the body's grey level (0.7)
and clipped to [0, 1] give the share of each pixel the tin covers, the height
sums that share down the rows and the width along the bottom row.

The VAE uses ``distribution="bernoulli"`` (pixel values in [0, 1] are read as
probabilities of a pixel being "on", which suits these images) and a
smaller batch than the default for more updates per epoch; with 2000
16 x 16 images and 200 epochs it trains in about half a minute on one CPU
thread.

Run: ``python examples/biscuit_tins.py [--output biscuit_tins.png]``.
"""

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402

from skgen.classical import ProbabilisticPCA  # noqa: E402
from skgen.datasets import make_biscuit_tins  # noqa: E402
from skgen.plotting import plot_image_grid, plot_latent_traversal  # noqa: E402
from skgen.vae import VAE  # noqa: E402

BODY = 0.7  # grey level of a tin's body in make_biscuit_tins


def measure_tins(images, image_size):
    """Height and width of each tin, read off its pixels (fractions of the side)."""
    cover = np.clip(np.asarray(images).reshape(-1, image_size, image_size) / BODY, 0, 1)
    return np.column_stack([cover.max(axis=2).sum(axis=1), cover[:, -1, :].sum(axis=1)]) \
        / image_size


def height_walk(model, X, factors, n_steps=8):
    """The regression from codes to sizes, and a walk along the height direction.

    Returns
    -------
    reg : LinearRegression
        Fitted from the training codes to (height, width).
    start, direction, steps : ndarrays
        The walk ``start + steps[i] * direction``: from the mean code along the
        gradient of predicted height, over the 5th to 95th percentile of the
        training codes along it.
    """
    Z = model.transform(X)
    reg = LinearRegression().fit(Z, factors)
    direction = reg.coef_[0] / np.linalg.norm(reg.coef_[0])
    start = Z.mean(axis=0)
    steps = np.linspace(*np.percentile((Z - start) @ direction, [5, 95]), n_steps)
    return reg, start, direction, steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="biscuit_tins.png", help="PNG to write")
    parser.add_argument("--n-samples", type=int, default=2000, help="training images")
    parser.add_argument("--image-size", type=int, default=16, help="side of the images")
    parser.add_argument("--max-epochs", type=int, default=200, help="VAE training epochs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    size = args.image_size

    X, factors = make_biscuit_tins(args.n_samples, image_size=size, random_state=0)
    X_test, factors_test = make_biscuit_tins(500, image_size=size, random_state=1)
    models = {
        "ProbabilisticPCA": ProbabilisticPCA(n_components=2),
        "VAE": VAE(n_components=2, distribution="bernoulli", batch_size=64,
                   max_epochs=args.max_epochs, random_state=0),
    }
    fig, axes = plt.subplots(1 + 2 * len(models), 1, figsize=(8, 1.6 * (1 + 2 * len(models))))
    plot_image_grid(X[:8], n_cols=8, ax=axes[0], title="training images", vmin=0, vmax=1)

    print(f"{args.n_samples} training images of {size} x {size} pixels, 500 held out\n")
    print(f"{'model':<18}{'fit (s)':>8}{'R2 height':>11}{'R2 width':>10}"
          f"{'walk: height':>14}{'width':>8}{'width range':>13}")
    for row, (name, model) in enumerate(models.items()):
        t0 = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - t0
        reg, start, direction, steps = height_walk(model, X, factors)
        r2 = r2_score(factors_test, reg.predict(model.transform(X_test)),
                      multioutput="raw_values")
        ax, decoded = plot_latent_traversal(
            model, base=start, direction=direction, values=steps, ax=axes[1 + 2 * row],
            title=f"{name}: walk along the height direction")
        sizes = measure_tins(decoded, size)
        dh, dw = sizes[-1] - sizes[0]
        print(f"{name:<18}{seconds:8.1f}{r2[0]:11.3f}{r2[1]:10.3f}"
              f"{dh:+14.3f}{dw:+8.3f}{np.ptp(sizes[:, 1]):13.3f}")
        print(f"{'':<18}decoded heights {np.round(sizes[:, 0], 2).tolist()}")
        print(f"{'':<18}decoded widths  {np.round(sizes[:, 1], 2).tolist()}")
        # the width direction, for contrast
        width_dir = reg.coef_[1] / np.linalg.norm(reg.coef_[1])
        Z = model.transform(X)
        w_steps = np.linspace(*np.percentile((Z - start) @ width_dir, [5, 95]), 8)
        plot_latent_traversal(model, base=start, direction=width_dir, values=w_steps,
                              ax=axes[2 + 2 * row],
                              title=f"{name}: walk along the width direction")
    print("\nwalk: change of the decoded tin's height and width (fractions of the image "
          "side)\nfrom the 5th to the 95th percentile of the codes along the height "
          "direction.")
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
