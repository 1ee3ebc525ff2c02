"""Bounded memory: scoring goes in chunks, not in memory of n_query x n_train."""

import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np

from skgen.classical import Gaussian


def test_kde_scoring_memory_does_not_grow_with_the_pairs():
    # 2,000 queries x 20,000 training rows: 305 MB as one float64 block
    script = textwrap.dedent("""
        import resource, tracemalloc
        import numpy as np
        from skgen.classical import KernelDensity
        rng = np.random.RandomState(0)
        kde = KernelDensity(bandwidth=0.3).fit(rng.normal(size=(20_000, 2)))
        Q = rng.normal(size=(2_000, 2))
        kde.score_samples(Q[:10])  # torch and its thread pools loaded
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        out = kde.score_samples(Q)
        traced = tracemalloc.get_traced_memory()[1]
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) / 1024, traced / 2**20, np.isfinite(out).all())
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    rss_mb, traced_mb, finite = res.stdout.split()
    assert finite == "True"
    assert float(rss_mb) < 100, res.stdout  # the full block would be 305 MB
    assert float(traced_mb) < 50, res.stdout


def test_gaussian_scoring_goes_in_chunks():
    X = np.random.RandomState(1).normal(size=(400_000, 8))  # 24 MiB
    g = Gaussian().fit(X[:1000])
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        g.score_samples(X)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    # validation may copy X once; the chunked scorer adds a bounded working set
    assert peak < X.nbytes + 140 * 2**20
    np.testing.assert_allclose(g.score_samples(X[:7]), g.score_samples(X)[:7])
