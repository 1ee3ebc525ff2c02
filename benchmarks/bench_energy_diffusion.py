"""Energy-based and diffusion models: held-out likelihoods and sampling speed.

Data:

- two 2-D toys, eight Gaussians and the checkerboard: 2000 training and 2000
  held-out rows drawn from the true distribution, whose own mean
  log-likelihood on the held-out rows (the optimum) is printed beside the
  models';
- dequantized digits: scikit-learn's ``load_digits`` (8x8 images, 17 grey
  levels), dequantized as ``(x + u) / 17`` with ``skgen.preprocessing.
  Dequantizer``, a 75/25 split; results in bits per dimension of the
  17-level pixels (``skgen.metrics.bits_per_dimension(..., n_levels=17)``),
  with a full-covariance Gaussian (exact) as a reference.

Models and what is measured:

- ``DiffusionModel`` (defaults, except the training budget): the variational
  bound with ``T = 1000`` steps (``"lower_bound"``; 100 stratified timesteps
  per row) and with ``T = 100``, and the probability-flow ODE estimate
  (``"estimate"``; 50 RK4 steps, one Hutchinson probe, on 500 held-out rows);
  seconds per 1000 samples for ancestral sampling (``T = 1000`` and
  ``T = 100``) and DDIM (50 and 20 steps), and the classifier two-sample AUC
  of 2000 samples against held-out rows (k-NN, 0.5 is perfect; toys only);
- ``EnergyModel`` (defaults; 2-D toys only): held-out log-likelihood after
  ``estimate_log_normalizer`` (importance sampling, 20000 draws), with its
  standard error, and Langevin sampling time and AUC.

Run: ``python benchmarks/bench_energy_diffusion.py`` (about 5 minutes on one
core); ``--full`` trains longer (about 4 times).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skgen.classical import Gaussian  # noqa: E402
from skgen.datasets import make_toy  # noqa: E402
from skgen.diffusion import DiffusionModel  # noqa: E402
from skgen.energy import EnergyModel  # noqa: E402
from skgen.metrics import bits_per_dimension, classifier_two_sample_auc  # noqa: E402
from skgen.preprocessing import Dequantizer  # noqa: E402

N_LEVELS = 17
TOYS = ("eight_gaussians", "checkerboard")


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _sample_time(model, n=1000, **params):
    model.set_params(**params)
    model.sample(10, random_state=0)  # warm up
    samples, seconds = _timed(lambda: model.sample(n, random_state=1))
    return samples, seconds * 1000 / n


def _diffusion_rows(model, X_test, X_auc, *, n_ode_rows=500):
    """Bounds, ODE estimate, sampling times and AUCs of a fitted diffusion model."""
    rows = []
    for T in (1000, 100):
        model.set_params(score_method="bound", n_timesteps=T, n_bound_samples=min(100, T - 1))
        ll, seconds = _timed(lambda: model.score_samples(X_test))
        rows.append(dict(model=f"diffusion bound, T={T}", kind=model.likelihood_kind,
                         ll=ll.mean(), se=ll.std() / np.sqrt(len(ll)), score_s=seconds))
    model.set_params(score_method="ode", n_ode_steps=50, n_timesteps=1000)
    ll, seconds = _timed(lambda: model.score_samples(X_test[:n_ode_rows]))
    rows.append(dict(model="diffusion ODE (500 rows)", kind=model.likelihood_kind,
                     ll=ll.mean(), se=ll.std() / np.sqrt(len(ll)), score_s=seconds))
    model.set_params(score_method="bound")
    for label, params in [("ancestral, T=1000", dict(sampler="ancestral", n_timesteps=1000)),
                          ("ancestral, T=100", dict(sampler="ancestral", n_timesteps=100)),
                          ("DDIM, 50 steps", dict(sampler="ddim", n_sampling_steps=50,
                                                  n_timesteps=1000)),
                          ("DDIM, 20 steps", dict(sampler="ddim", n_sampling_steps=20,
                                                  n_timesteps=1000))]:
        _, per_1000 = _sample_time(model, **params)
        auc = np.nan
        if X_auc is not None:
            samples = model.sample(len(X_auc), random_state=2)
            auc = classifier_two_sample_auc(X_auc, samples, random_state=0)
        rows.append(dict(model=f"  sampling: {label}", sample_s=per_1000, auc=auc))
    return rows


def run_toy(name, budget, seed):
    X, truth = make_toy(name, 2000, random_state=seed, return_distribution=True)
    X_test = truth.sample(2000, random_state=seed + 1)
    rows = [dict(model="true density (optimum)", kind="exact", ll=truth.score(X_test))]

    diffusion, fit_s = _timed(lambda: DiffusionModel(
        max_epochs=budget["diffusion_epochs"], random_state=seed).fit(X))
    rows.append(dict(model=f"DiffusionModel fit ({diffusion.n_epochs_} epochs)", fit_s=fit_s))
    rows += _diffusion_rows(diffusion, X_test, X_test)

    energy, fit_s = _timed(lambda: EnergyModel(
        max_epochs=budget["energy_epochs"], random_state=seed).fit(X))
    _, norm_s = _timed(lambda: energy.estimate_log_normalizer(20000, random_state=seed))
    ll = energy.score_samples(X_test)
    rows.append(dict(model=f"EnergyModel ({energy.n_epochs_} epochs), normalized",
                     kind=energy.likelihood_kind, ll=ll.mean(),
                     se=np.hypot(ll.std() / np.sqrt(len(ll)), energy.log_normalizer_stderr_),
                     fit_s=fit_s, score_s=norm_s))
    samples, per_1000 = _sample_time(energy)
    samples = energy.sample(len(X_test), random_state=2)
    rows.append(dict(model=f"  sampling: Langevin, {energy.n_mcmc_steps} MALA steps",
                     sample_s=per_1000, auc=classifier_two_sample_auc(X_test, samples,
                                                                      random_state=0)))
    for row in rows:
        if "ll" in row:
            row["gap"] = rows[0]["ll"] - row["ll"]
    return name, rows


def run_digits(budget, seed):
    X_int = load_digits().data
    X_train_int, X_test_int = train_test_split(X_int, test_size=0.25, random_state=seed)
    dq = Dequantizer(n_levels=N_LEVELS, random_state=seed).fit(X_train_int)
    X, X_test = dq.transform(X_train_int), dq.transform(X_test_int)
    rows = [dict(model="Gaussian, full covariance", kind="exact",
                 ll=Gaussian().fit(X).score(X_test))]
    diffusion, fit_s = _timed(lambda: DiffusionModel(
        hidden_sizes=(256, 256, 256), max_epochs=budget["digits_epochs"],
        random_state=seed).fit(X))
    rows.append(dict(model=f"DiffusionModel fit ({diffusion.n_epochs_} epochs)", fit_s=fit_s))
    rows += _diffusion_rows(diffusion, X_test, None)
    for row in rows:
        if "ll" in row:
            row["bpd"] = bits_per_dimension(row["ll"], X.shape[1], n_levels=N_LEVELS)
    return "digits (dequantized, bits/dim)", rows


def _fmt(value, spec):
    return format(value, spec) if value is not None and np.isfinite(value) else ""


def print_table(name, rows):
    print(f"\n== {name}")
    print(f"{'':42} {'kind':>12} {'held-out':>9} {'+-':>6} {'gap':>6} {'bits/dim':>8} "
          f"{'fit s':>6} {'score s':>7} {'s/1000':>7} {'AUC':>6}")
    for r in rows:
        print(f"{r['model']:42} {r.get('kind', ''):>12} {_fmt(r.get('ll'), '.3f'):>9} "
              f"{_fmt(r.get('se'), '.3f'):>6} {_fmt(r.get('gap'), '.3f'):>6} "
              f"{_fmt(r.get('bpd'), '.3f'):>8} {_fmt(r.get('fit_s'), '.1f'):>6} "
              f"{_fmt(r.get('score_s'), '.1f'):>7} {_fmt(r.get('sample_s'), '.2f'):>7} "
              f"{_fmt(r.get('auc'), '.3f'):>6}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="train about 4 times longer")
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    scale = 4 if args.full else 1
    budget = dict(diffusion_epochs=400 * scale, energy_epochs=300 if args.full else 150,
                  digits_epochs=300 * scale)
    start = time.perf_counter()
    results = [run_toy(name, budget, args.random_state) for name in TOYS]
    results.append(run_digits(budget, args.random_state))
    print(f"Held-out mean log-likelihood in nats per row ('gap': optimum minus model; "
          f"'+-': standard error); budget {budget}")
    for name, rows in results:
        print_table(name, rows)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
