"""Pictures of densities, samples, latent spaces and learning curves (needs matplotlib).

matplotlib is an optional dependency (``pip install skgen[plots]``); it is
imported only when a function here is called.
"""

import numpy as np

from .base import get_likelihood_kind

__all__ = [
    "plot_density_2d",
    "plot_hello_world",
    "plot_history",
    "plot_image_grid",
    "plot_latent_traversal",
    "plot_synthetic_report",
]


def _pyplot():
    try:
        import matplotlib.pyplot as plt  # falls back to Agg without a display
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "skgen.plotting needs matplotlib: pip install 'skgen[plots]'"
        ) from exc
    return plt


def _grid_log_density(estimator, xlim, ylim, resolution):
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    xx, yy = np.meshgrid(xs, ys)
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    return xx, yy, estimator.score_samples(grid).reshape(xx.shape)


def plot_density_2d(estimator, *, X=None, samples=None, xlim=None, ylim=None,
                    resolution=200, ax=None, title=None, cmap="viridis"):
    """Draw a fitted 2-D density as an image, with optional data and samples.

    Parameters
    ----------
    estimator : fitted estimator with ``score_samples`` on 2 features
    X : array-like of shape (n, 2), default=None
        Data to overlay (black dots).
    samples : array-like of shape (m, 2), default=None
        Model samples to overlay (red dots).
    xlim, ylim : (float, float), default=None
        Plot range; defaults to the range of ``X`` or ``samples`` padded by 10%.
    resolution : int, default=200
        Grid points per axis.
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure when ``None``.
    title : str, default=None
    cmap : str, default="viridis"

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import Gaussian
    >>> from skgen.plotting import plot_density_2d
    >>> X = np.random.RandomState(0).normal(size=(200, 2))
    >>> ax = plot_density_2d(Gaussian().fit(X), X=X, resolution=50)
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    ref = np.asarray(X if X is not None else samples, dtype=float) \
        if (X is not None or samples is not None) else None
    if xlim is None or ylim is None:
        if ref is None:
            raise ValueError("Give xlim and ylim, or data X / samples to take them from.")
        lo, hi = ref.min(axis=0), ref.max(axis=0)
        pad = 0.1 * (hi - lo)
        xlim = xlim or (lo[0] - pad[0], hi[0] + pad[0])
        ylim = ylim or (lo[1] - pad[1], hi[1] + pad[1])
    xx, yy, logp = _grid_log_density(estimator, xlim, ylim, resolution)
    dens = np.exp(logp)
    ax.pcolormesh(xx, yy, dens, cmap=cmap, shading="auto")
    if X is not None:
        X = np.asarray(X)
        ax.scatter(X[:, 0], X[:, 1], s=2, c="k", alpha=0.4, label="data")
    if samples is not None:
        samples = np.asarray(samples)
        ax.scatter(samples[:, 0], samples[:, 1], s=2, c="tab:red", alpha=0.4,
                   label="samples")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    if title:
        ax.set_title(title)
    return ax


#: Pixels per side of the density panels of :func:`plot_hello_world`.
_HELLO_RESOLUTION = 181
_HELLO_LIMITS = (-180, 180), (-90, 90)


def hello_world_log_density(estimator, resolution=_HELLO_RESOLUTION):
    """The log-density image of one :func:`plot_hello_world` panel: ``(xx, yy, logp)``.

    Computing it is most of the figure's cost (a diffusion model's bound on
    32,761 pixels); a caller that fits models in parallel can compute it next
    to each fit and pass it to :func:`plot_hello_world`.

    Parameters
    ----------
    estimator : fitted density estimator
    resolution : int, default=181
        Pixels per side (one per 2 degrees of longitude by default).

    Returns
    -------
    xx, yy, logp : ndarray of shape (resolution, resolution)
    """
    return _grid_log_density(estimator, *_HELLO_LIMITS, resolution)


def plot_hello_world(truth, X_train, fitted, *, random_state=0, n_show=1500,
                     log_densities=None):
    """Redraw the lecture's Hello World and each model's density.

    The first panel shows the training data, the fitted
    :class:`~skgen.classical.UniformBox` (the first model in ``fitted`` that has
    ``low_``/``high_``), samples from it, and the lecture's three points:
    **A** the model generates it but the data never would (at sea inside the
    box), **B** the data could contain it but the model never can (land
    outside the box), **C** both agree (land inside the box). The other panels
    show each model's density with its samples.

    Parameters
    ----------
    truth : skgen.datasets.WorldMap
        The true distribution.
    X_train : ndarray of shape (n, 2)
        Training data.
    fitted : list of (str, estimator, samples)
        Fitted models with samples drawn from them.
    random_state : int, default=0
    n_show : int, default=1500
        Points drawn per scatter.
    log_densities : list or None, default=None
        Per model in ``fitted``, its panel's image from
        :func:`hello_world_log_density` (or ``None`` to compute it here).

    Returns
    -------
    fig : matplotlib Figure
    """
    plt = _pyplot()
    from matplotlib import patheffects
    from matplotlib.patches import Rectangle

    n_panels = 1 + len(fitted)
    n_cols = min(3, n_panels)
    n_rows = int(np.ceil(n_panels / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(5.2 * n_cols, 3.0 * n_rows),
                             squeeze=False)
    axes = axes.ravel()
    xlim, ylim = _HELLO_LIMITS
    lon, lat = np.meshgrid(np.linspace(-180, 180, 721), np.linspace(-90, 90, 361))
    land = truth.is_land(np.column_stack([lon.ravel(), lat.ravel()])).reshape(lon.shape)

    ax = axes[0]
    ax.contourf(lon, lat, land, levels=[0.5, 1.5], colors=["#d9d2b6"])
    ax.scatter(X_train[:n_show, 0], X_train[:n_show, 1], s=1.5, c="k", label="data")
    box = next((m for _, m, _ in fitted if hasattr(m, "low_") and hasattr(m, "high_")), None)
    if box is not None:
        lo, hi = box.low_, box.high_
        ax.add_patch(Rectangle(lo, *(hi - lo), fill=False, ec="tab:blue", lw=1.5,
                               label="fitted box"))
        pts = _points_abc(truth, box, random_state)
        for label, p in pts.items():
            if p is not None:
                ax.plot(*p, marker="o", ms=8, mec="k",
                        mfc={"A": "tab:red", "B": "tab:orange", "C": "tab:green"}[label])
                # labels below points near the top edge, clear of the title;
                # a white outline keeps them legible on land, sea and data
                below = p[1] > 0.6 * ylim[1]
                ax.annotate(label, p, xytext=(7, -7 if below else 6),
                            textcoords="offset points", va="top" if below else "bottom",
                            fontsize=12, weight="bold",
                            path_effects=[patheffects.withStroke(linewidth=3,
                                                                 foreground="w")])
    ax.set_title("Hello World: data, the MLE box, points A/B/C")
    ax.legend(loc="lower left", fontsize=7)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)

    if log_densities is None:
        log_densities = [None] * len(fitted)
    for ax, (name, model, samples), image in zip(axes[1:], fitted, log_densities):
        samples = np.asarray(samples)
        if get_likelihood_kind(model) != "none":
            xx, yy, logp = image if image is not None else hello_world_log_density(model)
            finite = np.isfinite(logp)
            img = np.where(finite, logp, np.nan)
            vmax = np.nanmax(img) if finite.any() else 0.0
            ax.pcolormesh(xx, yy, img, shading="auto", cmap="magma",
                          vmin=vmax - 12, vmax=vmax)
        ax.contour(lon, lat, land, levels=[0.5], colors="w", linewidths=0.4)
        ax.scatter(samples[:n_show, 0], samples[:n_show, 1], s=1, c="tab:cyan", alpha=0.6)
        kind = get_likelihood_kind(model)
        ax.set_title(f"{name} [{kind}]: log density, samples", fontsize=9)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
    for ax in axes[n_panels:]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def _points_abc(truth, box, random_state):
    """Pick the lecture's points A (sea in box), B (land outside box), C (land in box).

    A and C are taken far from the coast and from the box's edge, so that they
    read clearly on the map.
    """
    from scipy.spatial import cKDTree

    rng = np.random.RandomState(random_state)
    inside = box.sample(4000, random_state=rng)
    on_land = truth.is_land(inside)
    sea, land = inside[~on_land], inside[on_land]
    a = c = None
    if len(sea) and len(land):
        def margin(P):  # distance to the box's edge
            return np.minimum(P - box.low_, box.high_ - P).min(axis=1)

        a = sea[np.argmax(np.minimum(cKDTree(land).query(sea)[0], margin(sea)))]
        c = land[np.argmax(np.minimum(cKDTree(sea).query(land)[0], margin(land)))]
    world = truth.sample(20000, random_state=rng)
    outside = ~np.all((world >= box.low_) & (world <= box.high_), axis=1)
    b = world[outside][0] if outside.any() else None
    return {"A": a, "B": b, "C": c}


def plot_image_grid(images, *, image_shape=None, n_cols=8, ax=None, cmap="gray",
                    title=None, vmin=None, vmax=None):
    """Show flattened images as a grid.

    Parameters
    ----------
    images : array-like of shape (n_images, n_pixels) or (n_images, h, w)
    image_shape : (int, int), default=None
        Shape of one image; a square is assumed when ``None``.
    n_cols : int, default=8
    ax : matplotlib Axes, default=None
    cmap : str, default="gray"
    title : str, default=None
    vmin, vmax : float, default=None
        Colour limits shared by all images.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.plotting import plot_image_grid
    >>> ax = plot_image_grid(np.random.RandomState(0).uniform(size=(6, 16)), n_cols=3)
    """
    plt = _pyplot()
    images = np.asarray(images, dtype=float)
    if images.ndim == 2:
        if image_shape is None:
            side = int(round(np.sqrt(images.shape[1])))
            if side * side != images.shape[1]:
                raise ValueError("Give image_shape: the images are not square.")
            image_shape = (side, side)
        images = images.reshape(-1, *image_shape)
    n, h, w = images.shape
    n_cols = min(n_cols, n)
    n_rows = int(np.ceil(n / n_cols))
    canvas = np.full((n_rows * (h + 1) - 1, n_cols * (w + 1) - 1), np.nan)
    for i, img in enumerate(images):
        r, c = divmod(i, n_cols)
        canvas[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = img
    if ax is None:
        _, ax = plt.subplots(figsize=(n_cols * 0.8, n_rows * 0.8))
    ax.imshow(canvas, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def plot_latent_traversal(estimator, *, axis=0, values=None, base=None, direction=None,
                          image_shape=None, ax=None, title=None):
    """Decode a line along one latent axis and show the decoded images in a row.

    Parameters
    ----------
    estimator : fitted latent model with ``inverse_transform``
    axis : int, default=0
        Latent coordinate to move along (ignored when ``direction`` is given).
    values : array-like of float, default=None
        Positions along the line; ``np.linspace(-2, 2, 8)`` when ``None``.
    base : array-like of shape (n_components,), default=None
        Starting latent point; the origin when ``None``.
    direction : array-like of shape (n_components,), default=None
        Direction of the walk; the unit vector of ``axis`` when ``None``.
    image_shape : (int, int), default=None
    ax : matplotlib Axes, default=None
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes
    decoded : ndarray of shape (len(values), n_features)
        The decoded rows.
    """
    n_latent = getattr(estimator, "n_components_", None) or estimator.n_components
    values = np.linspace(-2, 2, 8) if values is None else np.asarray(values, dtype=float)
    base = np.zeros(n_latent) if base is None else np.asarray(base, dtype=float)
    if direction is None:
        direction = np.eye(n_latent)[axis]
    Z = base + values[:, None] * np.asarray(direction, dtype=float)
    decoded = np.asarray(estimator.inverse_transform(Z))
    ax = plot_image_grid(decoded, image_shape=image_shape, n_cols=len(values), ax=ax,
                         title=title)
    return ax, decoded


#: History keys that are bookkeeping, not learning curves.
_HISTORY_SKIP = ("epoch", "time", "learning_rate")


def _history_column(history, key):
    """The values of ``key`` over the epochs, NaN where an epoch lacks it."""
    return np.array([float(record.get(key, np.nan)) for record in history])


def plot_history(estimator, ax=None):
    """Draw the learning curves of a fitted deep estimator from its ``history_``.

    When the estimator's training loss is a per-row negative log-likelihood
    in the units of the data (``history_`` has ``train_loss`` and
    ``valid_log_likelihood``: MADE, the flows, the VAE), both are drawn on one
    axis as log-likelihood per row, training as ``-train_loss`` and
    validation as ``valid_log_likelihood``, so the gap between them shows
    overfitting. Otherwise (a GAN's ``discriminator_loss``,
    ``generator_loss`` and ``valid_energy_distance``; a training loss that is
    not a likelihood, as in diffusion and energy models) every numeric key
    but ``epoch``, ``time`` and ``learning_rate`` is drawn against the epoch.
    A vertical line marks ``best_epoch_``, the epoch whose weights were kept.

    Parameters
    ----------
    estimator : fitted estimator with ``history_``
        ``history_`` is a list with one dict per epoch (``epoch`` and the
        figures of that epoch), as skgen's deep estimators record it;
        ``best_epoch_`` is used when present.
    ax : matplotlib Axes, default=None
        Axes to draw in; a new figure when ``None``.

    Returns
    -------
    ax : matplotlib Axes

    Raises
    ------
    ValueError
        If the estimator has no (or an empty) ``history_``: it is not fitted,
        or it is not trained epoch by epoch (the classical models).

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.flows import MAF
    >>> from skgen.plotting import plot_history
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> maf = MAF(hidden_sizes=(8,), max_epochs=3, random_state=0).fit(X)
    >>> ax = plot_history(maf)
    >>> ax.get_ylabel()
    'log-likelihood per row (nats)'
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['training', 'validation']
    """
    history = getattr(estimator, "history_", None)
    if not history:
        raise ValueError(
            f"{type(estimator).__name__} has no learning curves: plot_history needs a "
            "fitted deep estimator (one with max_epochs) whose history_ holds a record "
            "per epoch."
        )
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    epochs = np.array([record.get("epoch", i + 1) for i, record in enumerate(history)])
    keys = list(dict.fromkeys(key for record in history for key in record))
    nll = (
        "train_loss" in keys
        and "valid_log_likelihood" in keys
        and getattr(estimator, "_loss_is_nll", True)
    )
    if nll:
        ax.plot(epochs, -_history_column(history, "train_loss"), label="training")
        ax.plot(epochs, _history_column(history, "valid_log_likelihood"),
                label="validation")
        ax.set_ylabel("log-likelihood per row (nats)")
    else:
        for key in keys:
            if key in _HISTORY_SKIP:
                continue
            values = [record.get(key, np.nan) for record in history]
            if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                   for v in values):
                ax.plot(epochs, np.asarray(values, dtype=float), label=key)
    best = getattr(estimator, "best_epoch_", None)
    if best is not None:
        ax.axvline(best, color="0.5", linestyle="--", linewidth=1,
                   label=f"best epoch ({best})")
    ax.set_xlabel("epoch")
    ax.legend(fontsize=8)
    return ax


def _plot_marginal(ax, real, synthetic, kind, categories, n_bins, max_categories):
    """Real vs synthetic marginal of one encoded column in ``ax``."""
    if kind == "numeric":
        real, synthetic = real[~np.isnan(real)], synthetic[~np.isnan(synthetic)]
        pooled = np.concatenate([real, synthetic])
        if len(pooled) == 0:
            ax.text(0.5, 0.5, "no observed values", ha="center", transform=ax.transAxes)
            return
        edges = np.histogram_bin_edges(pooled, bins=n_bins)
        for values, label, color in ((real, "real", "C0"), (synthetic, "synthetic", "C1")):
            if len(values):
                ax.hist(values, bins=edges, density=True, alpha=0.5, color=color,
                        label=label)
        return
    real, synthetic = real[real >= 0], synthetic[synthetic >= 0]
    shares = [np.bincount(v, minlength=len(categories)) / max(len(v), 1)
              for v in (real, synthetic)]
    order = np.argsort(-(shares[0] + 1e-9 * shares[1]), kind="stable")
    labels = [str(categories[i]) for i in order[:max_categories]]
    heights = [share[order[:max_categories]] for share in shares]
    if len(order) > max_categories:
        labels.append("other")
        heights = [np.append(h, share[order[max_categories:]].sum())
                   for h, share in zip(heights, shares)]
    x = np.arange(len(labels))
    ax.bar(x - 0.2, heights[0], width=0.4, color="C0", alpha=0.7, label="real")
    ax.bar(x + 0.2, heights[1], width=0.4, color="C1", alpha=0.7, label="synthetic")
    ax.set_xticks(x, labels, rotation=45 if len(labels) > 4 else 0, fontsize=7)


def _heat_map(fig, ax, matrix, labels, title, vmin, vmax, cmap):
    image = ax.imshow(matrix, vmin=vmin, vmax=vmax, cmap=cmap)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    if len(labels) <= 10:
        for (i, j), value in np.ndenumerate(matrix):
            if np.isfinite(value):
                dark = abs(value) > 0.6 if vmin < 0 else value < 0.5
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if dark else "black")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.8)


def plot_synthetic_report(real, synthetic, *, n_bins=20, max_categories=20, n_cols=4):
    """Compare a synthetic table with the real one in pictures.

    The top panels show each column's marginal distribution, real against
    synthetic: overlaid density histograms on shared bins for numeric
    columns, side-by-side bars of category frequencies for categorical ones
    (missing cells left out), each titled with its column-shape score. The
    bottom row shows pair trends as heat maps: every pair's score from
    :func:`skgen.metrics.pair_trends` (column-shape scores on the diagonal),
    and with two numeric columns or more the Pearson correlation matrices of
    the numeric columns in the real and in the synthetic table.

    Parameters
    ----------
    real : DataFrame or array-like of shape (n_real, n_columns)
    synthetic : DataFrame or array-like of shape (n_synthetic, n_columns)
        Same columns, of the same kinds (see :func:`skgen.metrics.column_shapes`).
    n_bins : int, default=20
        Histogram bins per numeric column.
    max_categories : int, default=20
        Bars per categorical column: the most frequent categories in the real
        table, the others summed into one "other" bar.
    n_cols : int, default=4
        Marginal panels per row.

    Returns
    -------
    fig : matplotlib Figure

    See Also
    --------
    skgen.metrics.synthetic_data_report : the same comparison in numbers.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skgen.plotting import plot_synthetic_report
    >>> rng = np.random.RandomState(0)
    >>> def table(n):
    ...     x = rng.normal(size=n)
    ...     return pd.DataFrame({"x": x, "y": x + rng.normal(size=n),
    ...                          "c": rng.choice(["a", "b"], n)})
    >>> fig = plot_synthetic_report(table(200), table(200))
    >>> [ax.get_title() for ax in fig.axes if "pair" in ax.get_title()]
    ['pair trends (diagonal: column shapes)']
    """
    from . import _table_metrics as _tm
    from .metrics import column_shapes, pair_trends

    plt = _pyplot()
    names = ["real", "synthetic"]
    frames, kinds = _tm.check_tables([real, synthetic], names)
    (r, s), categories = _tm.encode(frames, kinds, names)
    shapes = column_shapes(frames[0], frames[1])
    trends = pair_trends(frames[0], frames[1])
    columns = [str(c) for c in frames[0].columns]
    d = len(columns)
    n_cols = max(1, min(n_cols, d))
    n_rows = -(-d // n_cols)
    numeric = [j for j in range(d) if kinds[j] == _tm.NUMERIC]
    n_heat = 0 if d < 2 else (3 if len(numeric) >= 2 else 1)
    fig = plt.figure(figsize=(3.2 * max(n_cols, n_heat), 2.6 * n_rows + 3.6 * (n_heat > 0)),
                     layout="constrained")
    if n_heat:
        top, bottom = fig.subfigures(2, 1, height_ratios=[2.6 * n_rows, 3.6])
    else:
        top, bottom = fig, None
    axes = np.atleast_1d(top.subplots(n_rows, n_cols, squeeze=False)).ravel()
    for j, ax in enumerate(axes):
        if j >= d:
            ax.set_axis_off()
            continue
        _plot_marginal(ax, r[j], s[j], kinds[j], categories[j], n_bins, max_categories)
        metric, score = shapes.loc[j, "metric"], shapes.loc[j, "score"]
        ax.set_title(f"{columns[j]}  ({metric[:2]} {score:.2f})", fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0].legend(fontsize=7)
    if not n_heat:
        return fig
    heat_axes = np.atleast_1d(bottom.subplots(1, n_heat))
    index = {c: j for j, c in enumerate(frames[0].columns)}
    scores = np.diag(shapes["score"].to_numpy(float))
    corr = {"real": np.eye(d), "synthetic": np.eye(d)}
    for row in trends.itertuples(index=False):
        i, j = index[row.column_1], index[row.column_2]
        scores[i, j] = scores[j, i] = row.score
        for which, value in (("real", row.real_correlation),
                             ("synthetic", row.synthetic_correlation)):
            corr[which][i, j] = corr[which][j, i] = value
    _heat_map(fig, heat_axes[0], scores, columns, "pair trends (diagonal: column shapes)",
              0.0, 1.0, "viridis")
    if n_heat == 3:
        sub = np.ix_(numeric, numeric)
        labels = [columns[j] for j in numeric]
        for ax, which in zip(heat_axes[1:], ("real", "synthetic")):
            _heat_map(fig, ax, corr[which][sub], labels, f"{which} correlation",
                      -1.0, 1.0, "RdBu_r")
    return fig
