"""The demo runs end to end and its figures make sense."""

import numpy as np
import pytest

from skgen.datasets import WorldMap, make_world_map
from skgen.demo import run_demo


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "hello.png"
    res = run_demo(n_train=800, n_test=800, n_generated=800, output=out, quick=True)
    assert out.exists() and out.stat().st_size > 10_000
    return {r["model"]: r for r in res}


def test_demo_reports_every_model(results, capsys):
    assert {"UniformBox", "Gaussian", "KernelDensity"} <= set(results)
    for r in results.values():
        assert r["kind"] in ("exact", "lower_bound", "estimate", "unnormalized", "none")
        assert 0 <= r["A_fraction"] <= 1


def test_box_a_fraction_is_share_of_box_at_sea(results):
    """The box's point-A share equals the sea share of the fitted box."""
    X = make_world_map(800, random_state=0)  # the demo's training set
    lo, hi = X.min(0), X.max(0)
    rng = np.random.RandomState(5)
    pts = rng.uniform(lo, hi, size=(200_000, 2))
    sea_share = 1 - WorldMap().is_land(pts).mean()
    # 800 samples: binomial standard error about 0.017
    assert results["UniformBox"]["A_fraction"] == pytest.approx(sea_share, abs=0.06)


def test_truth_is_the_best_exact_model(results):
    truth = results["truth (p_data)"]["heldout_loglik"]
    for name, r in results.items():
        if r["kind"] == "exact" and name != "truth (p_data)":
            assert r["heldout_loglik"] < truth
    assert results["truth (p_data)"]["A_fraction"] == 0
