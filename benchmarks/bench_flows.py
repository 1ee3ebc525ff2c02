"""Flows against the true densities, a Gaussian mixture and zuko, in one run.

Sections (``--only`` picks some):

``toys``
    Eight Gaussians and checkerboard (2-D). RealNVP, MAF and NSF with their
    DEFAULT parameters; the optimum is the true distribution's own mean
    log-likelihood on the same held-out points. Target: NSF within 0.1 nat of
    it in under 2 minutes of CPU.
``gmm8``
    An 8-D mixture of 8 Gaussians with random means, covariances and weights
    (fixed seed); its log-density is exact, so the optimum is known too.
``digits``
    scikit-learn's 8x8 digits (64-D, pixels 0..16), dequantized
    ``(x + u) / 17`` with ``u ~ U[0, 1)``, fixed 80/20 split. Reported in
    bits/dim of the discrete pixels: ``log p(x_int) >= E log p(x_deq) - 64 log 17``
    (:func:`skgen.metrics.bits_per_dimension` with ``n_levels=17``).
    Baselines: a 10-component full-covariance :class:`skgen.classical.GaussianMixture`
    on the same split, with the default ``reg_covar=1e-6`` (which overfits the
    1437 training rows) and with ``reg_covar=1e-3`` (a stronger baseline).
    Target: the flows beat them.

zuko (when installed) is the reference, at equal network size and equal
budget: zuko's NSF (autoregressive, same transforms, bins, hidden sizes), MAF
(same transforms and hidden sizes) and, for RealNVP, zuko's coupling MAF
(``passes=2``, same number of layers and hidden sizes). Each is trained on
skgen's standardized data with Adam, the same batch size, the same number of
epochs, the same per-epoch learning rates and the same training/validation
sizes as the skgen model (which stopped early), and keeps its best-validation
weights like skgen does. zuko is imported only after every skgen model has
been fitted, because importing it patches torch.distributions.

Figures per model: epochs, fit wall and CPU seconds, held-out mean
log-likelihood (and gap to the optimum, or bits/dim), CPU seconds per 1000
Adam steps on minibatches (target <= 1.0x zuko), and ``score_samples`` and
``sample`` throughput in rows per CPU second (best of a few calls; target
>= zuko). Both compute in float32. skgen scores in fixed-size blocks, the
last one padded, so that a row's log-density does not depend on the other
rows of the call (float32 matrix products of different shapes do not
guarantee it); its scoring figure includes the standardization and the
conversions of ``score_samples``, zuko's is ``flow().log_prob`` on a ready
float32 tensor. The two scorings are timed in alternating rounds, best round
of each, and their ratio is printed per case ("Scoring throughput").

Budget: the toys use 10 000 training rows (``--n-train-toys``) and default
parameters; gmm8 uses 10 000 rows and default parameters with
``max_epochs=60`` (``--max-epochs-gmm8``); digits uses default parameters.
Datasets run in ``--jobs 2`` processes, one torch thread each: about 7
minutes wall and 13 CPU-minutes on two free cores.

Run: ``python benchmarks/bench_flows.py``; ``--quick`` for a smoke run (under
a minute); ``--only digits`` (or ``toys``, ``gmm8``) to pick sections.
"""

import argparse
import copy
import math
import multiprocessing
import resource
import time

import numpy as np
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skgen.classical import GaussianMixture
from skgen.datasets import make_checkerboard, make_eight_gaussians
from skgen.flows import MAF, NSF, RealNVP
from skgen.metrics import bits_per_dimension

FAMILIES = {"RealNVP": RealNVP, "MAF": MAF, "NSF": NSF}
SECTIONS = ("toys", "gmm8", "digits")
GAP_TARGET, CPU_TARGET = 0.1, 120.0


# ------------------------------------------------------------------ timing
def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _rate(fn, n, repeat):
    """Rows per CPU second, best of ``repeat`` calls."""
    best = min(_timed(fn)[2] for _ in range(repeat))
    return n / max(best, 1e-9)


def _step_time(module, log_prob, X, batch_size, n_steps):
    """CPU seconds per 1000 Adam steps on random minibatches (training mode)."""
    g = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(module.parameters(), lr=1e-4)
    idx = torch.randint(0, X.shape[0], (n_steps + 3, batch_size), generator=g)
    for i in range(n_steps + 3):
        if i == 3:  # warm-up steps excluded
            start = time.process_time()
        loss = -log_prob(X[idx[i]]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return (time.process_time() - start) / n_steps * 1000


# -------------------------------------------------------------------- data
class GaussianMixture8D:
    """The 8-D benchmark density: 8 Gaussians, random means/covariances/weights."""

    def __init__(self, seed, n_components=8, n_features=8):
        rng = np.random.RandomState(seed)
        d = n_features
        self.weights = rng.dirichlet(5 * np.ones(n_components))
        self.means = rng.normal(scale=2.5, size=(n_components, d))
        A = rng.normal(size=(n_components, d, d))
        self.covs = 0.5 * A @ A.transpose(0, 2, 1) / d + 0.1 * np.eye(d)
        self.chols = np.linalg.cholesky(self.covs)

    def sample(self, n, seed):
        rng = np.random.RandomState(seed)
        comp = rng.choice(len(self.weights), size=n, p=self.weights)
        z = rng.normal(size=(n, self.means.shape[1]))
        return self.means[comp] + np.einsum("nij,nj->ni", self.chols[comp], z)

    def score_samples(self, X):
        parts = [np.log(w) + multivariate_normal(m, c).logpdf(X)
                 for w, m, c in zip(self.weights, self.means, self.covs)]
        return logsumexp(np.stack(parts), axis=0)


def _datasets(section, args):
    """``(name, X_train, X_test, info)`` of a section; ``info`` holds the optimum
    (mean true log-likelihood on X_test) or the digits' baseline."""
    seed, quick = args.seed, args.quick
    if section == "toys":
        n_train, n_test = (2000, 2000) if quick else (args.n_train_toys, 20000)
        for name, maker in [("eight_gaussians", make_eight_gaussians),
                            ("checkerboard", make_checkerboard)]:
            X, dist = maker(n_train, random_state=seed, return_distribution=True)
            X_test = maker(n_test, random_state=seed + 1)
            yield name, X, X_test, {"optimum": dist.score(X_test)}
    elif section == "gmm8":
        n_train, n_test = (2000, 2000) if quick else (args.n_train_gmm8, 20000)
        dist = GaussianMixture8D(seed)
        X, X_test = dist.sample(n_train, seed), dist.sample(n_test, seed + 1)
        yield "gmm8", X, X_test, {"optimum": float(np.mean(dist.score_samples(X_test)))}
    elif section == "digits":
        pixels = load_digits().data  # integers 0..16
        u = np.random.RandomState(seed).uniform(size=pixels.shape)
        X = (pixels + u) / 17
        X_train, X_test = train_test_split(X, test_size=0.2, random_state=seed)
        baselines = []
        for label, reg_covar in [("GMM 10 full", 1e-6), ("GMM 10 full reg1e-3", 1e-3)]:
            gmm, wall, cpu = _timed(lambda: GaussianMixture(  # noqa: B023 - called at once
                10, reg_covar=reg_covar, random_state=seed).fit(X_train))
            ll = gmm.score(X_test)
            baselines.append(dict(model=label, ll=ll, wall=wall, cpu=cpu,
                                  bpd=bits_per_dimension(ll, 64, n_levels=17)))
        yield "digits", X_train, X_test, {"n_levels": 17, "baselines": baselines}


def _budget(section, args):
    """Estimator parameters per section (defaults unless stated)."""
    if args.quick:
        return {"max_epochs": 3}
    if section == "gmm8":
        return {"max_epochs": args.max_epochs_gmm8}
    return {}


def _throughput_rows(section, family, args):
    """Rows for the score/sample throughput calls."""
    if args.quick:
        return 1000, 200
    if section == "digits":  # 64 sequential passes per autoregressive layer
        return 4096, (2000 if family == "RealNVP" else 500)
    return 20000, 20000


# --------------------------------------------------------------------- skgen
def run_skgen(section, name, X, X_test, info, family, args):
    est = FAMILIES[family](random_state=args.seed, **_budget(section, args))
    _, wall, cpu = _timed(lambda: est.fit(X))
    ll = est.score(X_test)
    n_score, n_sample = _throughput_rows(section, family, args)
    X_rate = np.resize(X_test, (n_score, X_test.shape[1]))
    return dict(
        section=section, data=name, family=family, model=family, est=est, epochs=est.n_epochs_,
        wall=wall, cpu=cpu, ll=ll,
        score_rate=_rate(lambda: est.score_samples(X_rate), n_score, args.repeat),
        sample_rate=_rate(lambda: est.sample(n_sample, random_state=0), n_sample, args.repeat),
    )


# ---------------------------------------------------------------------- zuko
def _zuko_flow(zuko, family, est, d):
    hidden = tuple(est.hidden_sizes)
    if family == "NSF":
        return zuko.flows.NSF(d, transforms=est.n_transforms, bins=est.bins,
                              hidden_features=hidden)
    passes = 2 if family == "RealNVP" else None  # coupling: two passes
    return zuko.flows.MAF(d, transforms=est.n_transforms, hidden_features=hidden,
                          passes=passes)


def run_zuko(zuko, row, X, X_test, section, args):
    """zuko's counterpart of a fitted skgen flow, trained on the same budget."""
    est, family = row["est"], row["family"]
    d = X.shape[1]
    shift, scale = est._x_shift, est._x_scale
    log_scale = float(np.log(scale).sum())
    Xs = torch.as_tensor((X - shift) / scale, dtype=torch.float32)
    Xt = torch.as_tensor((X_test - shift) / scale, dtype=torch.float32)
    torch.manual_seed(args.seed)  # zuko initializes from the global generator
    flow = _zuko_flow(zuko, family, est, d)
    opt = torch.optim.Adam(flow.parameters(), lr=est.learning_rate)
    g = torch.Generator().manual_seed(args.seed)
    perm = torch.randperm(len(Xs), generator=g)
    n_valid = int(round(est.validation_fraction * len(Xs))) if est.early_stopping else 0
    X_valid, X_train = Xs[perm[:n_valid]], Xs[perm[n_valid:]]
    n_train = len(X_train)

    def train():
        best, best_state = -math.inf, None
        for record in est.history_:  # same epochs and learning rates as skgen
            for group in opt.param_groups:
                group["lr"] = record["learning_rate"]
            order = torch.randperm(n_train, generator=g)
            for i in range(0, n_train, est.batch_size):
                loss = -flow().log_prob(X_train[order[i:i + est.batch_size]]).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
            if n_valid:
                with torch.no_grad():
                    valid = float(flow().log_prob(X_valid).mean())
                if valid > best:
                    best, best_state = valid, copy.deepcopy(flow.state_dict())
        if best_state is not None:
            flow.load_state_dict(best_state)

    _, wall, cpu = _timed(train)
    n_score, n_sample = _throughput_rows(section, family, args)
    X_rate = Xt.repeat(math.ceil(n_score / len(Xt)), 1)[:n_score]
    X_rate_skgen = np.resize(X_test, (n_score, d))  # the same rows, in data units
    with torch.no_grad():
        ll = float(flow().log_prob(Xt).mean()) - log_scale
        # alternating rounds, best of each: other processes' load hits both alike
        best_ours, best_zuko = math.inf, math.inf
        for _ in range(args.repeat):
            best_ours = min(best_ours, _timed(lambda: est.score_samples(X_rate_skgen))[2])
            best_zuko = min(best_zuko, _timed(lambda: flow().log_prob(X_rate))[2])
        score_rate = n_score / max(best_zuko, 1e-9)
        sample_rate = _rate(lambda: flow().sample((n_sample,)), n_sample, args.repeat)
    row["score_rate"] = n_score / max(best_ours, 1e-9)  # replaces the solo figure

    # time per 1000 steps at equal size, both in training mode on the same rows;
    # alternating rounds, best round of each, to damp other processes' noise
    n_steps = 10 if args.quick else max(1, args.steps // 3)
    batch = min(est.batch_size, n_train)
    ours = copy.deepcopy(est.module_).train()
    ms_ours, ms_zuko = math.inf, math.inf
    for _ in range(1 if args.quick else 3):
        ms_ours = min(ms_ours, _step_time(ours, ours.log_prob, Xs, batch, n_steps))
        ms_zuko = min(ms_zuko, _step_time(flow, lambda x: flow().log_prob(x), Xs, batch,
                                          n_steps))
    row.update(step=ms_ours, score_rate_vs=score_rate)
    return dict(section=row["section"], data=row["data"], family=family,
                model=f"zuko {family if family != 'RealNVP' else 'MAF(passes=2)'}",
                epochs=len(est.history_), wall=wall, cpu=cpu, ll=ll, score_rate=score_rate,
                sample_rate=sample_rate, step=ms_zuko)


# ------------------------------------------------------------------- report
def _print_table(results, infos):
    header = (f"{'data':15} {'model':20} {'epochs':>6} {'wall s':>7} {'CPU s':>7} "
              f"{'held-out ll':>11} {'gap/bpd':>8} {'s/1k steps':>10} {'score/s':>9} "
              f"{'sample/s':>9}")
    print(header)
    print("-" * len(header))
    for data, rows in results.items():
        info = infos[data]
        for b in info.get("baselines", []):
            print(f"{data:15} {b['model']:20} {'':>6} {b['wall']:>7.1f} {b['cpu']:>7.1f} "
                  f"{b['ll']:>11.4f} {b['bpd']:>8.3f}")
        for r in rows:
            extra = (f"{info['optimum'] - r['ll']:>8.4f}" if "optimum" in info
                     else f"{bits_per_dimension(r['ll'], 64, n_levels=info['n_levels']):>8.3f}")
            step = f"{r['step']:>10.2f}" if "step" in r else f"{'':>10}"
            print(f"{data:15} {r['model']:20} {r['epochs']:>6} {r['wall']:>7.1f} "
                  f"{r['cpu']:>7.1f} {r['ll']:>11.4f} {extra} {step} "
                  f"{r['score_rate']:>9.0f} {r['sample_rate']:>9.0f}")
        if "optimum" in info:
            print(f"{data:15} {'optimum (true p)':20} {'':>6} {'':>7} {'':>7} "
                  f"{info['optimum']:>11.4f} {0:>8.4f}")
    print("gap/bpd: nats below the optimum (toys, gmm8) or bits/dim of the discrete pixels "
          "(digits); rates are rows per CPU second.")


def _print_scoring(results):
    """skgen's ``score_samples`` throughput over zuko's float32 ``log_prob``, per case."""
    lines = []
    for data, rows in results.items():
        zuko = {r["family"]: r for r in rows if r["model"].startswith("zuko")}
        for r in rows:
            z = zuko.get(r["family"])
            if z is not None and r is not z:
                ratio = r["score_rate"] / z["score_rate"]
                lines.append(f"  {data:15} {r['family']:8} {r['score_rate']:>12.0f} "
                             f"{z['score_rate']:>12.0f} {ratio:>7.2f}x "
                             f"{'PASS' if ratio >= 1.0 else 'FAIL'}")
    if lines:
        print("\nScoring throughput, rows per CPU second (skgen float32 in fixed-size "
              "padded blocks, batch-invariant; zuko float32)")
        print(f"  {'data':15} {'family':8} {'skgen':>12} {'zuko f32':>12} {'ratio':>8}")
        print("\n".join(lines))


def _print_targets(results, infos, args):
    ok = True
    print("\nTargets")
    for data, rows in results.items():
        info = infos[data]
        skgen = {r["family"]: r for r in rows if not r["model"].startswith("zuko")}
        zuko = {r["family"]: r for r in rows if r["model"].startswith("zuko")}
        if data in ("eight_gaussians", "checkerboard") and "NSF" in skgen and not args.quick:
            nsf = skgen["NSF"]
            gap = info["optimum"] - nsf["ll"]
            passed = gap < GAP_TARGET and nsf["cpu"] < CPU_TARGET
            ok &= passed
            print(f"  {data}: NSF (defaults) gap {gap:.4f} nat < {GAP_TARGET}, fit CPU "
                  f"{nsf['cpu']:.0f} s < {CPU_TARGET:.0f} s: {'PASS' if passed else 'FAIL'}")
        for base in info.get("baselines", []):
            for fam, r in skgen.items():
                bpd = bits_per_dimension(r["ll"], 64, n_levels=info["n_levels"])
                passed = bpd < base["bpd"]
                ok &= passed
                print(f"  {data}: {fam} {bpd:.3f} bits/dim < {base['model']} "
                      f"{base['bpd']:.3f}: {'PASS' if passed else 'FAIL'}")
        for fam, r in skgen.items():
            z = zuko.get(fam)
            if z is None:
                continue
            step, score, sample = r["step"] / z["step"], r["score_rate"] / z["score_rate"], \
                r["sample_rate"] / z["sample_rate"]
            verdicts = [step <= 1.0, score >= 1.0, sample >= 1.0]
            ok &= all(verdicts)
            step_v, score_v, sample_v = ("PASS" if v else "FAIL" for v in verdicts)
            print(f"  {data}: {fam} vs zuko: time/1000 steps {step:.2f}x [{step_v}], "
                  f"score {score:.2f}x [{score_v}], "
                  f"sample {sample:.2f}x [{sample_v}], held-out ll {r['ll'] - z['ll']:+.4f} nat")
    return ok


def run_dataset(job):
    """Every model on one dataset: skgen's first, then zuko's (one process)."""
    section, name, X, X_test, info, args = job
    torch.set_num_threads(args.threads)
    clock = time.perf_counter()
    rows = [run_skgen(section, name, X, X_test, info, fam, args) for fam in args.families]
    print(f"  {name}: skgen fitted in {time.perf_counter() - clock:.0f} s", flush=True)
    zuko = None
    if not args.no_zuko:
        try:
            import zuko  # noqa: PLC0415 - patches torch.distributions: import only now
        except ImportError:
            print("  zuko is not installed: no reference rows", flush=True)
    if zuko is not None:
        rows = [r for row in rows for r in (row, run_zuko(zuko, row, X, X_test, section, args))]
        print(f"  {name}: zuko trained, {time.perf_counter() - clock:.0f} s", flush=True)
    for r in rows:
        r.pop("est", None)
    return name, rows, (zuko.__version__ if zuko is not None else None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--families", nargs="+", choices=list(FAMILIES), default=list(FAMILIES))
    parser.add_argument("--no-zuko", action="store_true")
    parser.add_argument("--jobs", type=int, default=2,
                        help="datasets run in parallel processes (figures are CPU seconds)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-train-toys", type=int, default=10000)
    parser.add_argument("--n-train-gmm8", type=int, default=10000)
    parser.add_argument("--max-epochs-gmm8", type=int, default=60)
    parser.add_argument("--steps", type=int, default=120,
                        help="training steps timed per model (three rounds)")
    parser.add_argument("--repeat", type=int, default=3, help="throughput calls per figure")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 1
    start_wall, start_cpu = time.perf_counter(), time.process_time()

    jobs, infos = [], {}
    for section in args.only:
        for name, X, X_test, info in _datasets(section, args):
            infos[name] = info
            jobs.append((section, name, X, X_test, info, args))
    print(f"{len(jobs)} dataset(s), {args.jobs} process(es), {args.threads} torch thread(s) "
          "each", flush=True)
    if args.jobs > 1 and len(jobs) > 1:
        # spawned interpreters: each imports zuko only after its own skgen fits
        context = multiprocessing.get_context("spawn")
        pool = context.Pool(min(args.jobs, len(jobs)))
        try:
            done = pool.map(run_dataset, jobs, chunksize=1)
        finally:
            pool.close()  # let the workers exit normally
            pool.join()
        cpu_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_cpu = cpu_children.ru_utime + cpu_children.ru_stime
    else:
        done = [run_dataset(job) for job in jobs]
        child_cpu = 0.0
    results = {name: rows for name, rows, _ in done}
    versions = {v for _, _, v in done if v is not None}

    print(f"\ntorch {torch.__version__}, {args.threads} thread(s) per process"
          + (f", zuko {versions.pop()}" if versions else "")
          + (" -- QUICK smoke run: figures are meaningless" if args.quick else ""))
    _print_table(results, infos)
    _print_scoring(results)
    ok = _print_targets(results, infos, args)
    print(f"\nwhole run: {time.perf_counter() - start_wall:.0f} s wall, "
          f"{time.process_time() - start_cpu + child_cpu:.0f} s CPU")
    print("ALL TARGETS MET" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
