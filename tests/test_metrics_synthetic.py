"""Synthetic-data metrics on mixed tables, each on cases with a known answer.

Two independent samples of one table generator must look alike (detection
AUC near chance, shape and trend scores near 1, a large MMD p-value);
disjoint tables must look as different as the metric allows; a copy of the
training rows must be caught by the distance to the closest record. The
fast paths are checked against naive oracles on small inputs.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

from skgen import _table_metrics as _tm
from skgen.metrics import (column_shapes, detection_auc, distance_to_closest_record,
                           mmd_test, pair_trends, precision_recall_coverage,
                           synthetic_data_report)

CITIES = ["Oslo", "Rome", "Lima"]


def mixed_table(n, seed, *, shift=0.0, cities=CITIES, notes=("a", "b")):
    """A table of every column type: two correlated floats (one with missing
    cells), a count, a flag, a pandas category and an object column."""
    rng = np.random.RandomState(seed)
    x = rng.normal(size=n) + shift
    y = 0.8 * x + 0.6 * rng.normal(size=n)
    table = pd.DataFrame({
        "x": x,
        "y": y,
        "count": rng.poisson(3, n) + int(shift),
        "flag": rng.rand(n) < 0.3,
        "city": pd.Categorical(rng.choice(cities, n, p=[0.5, 0.3, 0.2])),
        "note": rng.choice(list(notes), n).astype(object),
    })
    table.loc[rng.rand(n) < 0.1, "y"] = np.nan
    return table


@pytest.fixture(scope="module")
def same():
    """Two independent samples of one distribution."""
    return mixed_table(2000, 0), mixed_table(2000, 1)


@pytest.fixture(scope="module")
def disjoint():
    """Tables whose numeric columns and categories do not overlap at all."""
    far = mixed_table(2000, 1, shift=100.0, cities=["Paris", "Tokyo", "Quito"],
                      notes=("c", "d"))
    return mixed_table(2000, 0), far


# --- identical and disjoint distributions ------------------------------------

def test_identical_distributions_look_alike(same):
    real, synthetic = same
    assert detection_auc(real, synthetic, random_state=0) < 0.6
    shapes = column_shapes(real, synthetic)
    assert shapes["column"].tolist() == list(real.columns)
    assert shapes["metric"].tolist() == ["KSComplement"] * 3 + ["TVComplement"] * 3
    assert shapes["score"].min() > 0.95
    trends = pair_trends(real, synthetic)
    assert len(trends) == 15
    numeric = {"x", "y", "count"}
    expected = ["CorrelationSimilarity" if {a, b} <= numeric else "ContingencySimilarity"
                for a, b in zip(trends["column_1"], trends["column_2"])]
    assert trends["metric"].tolist() == expected
    assert trends["score"].min() > 0.9
    cols = ["x", "count"]
    scores = precision_recall_coverage(real[cols], synthetic[cols])
    assert min(scores.values()) > 0.9 and scores["density"] < 1.2
    statistic, p_value = mmd_test(real[cols][:400], synthetic[cols][:400], random_state=0)
    assert p_value > 0.05 and abs(statistic) < 0.01


def test_disjoint_distributions_are_extreme(disjoint):
    real, synthetic = disjoint
    assert detection_auc(real, synthetic, random_state=0) > 0.99
    shapes = column_shapes(real, synthetic).set_index("column")["score"]
    # every column but the flag has disjoint supports
    assert (shapes.drop("flag") == 0).all()
    trends = pair_trends(real, synthetic)
    contingency = trends[trends["metric"] == "ContingencySimilarity"]
    assert (contingency["score"] < 0.25).all()
    # a shift keeps correlations: correlation similarity stays high
    corr = trends[trends["metric"] == "CorrelationSimilarity"]["score"]
    assert (corr > 0.9).all()
    cols = ["x", "count"]
    scores = precision_recall_coverage(real[cols], synthetic[cols])
    assert scores == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
    _, p_value = mmd_test(real[cols][:300], synthetic[cols][:300], random_state=0)
    assert p_value < 0.01


def test_reversed_correlation_scores_zero():
    x = np.linspace(-1, 1, 50)
    real = pd.DataFrame({"x": x, "y": x})
    trends = pair_trends(real, pd.DataFrame({"x": x, "y": -x}))
    assert trends.loc[0, "metric"] == "CorrelationSimilarity"
    assert trends.loc[0, "score"] == pytest.approx(0.0)
    assert trends.loc[0, ["real_correlation", "synthetic_correlation"]].tolist() == \
        pytest.approx([1.0, -1.0])


def test_constant_numeric_pair_falls_back_to_contingency():
    real = pd.DataFrame({"x": np.ones(20), "y": np.arange(20.0)})
    trends = pair_trends(real, real)
    assert trends.loc[0, "metric"] == "ContingencySimilarity"
    assert trends.loc[0, "score"] == 1.0


def test_single_column_has_no_pairs():
    trends = pair_trends(pd.DataFrame({"x": [1.0, 2.0]}), pd.DataFrame({"x": [1.0]}))
    assert trends.empty and "score" in trends.columns


def test_shifted_numbers_fail_the_mmd_and_precision():
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + [1.0, 0.0]
    assert mmd_test(X, Y, random_state=0)[1] < 0.01
    # collapsed around the mode: faithful (precise) but not diverse (no recall)
    shrunk = precision_recall_coverage(X, 0.1 * (Y - [1.0, 0.0]))
    assert shrunk["precision"] > 0.9 and shrunk["recall"] < 0.1 and shrunk["coverage"] < 0.2


def test_numpy_arrays_are_tables():
    rng = np.random.RandomState(0)
    a, b = rng.normal(size=(300, 2)), rng.normal(size=(300, 2))
    assert detection_auc(a, b, random_state=0) < 0.6
    assert detection_auc(a, b + 5.0, random_state=0) > 0.99
    assert column_shapes(a, b)["column"].tolist() == [0, 1]


def test_detection_auc_balances_classes_and_is_reproducible(same):
    real, synthetic = same
    # 2000 real rows against 100 synthetic ones: the real table is subsampled
    first = detection_auc(real, synthetic[:100], random_state=3)
    assert first == detection_auc(real, synthetic[:100], random_state=3)
    assert 0.3 < first < 0.7


def test_detection_auc_many_categories():
    rng = np.random.RandomState(0)
    ids = [f"id{i}" for i in range(400)]  # more categories than the booster's 255 bins
    real = pd.DataFrame({"id": rng.choice(ids, 600), "v": rng.normal(size=600)})
    synthetic = pd.DataFrame({"id": rng.choice(ids, 600), "v": rng.normal(size=600)})
    assert detection_auc(real, synthetic, random_state=0) < 0.6
    synthetic["id"] = rng.choice(["new0", "new1"], 600)
    assert detection_auc(real, synthetic, random_state=0) > 0.95


# --- privacy -----------------------------------------------------------------

def test_copying_the_training_set_is_flagged(same):
    train, holdout = same[0][:1000], same[1][:500]
    copy = train.sample(700, random_state=0)
    result = distance_to_closest_record(train, copy, holdout)
    assert result["synthetic_median"] == 0.0
    assert result["synthetic_share_closer"] == 1.0
    assert result["synthetic_exact_share"] == 1.0
    assert result["holdout_median"] > 0.0
    assert result["flagged"] and result["p_value"] < 1e-6


def test_fresh_samples_are_not_flagged(same):
    train, holdout = same[0][:1000], same[1][:500]
    fresh = same[1][500:1500]
    result = distance_to_closest_record(train, fresh, holdout)
    assert not result["flagged"]
    assert result["synthetic_share_closer"] < 0.1
    assert result["holdout_share_closer"] == pytest.approx(0.05, abs=0.01)
    assert result["synthetic_median"] == pytest.approx(result["holdout_median"], rel=0.2)


def naive_gower(a, b, kinds, ranges):
    total = 0.0
    for u, v, kind, scale in zip(a, b, kinds, ranges):
        u_missing, v_missing = pd.isna(u), pd.isna(v)
        if u_missing or v_missing:
            total += 0.0 if u_missing and v_missing else 1.0
        elif kind == _tm.CATEGORICAL:
            total += float(u != v)
        else:
            total += min(abs(u - v) / scale, 1.0)
    return total / len(kinds)


def test_gower_nearest_matches_a_naive_loop_in_small_blocks():
    train, query = mixed_table(40, 0), mixed_table(15, 1, shift=0.5)
    train.loc[3, "city"] = np.nan
    query.loc[[0, 4], "city"] = np.nan
    query.loc[2, "x"] = np.nan
    names = ["train", "query"]
    frames, kinds = _tm.check_tables([train, query], names)
    (tr, qu), _ = _tm.encode(frames, kinds, names)
    ranges = _tm.column_ranges(tr, kinds)
    fast = _tm.gower_nearest(qu, tr, kinds, ranges, chunk_elements=7)  # 1-row blocks
    rows_t = train.astype(object).to_numpy()
    expected = [min(naive_gower(q, t, kinds, ranges) for t in rows_t)
                for q in query.astype(object).to_numpy()]
    np.testing.assert_allclose(fast, expected, atol=1e-12)


# --- oracles -----------------------------------------------------------------

def test_ks_complement_matches_scipy():
    rng = np.random.RandomState(0)
    a, b = rng.normal(size=57), np.round(rng.normal(0.3, 1, 41), 1)
    b[3] = np.nan
    expected = 1 - ks_2samp(a, b[~np.isnan(b)]).statistic
    assert _tm.ks_complement(a, b) == pytest.approx(expected)


def test_contingency_similarity_by_hand():
    real = pd.DataFrame({"a": ["u", "u", "v", "v"], "b": [True, False, True, None]})
    synthetic = pd.DataFrame({"a": ["u", "u", "u", "v"], "b": [True, False, True, None]})
    # joint shares differ only in (u, True) 1/4 vs 2/4 and (v, True) 1/4 vs 0
    assert pair_trends(real, synthetic).loc[0, "score"] == pytest.approx(0.75)
    shapes = column_shapes(real, synthetic)["score"].tolist()
    assert shapes == pytest.approx([0.75, 1.0])  # missing cells ignored in shapes


def naive_prdc(real, fake, k):
    def dist(p, q):
        return np.sqrt(((p - q) ** 2).sum())

    def radius(points, i):
        return sorted(dist(points[i], points[j]) for j in range(len(points)) if j != i)[k - 1]

    r_real = [radius(real, i) for i in range(len(real))]
    r_fake = [radius(fake, j) for j in range(len(fake))]
    inside = [[dist(y, x) <= r for x, r in zip(real, r_real)] for y in fake]
    return {
        "precision": np.mean([any(row) for row in inside]),
        "recall": np.mean([any(dist(x, y) <= r for y, r in zip(fake, r_fake)) for x in real]),
        "density": np.sum(inside) / (k * len(fake)),
        "coverage": np.mean([any(inside[j][i] for j in range(len(fake)))
                             for i in range(len(real))]),
    }


def test_precision_recall_coverage_matches_naive_loops():
    rng = np.random.RandomState(1)
    real, fake = rng.normal(size=(30, 2)), rng.normal(0.5, 1.3, size=(25, 2))
    fast = precision_recall_coverage(real, fake, k=3)
    assert fast == pytest.approx(naive_prdc(real, fake, 3))


def test_mmd_statistic_matches_naive_sums():
    rng = np.random.RandomState(2)
    X, Y = rng.normal(size=(12, 2)), rng.normal(0.5, 1, size=(9, 2))
    Z = np.vstack([X, Y])
    dists = np.sqrt(((Z[:, None] - Z[None]) ** 2).sum(-1))
    sigma = np.median(dists[np.triu_indices(len(Z), 1)])
    k = np.exp(-dists**2 / (2 * sigma**2))
    n, m = len(X), len(Y)
    kxx, kyy, kxy = k[:n, :n], k[n:, n:], k[:n, n:]
    expected = ((kxx.sum() - n) / (n * (n - 1)) + (kyy.sum() - m) / (m * (m - 1))
                - 2 * kxy.mean())
    statistic, p_value = mmd_test(X, Y, n_permutations=50, random_state=0)
    assert statistic == pytest.approx(expected)
    assert 1 / 51 <= p_value <= 1
    assert mmd_test(X, Y, n_permutations=50, random_state=0) == (statistic, p_value)


# --- the report and its figure -----------------------------------------------

def test_report_with_holdout(same):
    real, synthetic = same[0][:500], same[1][:500]
    report = synthetic_data_report(real, synthetic, holdout=same[1][1500:1800],
                                   random_state=0)
    assert report.columns.tolist() == ["metric", "column", "column_2", "score"]
    metrics = set(report["metric"])
    assert {"detection_auc", "KSComplement", "TVComplement", "CorrelationSimilarity",
            "ContingencySimilarity", "column_shapes", "pair_trends",
            "MissingValueSimilarity", "precision", "recall", "density", "coverage", "mmd",
            "mmd_p_value", "dcr_synthetic_median", "dcr_p_value"} <= metrics
    scores = report.groupby("metric")["score"].first()
    assert scores["detection_auc"] < 0.6 and scores["column_shapes"] > 0.9
    assert scores["mmd_p_value"] > 0.01
    assert report[report["metric"] == "MissingValueSimilarity"]["column"].tolist() == ["y"]
    assert len(report[report["metric"].isin(["KSComplement", "TVComplement"])]) == 6


def test_report_on_categories_only_skips_numeric_metrics():
    real = pd.DataFrame({"c": list("aabbc") * 10})
    report = synthetic_data_report(real, real.sample(frac=1, random_state=0), random_state=0)
    assert report["metric"].tolist() == ["detection_auc", "TVComplement", "column_shapes"]
    assert report["score"].iloc[1:].tolist() == [1.0, 1.0]


def test_plot_synthetic_report(same):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from skgen.plotting import plot_synthetic_report

    real, synthetic = same[0][:300], same[1][:300]
    fig = plot_synthetic_report(real, synthetic, n_cols=3)
    titles = [ax.get_title() for ax in fig.axes]
    shapes = column_shapes(real, synthetic)
    assert titles[:6] == [f"{c}  ({m[:2]} {s:.2f})" for c, m, s in shapes.itertuples(index=False)]
    assert {"pair trends (diagonal: column shapes)", "real correlation",
            "synthetic correlation"} <= set(titles)
    plt.close(fig)
    fig = plot_synthetic_report(pd.DataFrame({"c": ["a", "b"] * 5}),
                                pd.DataFrame({"c": ["a"] * 10}))
    assert [ax.get_title() for ax in fig.axes] == ["c  (TV 0.50)"]
    plt.close(fig)


# --- bad input ---------------------------------------------------------------

BAD = [
    (pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame({"b": [1.0, 2.0]}),
     r"same columns; synthetic lacks \['a'\] and has extra columns \['b'\]"),
    (pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame({"a": []}), "synthetic is empty"),
    (pd.DataFrame(), pd.DataFrame({"a": [1.0]}), "real has no columns"),
    (pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame({"a": ["x", "y"]}),
     "Column 'a' is numeric in real but categorical in synthetic"),
    (pd.DataFrame({"d": pd.to_datetime(["2020-01-01", "2021-01-01"])}),
     pd.DataFrame({"d": pd.to_datetime(["2020-01-01"])}), "Column 'd' of real holds dates"),
    (pd.DataFrame({"a": [1.0, np.inf]}), pd.DataFrame({"a": [1.0]}),
     "Column 'a' of real contains infinite"),
    (np.zeros(5), np.zeros((5, 1)), "real must be a table"),
]


@pytest.mark.parametrize("real, synthetic, message", BAD)
@pytest.mark.parametrize("metric", [column_shapes, pair_trends, detection_auc])
def test_bad_tables_raise_clear_errors(metric, real, synthetic, message):
    with pytest.raises(ValueError, match=message):
        metric(real, synthetic)


def test_bad_input_for_the_other_metrics():
    table = mixed_table(20, 0)
    with pytest.raises(ValueError, match="holdout lacks"):
        distance_to_closest_record(table, table, table.drop(columns="x"))
    with pytest.raises(ValueError, match="Column 'flag' is categorical"):
        precision_recall_coverage(table, table)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        mmd_test(table[["y"]], table[["y"]])
    with pytest.raises(ValueError, match="k=20"):
        precision_recall_coverage(table[["x"]], table[["x"]], k=20)
    with pytest.raises(ValueError, match="at least 2 rows"):
        mmd_test([[1.0]], [[2.0], [3.0]])
    with pytest.raises(ValueError, match="cv=5"):
        detection_auc(table[:3], table)
    with pytest.raises(ValueError, match="holdout is empty"):
        synthetic_data_report(table, table, holdout=table[:0])


# --- properties --------------------------------------------------------------

KINDS = st.sampled_from(["float", "int", "bool", "category", "object"])


def column_values(draw, kind, n):
    if kind == "float":
        cells = st.one_of(st.floats(-5, 5, allow_nan=False), st.just(np.nan))
        return pd.Series(draw(st.lists(cells, min_size=n, max_size=n)), dtype="float64")
    if kind == "int":
        return pd.Series(draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)))
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    values = draw(st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n, max_size=n))
    return pd.Series(values, dtype="category" if kind == "category" else object)


@st.composite
def table_pairs(draw):
    """Two small mixed tables with the same columns and column types."""
    kinds = draw(st.lists(KINDS, min_size=1, max_size=4))
    tables = []
    for _ in range(2):
        n = draw(st.integers(1, 8))
        tables.append(pd.DataFrame({f"c{j}": column_values(draw, kind, n)
                                    for j, kind in enumerate(kinds)}))
    return tables


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(tables=table_pairs())
def test_shape_and_trend_scores_are_similarities(tables):
    a, b = tables
    for real, synthetic in ((a, b), (a, a)):
        shapes = column_shapes(real, synthetic)["score"].to_numpy()
        undefined = real.isna().all().to_numpy() | synthetic.isna().all().to_numpy()
        assert np.array_equal(np.isnan(shapes), undefined)
        assert ((shapes[~undefined] >= 0) & (shapes[~undefined] <= 1)).all()
        trends = pair_trends(real, synthetic)["score"].to_numpy()
        assert ((trends >= 0) & (trends <= 1 + 1e-12)).all()
    assert (column_shapes(a, a)["score"].dropna() == 1).all()
    assert np.allclose(pair_trends(a, a)["score"], 1.0)
