"""skgen's main job: the lecture's Hello World on the world map.

Run it with ``make demo`` or ``python -m skgen.demo``. It draws points uniformly
from the Earth's land, fits several generative models, prints their held-out
log-likelihoods and sample-quality figures, and saves a picture that redraws
the lecture's Hello World (data, the fitted box, samples, points A, B and C)
beside each model's density.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from .datasets import WorldMap, make_world_map
from .metrics import impossible_sample_fraction, missed_data_fraction

__all__ = ["demo_models", "run_demo", "main"]


def demo_models(random_state=0, *, quick=False):
    """The models the demo compares, as ``(name, estimator)`` pairs.

    Parameters
    ----------
    random_state : int, default=0
        Seed given to every model.
    quick : bool, default=False
        Smaller training budgets for deep models (used by the tests).

    Returns
    -------
    models : list of (str, estimator)

    Examples
    --------
    >>> from skgen.demo import demo_models
    >>> [name for name, _ in demo_models()][:2]
    ['UniformBox', 'Gaussian']
    """
    from sklearn.model_selection import GridSearchCV

    from .classical import Gaussian, GaussianMixture, Histogram, KernelDensity, UniformBox

    rs = random_state
    models = [
        ("UniformBox", UniformBox(random_state=rs)),
        ("Gaussian", Gaussian(random_state=rs)),
        ("GaussianMixture(20)", GaussianMixture(20, random_state=rs)),
        ("Histogram(alpha=0.1)", Histogram(alpha=0.1, random_state=rs)),
        ("KernelDensity", KernelDensity(random_state=rs)),
        # bandwidth selected by held-out log-likelihood (3-fold CV)
        ("KernelDensity(CV)", GridSearchCV(
            KernelDensity(random_state=rs),
            {"bandwidth": [0.5, 1.0, 1.5, 2.0, 3.0, 4.5, 6.0]}, cv=3)),
    ]
    # Deep models: their defaults (``quick`` caps the epochs for smoke tests).
    deep = dict(max_epochs=15, random_state=rs) if quick else dict(random_state=rs)
    from .adversarial import GAN
    from .autoregressive import MADE
    from .diffusion import DiffusionModel
    from .energy import EnergyModel
    from .flows import MAF, NSF
    from .vae import VAE

    models += [
        ("MADE", MADE(**deep)),
        ("MAF", MAF(**deep)),
        ("NSF", NSF(**deep)),
        ("VAE", VAE(**deep)),
        ("EnergyModel", EnergyModel(**deep)),
        # DDIM sampling and a 100-step stratified estimate of the bound keep
        # the demo fast; the defaults (ancestral, all 1000 steps) are tighter.
        ("DiffusionModel", DiffusionModel(sampler="ddim", n_bound_samples=100, **deep)),
        ("GAN", GAN(**deep)),
    ]
    return models


def _fmt(value, spec):
    if isinstance(value, str):
        return value
    if np.isneginf(value):
        return "-inf"
    if np.isnan(value):
        return "n/a"
    return format(value, spec)


def run_demo(n_train=3000, n_test=3000, n_generated=3000, *, random_state=0,
             output=None, quick=False):
    """Fit the demo's models on world-map data and report how well they do.

    Parameters
    ----------
    n_train, n_test, n_generated : int
        Training rows, held-out rows, and samples drawn from each model.
    random_state : int, default=0
        Seed for data, models and samples.
    output : str or Path or None, default=None
        Where to save the figure; ``None`` skips plotting.
    quick : bool, default=False
        Smaller budgets for deep models.

    Returns
    -------
    results : list of dict
        One row per model: ``model``, ``kind``, ``heldout_loglik``,
        ``A_fraction``, ``B_fraction``, ``fit_s``, ``score_s``.
    """
    truth = WorldMap()
    X_train = make_world_map(n_train, random_state=random_state)
    X_test = make_world_map(n_test, random_state=random_state + 1)
    results, fitted = [], []
    for name, model in demo_models(random_state, quick=quick):
        t0 = time.perf_counter()
        model.fit(X_train)
        model = getattr(model, "best_estimator_", model)  # a GridSearchCV row
        if hasattr(model, "estimate_log_normalizer"):  # energy: from -E(x) to log p(x)
            model.estimate_log_normalizer(random_state=random_state)
        t1 = time.perf_counter()
        kind = getattr(model, "likelihood_kind", "exact")
        ll = b_frac = np.nan
        if kind != "none":
            ll = float(np.mean(model.score_samples(X_test)))
            b_frac = missed_data_fraction(model, X_test)
        t2 = time.perf_counter()
        samples = model.sample(n_generated, random_state=random_state)
        a_frac = impossible_sample_fraction(truth, samples)
        results.append(dict(model=name, kind=kind, heldout_loglik=ll, A_fraction=a_frac,
                            B_fraction=b_frac, fit_s=t1 - t0, score_s=t2 - t1))
        fitted.append((name, model, samples))
    optimum = float(np.mean(truth.score_samples(X_test)))
    results.append(dict(model="truth (p_data)", kind="exact", heldout_loglik=optimum,
                        A_fraction=impossible_sample_fraction(
                            truth, truth.sample(n_generated, random_state=random_state)),
                        B_fraction=0.0, fit_s=0.0, score_s=0.0))
    _print_table(results, n_train, n_test)
    if output is not None:
        from .plotting import plot_hello_world

        fig = plot_hello_world(truth, X_train, fitted, random_state=random_state)
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(output, dpi=110, bbox_inches="tight")
        print(f"\nFigure saved to {output}")
    return results


def _print_table(results, n_train, n_test):
    print(f"World map: {n_train} training points, {n_test} held-out points "
          "(longitude, latitude in degrees; density per square degree).")
    print("A = share of model samples at sea (the model makes it, the data never would);")
    print("B = share of held-out land points with zero model density "
          "(the data make it, the model never can).\n")
    header = (f"{'model':<22}{'likelihood':<13}{'held-out loglik':>16}"
              f"{'A (sea)':>9}{'B (missed)':>11}{'fit s':>8}{'score s':>9}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['model']:<22}{r['kind']:<13}{_fmt(r['heldout_loglik'], '16.3f'):>16}"
              f"{_fmt(r['A_fraction'], '9.3f'):>9}{_fmt(r['B_fraction'], '11.3f'):>11}"
              f"{r['fit_s']:8.2f}{r['score_s']:9.2f}")
    others = [r for r in results if r["kind"] not in ("exact", "none")]
    if others:
        print("\nOnly 'exact' log-likelihoods are comparable with each other. Not exact: "
              + "; ".join(f"{r['model']} ({r['kind']})" for r in others)
              + ". A lower_bound sits below the model's true log-likelihood; an "
              "estimate is noisy.")
    for r in results:
        if r["kind"] == "none":
            print(f"{r['model']} defines no density (kind 'none'): only its samples "
                  "are measured.")


def main(argv=None):
    """Command-line entry point: ``python -m skgen.demo [--output PATH] [--quick]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="demo_output/hello_world.png",
                        help="where to save the figure (default: %(default)s)")
    parser.add_argument("--no-plot", action="store_true", help="skip the figure")
    parser.add_argument("--quick", action="store_true", help="small budgets")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    run_demo(random_state=args.seed, output=None if args.no_plot else args.output,
             quick=args.quick)


if __name__ == "__main__":
    main()
