"""
Biscuit tins: a VAE's latent space, and a walk that makes tins taller
=====================================================================

The lecture's example of representation learning. Each image of a biscuit
tin has 256 pixels, but two numbers describe it: the tin's height and width.
A model with a two-dimensional latent space has found that description when

1. a *linear* map from its codes (``transform``) predicts the true height and
   width of held-out tins (R² close to 1), and
2. decoding (``inverse_transform``) a walk along the code direction that
   predicts height draws taller and taller tins whose width barely moves.

Both are measured for :class:`~skgen.classical.ProbabilisticPCA` (a linear
encoder and decoder, fitted in closed form) and :class:`~skgen.vae.VAE`
(neural encoder and decoder). The VAE reads pixel values in ``[0, 1]`` as
probabilities of a pixel being "on" (``distribution="bernoulli"``) and gets a
small budget here: 1000 images and 100 epochs, less than a minute of CPU.

Run it with ``python examples/plot_biscuit_tins.py``.
"""

# %%
# The images
# ----------
# :func:`~skgen.datasets.make_biscuit_tins` returns flattened images and the
# true ``(height, width)`` of each tin, as fractions of the image side.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

from skgen.classical import ProbabilisticPCA
from skgen.datasets import make_biscuit_tins
from skgen.plotting import plot_image_grid, plot_latent_traversal
from skgen.vae import VAE

SIZE = 16
X, factors = make_biscuit_tins(1000, image_size=SIZE, random_state=0)
X_test, factors_test = make_biscuit_tins(500, image_size=SIZE, random_state=1)
print(f"training images {X.shape}, held-out images {X_test.shape}")

# %%
# Two latent models
# -----------------
# Each model encodes an image into two numbers. A linear regression from the
# training codes to the true sizes says how much of the height and width the
# codes carry: its R² on held-out tins.

models = {
    "ProbabilisticPCA": ProbabilisticPCA(n_components=2),
    "VAE": VAE(n_components=2, distribution="bernoulli", batch_size=64, max_epochs=100,
               random_state=0),
}
regressions = {}
print(f"{'model':<18} {'R2 height':>9} {'R2 width':>9}")
for name, model in models.items():
    model.fit(X)
    reg = LinearRegression().fit(model.transform(X), factors)
    r2 = r2_score(factors_test, reg.predict(model.transform(X_test)),
                  multioutput="raw_values")
    regressions[name] = reg
    print(f"{name:<18} {r2[0]:9.3f} {r2[1]:9.3f}")

# %%
# Both latent spaces carry height and width; the VAE's a little better,
# because its encoder is not restricted to a projection.
#
# The VAE's latent space
# ----------------------
# Each training image's code, coloured by the tin's true height (left) and
# width (right). The two sizes vary along two different directions: the
# codes are a map of the tins. (The axes themselves need not align with
# height and width: any rotation of the latent space has the same prior.)

Z = models["VAE"].transform(X)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), sharex=True, sharey=True)
for ax, column, label in zip(axes, (0, 1), ("height", "width")):
    points = ax.scatter(Z[:, 0], Z[:, 1], c=factors[:, column], s=6, cmap="viridis")
    fig.colorbar(points, ax=ax, label=f"true {label}")
    ax.set(xlabel="code 1", ylabel="code 2", title=f"VAE codes, coloured by {label}")
fig.tight_layout()

# %%
# Walking along "height"
# ----------------------
# The regression's height row is the direction in latent space along which
# the predicted height grows fastest. Start at the mean code, walk along that
# direction from the 5th to the 95th percentile of the codes, and decode each
# step. To check the result without trusting the model, the tins' sizes are
# read off the decoded pixels: pixel values divided by the body's grey level
# (0.7) and clipped to ``[0, 1]`` give the share of each pixel the tin
# covers; the height sums it down the rows, the width along the bottom row.


def measure_tins(images, size=SIZE):
    """Height and width of each tin, read off its pixels (fractions of the side)."""
    cover = np.clip(np.asarray(images).reshape(-1, size, size) / 0.7, 0, 1)
    return np.column_stack([cover.max(axis=2).sum(axis=1), cover[:, -1, :].sum(axis=1)]) \
        / size


def walk(model, reg, row, n_steps=8):
    """Base code, unit direction and steps of a walk along ``reg``'s row ``row``."""
    codes = model.transform(X)
    direction = reg.coef_[row] / np.linalg.norm(reg.coef_[row])
    start = codes.mean(axis=0)
    steps = np.linspace(*np.percentile((codes - start) @ direction, [5, 95]), n_steps)
    return start, direction, steps


fig, axes = plt.subplots(4, 1, figsize=(9, 7.2))
plot_image_grid(X[:8], n_cols=8, ax=axes[0], title="training images", vmin=0, vmax=1)
panels = [("ProbabilisticPCA", 0), ("VAE", 0), ("VAE", 1)]
for ax, (name, row) in zip(axes[1:], panels):
    start, direction, steps = walk(models[name], regressions[name], row)
    what = ("height", "width")[row]
    ax, decoded = plot_latent_traversal(models[name], base=start, direction=direction,
                                        values=steps, ax=ax,
                                        title=f"{name}: walk along the {what} direction")
    sizes = measure_tins(decoded)
    print(f"{name}, walk along {what}:")
    print(f"    decoded heights {np.round(sizes[:, 0], 2).tolist()}")
    print(f"    decoded widths  {np.round(sizes[:, 1], 2).tolist()}")
fig.tight_layout()
plt.show()

# %%
# Both height walks make the tins taller while their width stays within a
# few hundredths. The pictures show what the numbers hide: PPCA's decoder is
# linear, so a decoded image is the mean image plus a weighted sum of two
# fixed images. It cannot *move* a tin's lid up; it fades a lid out at one
# height and in at another, and its taller tins are blurred superpositions.
# The VAE's non-linear decoder draws a sharp lid that climbs with the walk,
# and its width walk widens the tin at a fixed height. The factors of
# variation live on a curved surface, and finding it takes a non-linear model.
