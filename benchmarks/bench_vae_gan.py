"""VAE and GAN: importance-weighted bounds, bits per dimension, sampling speed, sample quality.

Same run, same data for every model. For each 2-D toy (eight Gaussians,
checkerboard) a training set and a held-out set are drawn from the true
distribution; on dequantized digits (scikit-learn's ``load_digits``: 8x8
images with 17 grey levels, dequantized as ``(x + u) / 17``) a random split
is used. The script fits a VAE and a GAN with their DEFAULT parameters on the
toys (the digits VAE has a 16-D latent space and wider networks) and prints

- the VAE's held-out importance-weighted bound on ``log p(x)`` with
  ``k = 1`` (the ELBO), 50 and 500 draws, in nats on the toys beside the
  true density's own held-out log-likelihood (the optimum), and in bits per
  dimension of the discrete digits (an upper bound: dequantization and the
  VAE each add a bound), beside probabilistic PCA's exact figure on the same
  dequantized data;
- training time, and sampling time per 1000 samples for the VAE and the GAN;
- sample quality: the classifier two-sample AUC (k-NN, 5 folds) of 2000
  samples against 2000 held-out rows, for the GAN and the VAE (0.5 is
  indistinguishable, 1 is fully separable) and, as the noise floor, for a
  second held-out sample of the truth.

Run: ``python benchmarks/bench_vae_gan.py`` (about 4 minutes on one core);
``--quick`` for a smoke run.
"""

import argparse
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skgen.adversarial import GAN
from skgen.classical import ProbabilisticPCA
from skgen.datasets import make_checkerboard, make_eight_gaussians
from skgen.metrics import bits_per_dimension, classifier_two_sample_auc
from skgen.preprocessing import Dequantizer
from skgen.vae import VAE

TOYS = {"eight_gaussians": make_eight_gaussians, "checkerboard": make_checkerboard}
KS = (1, 50, 500)
N_LEVELS = 17  # load_digits pixels are 0..16


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _sample_time_per_1000(est, repeats=3):
    """Median seconds to draw 1000 samples."""
    times = [_timed(lambda i=i: est.sample(1000, random_state=i))[1] for i in range(repeats)]
    return float(np.median(times))


def _bounds(vae, X_test):
    """Held-out mean bound for each k (nats per row)."""
    out = {}
    for k in KS:
        vae.set_params(n_importance_samples=k)
        out[k] = vae.score(X_test)
    vae.set_params(n_importance_samples=50)
    return out


def run_toy(name, n_train, n_test, max_epochs, seed):
    make = TOYS[name]
    X, truth = make(n_train, random_state=seed, return_distribution=True)
    X_test = make(n_test, random_state=seed + 1)
    X_ref = make(2000, random_state=seed + 2)
    vae_kw = {} if max_epochs is None else {"max_epochs": max_epochs}
    vae, vae_fit = _timed(lambda: VAE(random_state=seed, **vae_kw).fit(X))
    gan, gan_fit = _timed(lambda: GAN(random_state=seed, **vae_kw).fit(X))
    auc = {}
    for label, samples in [("GAN", gan.sample(2000, random_state=0)),
                           ("VAE", vae.sample(2000, random_state=0)),
                           ("truth", X_ref)]:
        auc[label] = classifier_two_sample_auc(X_test[:2000], samples, random_state=0)
    return dict(data=name, optimum=truth.score(X_test), bounds=_bounds(vae, X_test),
                vae_fit=vae_fit, vae_epochs=vae.n_epochs_, gan_fit=gan_fit,
                gan_epochs=gan.n_epochs_, vae_sample=_sample_time_per_1000(vae),
                gan_sample=_sample_time_per_1000(gan), auc=auc)


def run_digits(max_epochs, seed):
    X_int = load_digits().data
    X_train_int, X_test_int = train_test_split(X_int, test_size=0.25, random_state=seed)
    dq = Dequantizer(n_levels=N_LEVELS, random_state=seed).fit(X_train_int)
    X, X_test = dq.transform(X_train_int), dq.transform(X_test_int)
    d = X.shape[1]
    kw = dict(n_components=16, hidden_sizes=(256, 256), random_state=seed)
    if max_epochs is not None:
        kw["max_epochs"] = max_epochs
    vae, vae_fit = _timed(lambda: VAE(**kw).fit(X))
    bounds = _bounds(vae, X_test)
    bpd = {k: bits_per_dimension(v, d, n_levels=N_LEVELS) for k, v in bounds.items()}
    ppca = ProbabilisticPCA(n_components=16).fit(X)
    ppca_bpd = bits_per_dimension(ppca.score(X_test), d, n_levels=N_LEVELS)
    gan, gan_fit = _timed(lambda: GAN(random_state=seed, **(
        {} if max_epochs is None else {"max_epochs": max_epochs})).fit(X))
    return dict(data="digits (dequantized)", bounds=bounds, bpd=bpd, ppca_bpd=ppca_bpd,
                vae_fit=vae_fit, vae_epochs=vae.n_epochs_, gan_fit=gan_fit,
                gan_epochs=gan.n_epochs_, vae_sample=_sample_time_per_1000(vae),
                gan_sample=_sample_time_per_1000(gan))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=3000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--quick", action="store_true",
                        help="5 epochs per model: checks that the script runs")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    max_epochs = 5 if args.quick else None

    toys = [run_toy(name, args.n_train, args.n_test, max_epochs, args.random_state)
            for name in TOYS]
    digits = run_digits(max_epochs, args.random_state)

    print(f"n_train={args.n_train}, n_test={args.n_test}, torch threads={args.threads}, "
          f"torch {torch.__version__}")
    print("\nVAE held-out bound on log p(x) (nats per row; higher is better)")
    header = (f"{'data':22} {'k=1 (ELBO)':>11} {'k=50':>9} {'k=500':>9} {'optimum':>9} "
              f"{'gap k=500':>9}")
    print(header)
    print("-" * len(header))
    for r in toys:
        b = r["bounds"]
        print(f"{r['data']:22} {b[1]:>11.4f} {b[50]:>9.4f} {b[500]:>9.4f} "
              f"{r['optimum']:>9.4f} {r['optimum'] - b[500]:>9.4f}")
    b = digits["bounds"]
    print(f"{digits['data']:22} {b[1]:>11.2f} {b[50]:>9.2f} {b[500]:>9.2f} {'':>9} {'':>9}")

    print("\nDigits in bits per dimension of the 17-level pixels (upper bounds; lower is "
          "better)")
    bpd = digits["bpd"]
    print(f"  VAE k=1: {bpd[1]:.4f}   k=50: {bpd[50]:.4f}   k=500: {bpd[500]:.4f}   "
          f"probabilistic PCA (16 components, exact): {digits['ppca_bpd']:.4f}")

    print("\nTraining and sampling")
    header = (f"{'data':22} {'VAE fit s':>9} {'epochs':>6} {'GAN fit s':>9} {'epochs':>6} "
              f"{'VAE s/1000':>10} {'GAN s/1000':>10}")
    print(header)
    print("-" * len(header))
    for r in toys + [digits]:
        print(f"{r['data']:22} {r['vae_fit']:>9.1f} {r['vae_epochs']:>6} "
              f"{r['gan_fit']:>9.1f} {r['gan_epochs']:>6} {r['vae_sample']:>10.4f} "
              f"{r['gan_sample']:>10.4f}")

    print("\nSample quality: classifier two-sample AUC against held-out data "
          "(0.5 = indistinguishable)")
    header = f"{'data':22} {'GAN':>7} {'VAE':>7} {'truth':>7}"
    print(header)
    print("-" * len(header))
    for r in toys:
        a = r["auc"]
        print(f"{r['data']:22} {a['GAN']:>7.3f} {a['VAE']:>7.3f} {a['truth']:>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
