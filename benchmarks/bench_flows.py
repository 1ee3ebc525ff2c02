"""Flows on 2-D toys: held-out log-likelihood against the true density, and zuko.

For each toy (eight Gaussians, checkerboard) the script draws a training set
and a held-out set from the true distribution, fits RealNVP, MAF and NSF with
their DEFAULT parameters, and prints per model

- the held-out mean log-likelihood and its gap to the optimum, which is the
  true distribution's own mean log-likelihood on the same held-out points
  (target for NSF: gap < 0.1 nat);
- training wall time and CPU time (target for NSF: < 120 s CPU);
- the number of epochs run (early stopping) and sampling/scoring throughput.

When zuko is installed it is the reference: zuko's NSF with the same network
size (5 transforms, hidden (64, 64), 8 bins) is trained on the same
standardized data with the same optimizer, batch size, number of steps and
learning-rate schedule as skgen's NSF, and the table gives the ratios of time
per 1000 training steps, of scoring and sampling throughput, and its held-out
log-likelihood. zuko is imported only after skgen's models have run, because
importing it patches torch.

Run: ``python benchmarks/bench_flows.py`` (about 10 minutes of CPU time on one core).
"""

import argparse
import copy
import time

import numpy as np
import torch

from skgen.datasets import make_checkerboard, make_eight_gaussians
from skgen.flows import MAF, NSF, RealNVP

DATASETS = {"eight_gaussians": make_eight_gaussians, "checkerboard": make_checkerboard}
MODELS = {"RealNVP": RealNVP, "MAF": MAF, "NSF": NSF}
GAP_TARGET, CPU_TARGET = 0.1, 120.0


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _throughput(fn, n):
    _, wall, _ = _timed(fn)
    return n / wall


def _step_time(module, log_prob, X, batch_size, n_steps=200):
    """Seconds per 1000 Adam steps on minibatches of standardized rows."""
    g = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(module.parameters(), lr=1e-3)
    idx = torch.randint(0, X.shape[0], (n_steps + 10, batch_size), generator=g)
    for i in range(n_steps + 10):
        if i == 10:
            start = time.perf_counter()
        loss = -log_prob(X[idx[i]]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (time.perf_counter() - start) / n_steps * 1000


def run_skgen(X, X_test, optimum, random_state):
    rows, fitted = [], {}
    for name, cls in MODELS.items():
        est = cls(random_state=random_state)
        _, wall, cpu = _timed(lambda: est.fit(X))
        ll = est.score(X_test)
        score_rate = _throughput(lambda: est.score_samples(X_test), len(X_test))
        sample_rate = _throughput(lambda: est.sample(len(X_test), random_state=0), len(X_test))
        rows.append(dict(model=name, epochs=est.n_epochs_, wall=wall, cpu=cpu, ll=ll,
                         gap=optimum - ll, score_rate=score_rate, sample_rate=sample_rate))
        fitted[name] = est
    return rows, fitted


def run_zuko(nsf, X, X_test, optimum):
    """zuko's NSF trained like skgen's NSF (same steps, batch, schedule)."""
    try:
        import zuko  # noqa: PLC0415 - patches torch: import only now
    except ImportError:
        return None
    shift, scale = nsf._x_shift, nsf._x_scale
    Xs = torch.as_tensor((X - shift) / scale, dtype=torch.float32)
    Xt = torch.as_tensor((X_test - shift) / scale, dtype=torch.float32)
    log_scale = float(np.log(scale).sum())
    torch.manual_seed(0)
    flow = zuko.flows.NSF(X.shape[1], transforms=nsf.n_transforms,
                          hidden_features=tuple(nsf.hidden_sizes), bins=nsf.bins)
    opt = torch.optim.Adam(flow.parameters(), lr=nsf.learning_rate)
    g = torch.Generator().manual_seed(0)
    n_train = int(round(len(X) * (1 - nsf.validation_fraction)))
    Xs_train = Xs[torch.randperm(len(X), generator=g)[:n_train]]

    def train():
        for record in nsf.history_:
            for group in opt.param_groups:
                group["lr"] = record["learning_rate"]
            order = torch.randperm(n_train, generator=g)
            for i in range(0, n_train, nsf.batch_size):
                loss = -flow().log_prob(Xs_train[order[i:i + nsf.batch_size]]).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()

    _, wall, cpu = _timed(train)
    with torch.no_grad():
        ll = float(flow().log_prob(Xt).mean()) - log_scale
        score_rate = _throughput(lambda: flow().log_prob(Xt), len(Xt))
        sample_rate = _throughput(lambda: flow().sample((len(Xt),)), len(Xt))
    ms_zuko = _step_time(flow, lambda x: flow().log_prob(x), Xs, nsf.batch_size)
    module = copy.deepcopy(nsf.module_).train()
    ms_skgen = _step_time(module, module.log_prob, Xs, nsf.batch_size)
    return dict(model=f"zuko NSF {zuko.__version__}", epochs=len(nsf.history_), wall=wall,
                cpu=cpu, ll=ll, gap=optimum - ll, score_rate=score_rate,
                sample_rate=sample_rate, ms_zuko=ms_zuko, ms_skgen=ms_skgen)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-train", type=int, default=20000)
    parser.add_argument("--n-test", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--no-zuko", action="store_true")
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    results = {}
    for data in args.datasets:
        X, dist = DATASETS[data](args.n_train, random_state=args.random_state,
                                 return_distribution=True)
        X_test = DATASETS[data](args.n_test, random_state=args.random_state + 1)
        optimum = dist.score(X_test)
        rows, fitted = run_skgen(X, X_test, optimum, args.random_state)
        results[data] = (X, X_test, optimum, rows, fitted)

    ok = True
    header = (f"{'data':16} {'model':16} {'epochs':>6} {'wall s':>7} {'CPU s':>7} "
              f"{'held-out ll':>11} {'optimum':>8} {'gap':>7} {'score/s':>9} {'sample/s':>9}")
    print(f"n_train={args.n_train}, n_test={args.n_test}, torch threads={args.threads}, "
          f"torch {torch.__version__}")
    print(header)
    print("-" * len(header))
    for data, (X, X_test, optimum, rows, fitted) in results.items():
        if not args.no_zuko:
            ref = run_zuko(fitted["NSF"], X, X_test, optimum)
            if ref is not None:
                rows = rows + [ref]
        for r in rows:
            print(f"{data:16} {r['model']:16} {r['epochs']:>6} {r['wall']:>7.1f} "
                  f"{r['cpu']:>7.1f} {r['ll']:>11.4f} {optimum:>8.4f} {r['gap']:>7.4f} "
                  f"{r['score_rate']:>9.0f} {r['sample_rate']:>9.0f}")
        nsf = next(r for r in rows if r["model"] == "NSF")
        passed = nsf["gap"] < GAP_TARGET and nsf["cpu"] < CPU_TARGET
        ok &= passed
        print(f"  NSF target (gap < {GAP_TARGET} nat, CPU < {CPU_TARGET:.0f} s): "
              f"{'PASS' if passed else 'FAIL'}")
        ref = next((r for r in rows if r["model"].startswith("zuko")), None)
        if ref is not None:
            print(f"  vs zuko NSF at equal size and budget: time per 1000 steps "
                  f"{ref['ms_skgen']:.2f} s vs {ref['ms_zuko']:.2f} s "
                  f"(ratio {ref['ms_skgen'] / ref['ms_zuko']:.2f}x), score throughput "
                  f"{nsf['score_rate'] / ref['score_rate']:.2f}x, sample throughput "
                  f"{nsf['sample_rate'] / ref['sample_rate']:.2f}x, held-out ll "
                  f"{nsf['ll'] - ref['ll']:+.4f} nat")
    print("ALL PASS" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
