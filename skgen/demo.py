"""skgen's main job: the lecture's Hello World on the world map.

Run it with ``make demo`` or ``python -m skgen.demo``. It draws points uniformly
from the Earth's land, fits several generative models, prints their held-out
log-likelihoods and sample-quality figures, and saves a picture that redraws
the lecture's Hello World (data, the fitted box, samples, points A, B and C)
beside each model's density.

The deep models train with their defaults, two at a time in worker processes
(``--jobs``); ``--full`` also drops the demo's inference shortcuts (see
:func:`demo_models`), and ``--quick`` is a smoke test with tiny budgets.
"""

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np

from .base import get_likelihood_kind
from .datasets import WorldMap, make_world_map
from .metrics import impossible_sample_fraction

__all__ = ["demo_models", "run_demo", "main"]


def demo_models(random_state=0, *, quick=False, full=False):
    """The models the demo compares, as ``(name, estimator)`` pairs.

    The deep models keep their library defaults, training budgets included
    (their quality on the world map still improves up to those budgets). The
    default run takes two shortcuts in inference only, both in
    ``DiffusionModel``: DDIM sampling with 20 steps instead of ancestral
    sampling through all 1000 timesteps, and a stratified estimate of the
    bound on ``log p(x)`` from 100 of the 1000 timesteps per row and one
    antithetic noise pair instead of all timesteps and four pairs (the same
    bound in expectation, with a per-row noise of tenths of a nat that
    averages out over 3000 held-out rows). ``full=True`` drops them. The
    kernel density with a cross-validated bandwidth searches bandwidths in
    degrees (``metric="euclidean"``).

    Parameters
    ----------
    random_state : int, default=0
        Seed given to every model.
    quick : bool, default=False
        Smaller training budgets for deep models (used by the tests).
    full : bool, default=False
        Every deep model exactly at its defaults (``DiffusionModel``:
        ancestral sampling, the bound over all timesteps): several times
        slower to score and sample the diffusion model.

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
            KernelDensity(metric="euclidean", random_state=rs),
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
        # the demo fast; ``full`` uses the defaults (ancestral, all 1000 steps).
        ("DiffusionModel", DiffusionModel(**deep) if full else
         DiffusionModel(sampler="ddim", n_bound_samples=100, n_noise_pairs=1, **deep)),
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


def _fit_one(name, model, X_train, X_test, n_generated, random_state, plot):
    """Fit one demo model and measure it: ``(row, fitted model, samples, image)``.

    ``image`` is the model's log-density panel of the figure when ``plot``
    (``None`` otherwise, or without a density).

    Runs with one torch thread (restored afterwards): the demo's networks are
    tiny, so a second thread mostly adds synchronization, and one thread makes
    the figures the same whether the models are fitted one after another or
    in parallel worker processes.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t0 = time.perf_counter()
        model.fit(X_train)
        model = getattr(model, "best_estimator_", model)  # a GridSearchCV row
        if hasattr(model, "estimate_log_normalizer"):  # energy: from -E(x) to log p(x)
            model.estimate_log_normalizer(random_state=random_state)
        t1 = time.perf_counter()
        kind = get_likelihood_kind(model)
        ll = b_frac = np.nan
        if kind != "none":
            log_density = model.score_samples(X_test)
            ll = float(np.mean(log_density))
            # missed_data_fraction(model, X_test), without scoring the rows twice
            b_frac = float(np.mean(np.isneginf(log_density)))
        t2 = time.perf_counter()
        samples = model.sample(n_generated, random_state=random_state)
        image = None
        if plot and kind != "none":
            from .plotting import hello_world_log_density

            # a shallow copy scores the panel: the fitted model keeps its parameters
            panel_model = copy.copy(model).set_params(**_PANEL_PARAMS.get(name, {}))
            image = hello_world_log_density(panel_model, _PANEL_RESOLUTION.get(name, 181))
    finally:
        torch.set_num_threads(threads)
    a_frac = impossible_sample_fraction(WorldMap(), samples)
    row = dict(model=name, kind=kind, heldout_loglik=ll, A_fraction=a_frac,
               B_fraction=b_frac, fit_s=t1 - t0, score_s=t2 - t1)
    return row, model, samples, image


#: Pixels per side of a model's density panel when not 181: the diffusion
#: bound costs two network passes per pixel for each timestep it draws, so its
#: panel is drawn on a 91 x 91 grid (a quarter of the pixels; the picture is
#: coarser, not noisier).
_PANEL_RESOLUTION = {"DiffusionModel": 91}
#: Inference settings of a model's density panel only (the table keeps the
#: model's own): the diffusion bound of a pixel from 25 timesteps with one
#: noise pair, an unbiased estimate at a quarter of the cost of the table's
#: 100 with a speckle of about 0.2 nat per pixel on land, against colour steps
#: of 12 nats. The panel was the demo's longest single step (10 s of one core
#: at 50 timesteps).
_PANEL_PARAMS = {"DiffusionModel": dict(n_bound_samples=25, n_noise_pairs=1)}

#: Rough share of the demo's training time per model, to start the longest
#: fits first when they run in parallel (any other order gives the same table).
_EXPECTED_COST = {"GAN": 20, "DiffusionModel": 25, "EnergyModel": 15, "NSF": 12,
                  "VAE": 10, "MAF": 7, "MADE": 5, "KernelDensity(CV)": 2}


def run_demo(n_train=3000, n_test=3000, n_generated=3000, *, random_state=0,
             output=None, quick=False, full=False, n_jobs=2):
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
    full : bool, default=False
        The long version: see :func:`demo_models`.
    n_jobs : int, default=2
        Models fitted at once, in worker processes (joblib's ``loky``
        backend), each with one torch thread. The table is the same for any
        ``n_jobs``; ``1`` fits them one after another in this process.

    Returns
    -------
    results : list of dict
        One row per model: ``model``, ``kind``, ``heldout_loglik``,
        ``A_fraction``, ``B_fraction``, ``fit_s``, ``score_s``.
    """
    truth = WorldMap()
    X_train = make_world_map(n_train, random_state=random_state)
    X_test = make_world_map(n_test, random_state=random_state + 1)
    models = demo_models(random_state, quick=quick, full=full)
    # longest fits first, so that the workers finish together
    order = sorted(range(len(models)), key=lambda i: -_EXPECTED_COST.get(models[i][0], 0))
    plot = output is not None
    jobs = [(*models[i], X_train, X_test, n_generated, random_state, plot) for i in order]
    done = _run_jobs(jobs, n_jobs)
    by_model = dict(zip(order, done))
    done = [by_model[i] for i in range(len(models))]
    results = [row for row, _, _, _ in done]
    fitted = [(row["model"], model, samples) for row, model, samples, _ in done]
    optimum = float(np.mean(truth.score_samples(X_test)))
    results.append(dict(model="truth (p_data)", kind="exact", heldout_loglik=optimum,
                        A_fraction=impossible_sample_fraction(
                            truth, truth.sample(n_generated, random_state=random_state)),
                        B_fraction=0.0, fit_s=0.0, score_s=0.0))
    _print_table(results, n_train, n_test)
    if not full and any(name == "DiffusionModel" for name, _ in models):
        print("DiffusionModel samples with DDIM (20 steps) and estimates its bound from "
              "100 of its 1000 timesteps per row with one noise pair; --full uses its defaults.")
    if output is not None:
        from .plotting import plot_hello_world

        fig = plot_hello_world(truth, X_train, fitted, random_state=random_state,
                               log_densities=[image for _, _, _, image in done])
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(output, dpi=110, bbox_inches="tight")
        print(f"\nFigure saved to {output}")
    return results


def _run_jobs(jobs, n_jobs):
    """``[_fit_one(*job) for job in jobs]``, ``n_jobs`` at a time, in order.

    Where the operating system forks (Linux), the workers are forked from this
    process after it has imported torch and its optimizers, so they start at
    once instead of each importing them again (about 5 s of a 2-core
    machine's minute). Elsewhere joblib's ``loky`` workers are used.
    """
    import multiprocessing

    if n_jobs == 1:
        return [_fit_one(*job) for job in jobs]
    if "fork" not in multiprocessing.get_all_start_methods() or sys.platform == "darwin":
        from joblib import Parallel, delayed

        return Parallel(n_jobs=n_jobs, backend="loky", batch_size=1)(
            delayed(_fit_one)(*job) for job in jobs)
    from concurrent.futures import ProcessPoolExecutor

    import torch

    # The first optimizer imports torch's compiler stack (about 2 s): do it
    # here once, and the forked workers inherit it.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    with ProcessPoolExecutor(n_jobs, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_fit_one, *job) for job in jobs]
        return [future.result() for future in futures]


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
    """Command-line entry point: ``python -m skgen.demo [--output PATH] [--quick | --full]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="demo_output/hello_world.png",
                        help="where to save the figure (default: %(default)s)")
    parser.add_argument("--no-plot", action="store_true", help="skip the figure")
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--quick", action="store_true", help="small budgets (smoke test)")
    budget.add_argument("--full", action="store_true",
                        help="the long version: every deep model with its library "
                             "defaults (several minutes)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2,
                        help="models fitted at once, in worker processes "
                             "(default: %(default)s; the table does not depend on it)")
    args = parser.parse_args(argv)
    run_demo(random_state=args.seed, output=None if args.no_plot else args.output,
             quick=args.quick, full=args.full, n_jobs=args.jobs)


if __name__ == "__main__":
    main()
