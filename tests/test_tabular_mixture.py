"""TabularMixture: exact mixed-type likelihoods, missing cells, dtypes kept."""

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate
from sklearn.model_selection import GridSearchCV

from skgen import io
from skgen.datasets import CustomerNetwork, make_customer_table
from skgen.tabular import TabularMixture, UnseenCategoryWarning, infer_column_types


@pytest.fixture(scope="module")
def customers():
    return (make_customer_table(4000, random_state=0),
            make_customer_table(4000, random_state=1))


@pytest.fixture(scope="module")
def fitted(customers):
    return TabularMixture(random_state=0).fit(customers[0])


def _small_table(n=300, seed=0):
    rng = np.random.RandomState(seed)
    colour = rng.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2])
    return pd.DataFrame({
        "colour": pd.Categorical(colour, categories=["red", "green", "blue"]),
        "flag": rng.uniform(size=n) < np.where(colour == "red", 0.8, 0.3),
        "n": rng.poisson(np.where(colour == "red", 1.0, 4.0)),
        "x": rng.normal(np.where(colour == "red", -1.0, 2.0), 1.0),
    })


# ------------------------------------------------------------- likelihood
def test_heldout_likelihood_close_to_the_true_network(customers, fitted):
    """The network is a mixture of six products: EM recovers it within 0.05 nat/row."""
    train, test = customers
    truth = CustomerNetwork().score_samples(test).mean()
    assert fitted.score(test) == pytest.approx(truth, abs=0.05)
    assert fitted.score(test) < truth + 0.02  # no model beats the truth, except by chance


def test_probability_mass_is_one_on_a_small_table():
    """Sum over every discrete value and integrate the continuous column: 1 +- 1e-3."""
    model = TabularMixture(n_components=3, random_state=0).fit(_small_table())
    grid = np.linspace(-15, 15, 6001)
    total = 0.0
    for colour, flag, n in itertools.product(["red", "green", "blue"], [False, True],
                                             range(60)):
        rows = pd.DataFrame({"colour": colour, "flag": flag, "n": n, "x": grid})
        total += integrate.trapezoid(np.exp(model.score_samples(rows)), grid)
    assert total == pytest.approx(1.0, abs=1e-3)


def test_lognormal_column_integrates_to_one_with_its_jacobian():
    rng = np.random.RandomState(0)
    df = pd.DataFrame({"amount": np.exp(rng.normal(1.0, 0.5, 500))})
    model = TabularMixture(n_components=2, random_state=0).fit(df)
    assert model.lognormal_.tolist() == [True]
    grid = np.exp(np.linspace(-6, 6, 20001))
    p = np.exp(model.score_samples(pd.DataFrame({"amount": grid})))
    assert integrate.trapezoid(p, grid) == pytest.approx(1.0, abs=1e-3)
    assert model.score_samples(pd.DataFrame({"amount": [0.0, -1.0]})).tolist() == [-np.inf] * 2


def test_missing_cells_are_marginalized_exactly():
    model = TabularMixture(n_components=3, random_state=0).fit(_small_table())
    row = pd.DataFrame({"colour": ["green"], "flag": [True], "n": [2], "x": [0.5]})
    # a missing continuous cell: the integral over it
    grid = np.linspace(-15, 15, 6001)
    full = pd.DataFrame({"colour": "green", "flag": True, "n": 2, "x": grid})
    marginal = np.exp(model.score_samples(row.assign(x=np.nan)))[0]
    assert marginal == pytest.approx(
        integrate.trapezoid(np.exp(model.score_samples(full)), grid), rel=1e-6)
    # a missing categorical cell: the sum over its categories
    rows = pd.concat([row.assign(colour=c) for c in ["red", "green", "blue"]])
    expected = np.exp(model.score_samples(rows)).sum()
    assert np.exp(model.score_samples(row.assign(colour=None)))[0] == pytest.approx(expected)
    # everything missing: probability one
    empty = pd.DataFrame({"colour": [None], "flag": [None], "n": [None], "x": [np.nan]})
    assert model.score_samples(empty)[0] == pytest.approx(0.0, abs=1e-12)


def test_em_with_missing_cells_beats_dropping_incomplete_rows():
    """20% of cells missing at random: EM on every row against complete rows only."""
    train = make_customer_table(3000, missing_rate=0.2, random_state=0)
    test = make_customer_table(3000, missing_rate=0.2, random_state=1)
    truth = CustomerNetwork().score_samples(test).mean()
    em = TabularMixture(random_state=0).fit(train)
    dropped = TabularMixture(random_state=0).fit(train.dropna())
    assert em.score(test) == pytest.approx(truth, abs=0.05)
    assert em.score(test) > dropped.score(test)


def test_bic_chooses_the_true_number_of_components(fitted):
    # six latent (segment, membership) combinations; BIC may merge the two
    # closest but must not invent many more
    assert 4 <= fitted.n_components_ <= 8
    assert fitted.weights_.sum() == pytest.approx(1.0)


def test_n_components_by_cross_validated_likelihood(customers):
    search = GridSearchCV(TabularMixture(random_state=0), {"n_components": [1, 6]}, cv=3)
    search.fit(customers[0].iloc[:1500])
    assert search.best_params_ == {"n_components": 6}


def test_predict_proba_rows_sum_to_one(customers, fitted):
    proba = fitted.predict_proba(customers[1].iloc[:50])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_samples_match_the_fitted_marginals(customers, fitted):
    synthetic = fitted.sample(20000, random_state=0)
    real = customers[1]
    for col in ["segment", "channel"]:
        np.testing.assert_allclose(synthetic[col].value_counts(normalize=True).sort_index(),
                                   real[col].value_counts(normalize=True).sort_index(),
                                   atol=0.03)
    assert synthetic["member"].mean() == pytest.approx(real["member"].mean(), abs=0.03)
    assert synthetic["visits"].mean() == pytest.approx(real["visits"].mean(), rel=0.05)
    assert np.log(synthetic["spend"]).mean() == pytest.approx(
        np.log(real["spend"]).mean(), abs=0.05)


# ------------------------------------------------------------------ dtypes
_KINDS = st.sampled_from(["float", "int", "Int64", "bool", "boolean", "category",
                          "ordered", "object", "string"])


def _column(kind, n, rng):
    if kind == "float":
        return rng.normal(size=n)
    if kind == "int":
        return rng.poisson(3, size=n)
    if kind == "Int64":
        return pd.array(np.where(rng.uniform(size=n) < 0.2, None, rng.poisson(3, size=n)),
                        dtype="Int64")
    if kind == "bool":
        return rng.uniform(size=n) < 0.4
    if kind == "boolean":
        return pd.array(np.where(rng.uniform(size=n) < 0.2, None, rng.uniform(size=n) < 0.5),
                        dtype="boolean")
    values = rng.choice(["b", "a", "c"], size=n)
    if kind == "category":
        return pd.Categorical(values, categories=["c", "a", "b", "unused"])
    if kind == "ordered":
        return pd.Categorical(values, categories=["a", "b", "c"], ordered=True)
    if kind == "string":
        return pd.array(values, dtype="string")
    return pd.Series(values, dtype=object)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=st.lists(_KINDS, min_size=1, max_size=5), seed=st.integers(0, 1000))
def test_sample_keeps_every_dtype(kinds, seed):
    rng = np.random.RandomState(seed)
    df = pd.DataFrame({f"c{i}": _column(kind, 40, rng) for i, kind in enumerate(kinds)})
    model = TabularMixture(n_components=2, random_state=0).fit(df)
    synthetic = model.sample(25, random_state=1)
    assert list(synthetic.columns) == list(df.columns)
    for name in df.columns:
        assert synthetic[name].dtype == df[name].dtype, name
        if isinstance(df[name].dtype, pd.CategoricalDtype):
            assert list(synthetic[name].cat.categories) == list(df[name].cat.categories)
    assert np.isfinite(model.score_samples(synthetic)).all()


def test_column_types_can_be_overridden():
    df = pd.DataFrame({"zip": [1000, 2000, 1000, 3000] * 10, "x": np.arange(40.0)})
    model = TabularMixture(n_components=1, column_types={"zip": "categorical"}).fit(df)
    assert [s["kind"] for s in model.schema_] == ["categorical", "continuous"]
    assert model.sample(5, random_state=0)["zip"].dtype == np.int64
    assert set(model.sample(50, random_state=0)["zip"]) <= {1000, 2000, 3000}


# ------------------------------------------------------------- bad input
def test_unseen_category_gives_minus_inf_with_a_warning(fitted, customers):
    rows = customers[1].iloc[:3].copy()
    rows["channel"] = rows["channel"].cat.add_categories(["fax"])
    rows.iloc[0, rows.columns.get_loc("channel")] = "fax"
    with pytest.warns(UnseenCategoryWarning, match="'channel' \\(1 rows\\)"):
        scores = fitted.score_samples(rows)
    assert scores[0] == -np.inf and np.isfinite(scores[1:]).all()


def test_dates_raise_naming_the_column_and_what_to_do():
    df = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=5), "x": np.arange(5.0)})
    with pytest.raises(TypeError, match="Column 'when' holds dates.*days since"):
        TabularMixture().fit(df)


def test_wrong_columns_raise_and_leave_the_model_unchanged(fitted, customers):
    before = fitted.weights_.copy()
    with pytest.raises(ValueError, match="missing \\['channel'\\]"):
        fitted.score_samples(customers[1].drop(columns="channel"))
    with pytest.raises(ValueError, match="column_types names columns"):
        TabularMixture(column_types={"nope": "count"}).fit(customers[1])
    model = TabularMixture(n_components=2, random_state=0).fit(customers[0].iloc[:200])
    weights = model.weights_.copy()
    model.set_params(column_types={"visits": "count"})
    with pytest.raises(ValueError, match="'visits' is typed 'count' but holds non-integer"):
        model.fit(customers[0].assign(visits=0.5))
    np.testing.assert_array_equal(model.weights_, weights)
    np.testing.assert_array_equal(fitted.weights_, before)
    with pytest.raises(ValueError, match="column type"):
        infer_column_types(customers[1], {"spend": "money"})


def test_numeric_estimators_refuse_text_columns_naming_them():
    from skgen.classical import Gaussian

    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "city": ["Oslo", "Rome", "Oslo"]})
    with pytest.raises(ValueError, match="'city'.*skgen.tabular"):
        Gaussian().fit(df)


# ------------------------------------------------------------- protocol
def test_reproducible_and_saved_safely(tmp_path, customers, fitted):
    again = TabularMixture(random_state=0).fit(customers[0])
    np.testing.assert_array_equal(again.weights_, fitted.weights_)
    path = tmp_path / "model.skgen"
    io.save(fitted, path)
    loaded = io.load(path)
    test = customers[1].iloc[:100]
    np.testing.assert_allclose(loaded.score_samples(test), fitted.score_samples(test))
    pd.testing.assert_frame_equal(loaded.sample(10, random_state=3),
                                  fitted.sample(10, random_state=3))


def test_fits_a_real_table_with_missing_cells():
    """scikit-learn's bundled wine table, its class a category, 10% of cells knocked out."""
    from sklearn.datasets import load_wine

    df = load_wine(as_frame=True).frame
    df["target"] = df["target"].astype("category")
    df["magnesium"] = df["magnesium"].astype(int)
    df = df.mask(np.random.RandomState(0).uniform(size=df.shape) < 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = TabularMixture(random_state=0).fit(df.iloc[:120])
    assert np.isfinite(model.score_samples(df.iloc[120:])).all()
    assert (model.sample(5, random_state=0).dtypes == df.dtypes).all()


# ------------------------------------------------------------- count models
def test_huge_counts_are_refused_by_name():
    # found by test_fuzz: a constant count column of 2**62 gave NaN log-densities
    X = pd.DataFrame({"n": np.full(10, 2**62, dtype=np.int64)})
    with pytest.raises(ValueError, match="'n' holds integers as large as 4.61e\\+18"):
        TabularMixture(n_components=2, random_state=0).fit(X)
    model = TabularMixture(column_types={"n": "continuous"}, random_state=0).fit(X)
    assert np.isfinite(model.score_samples(X)).all()


def test_count_model_follows_the_column():
    """Event counts are Poisson, a small range of codes categorical, wide integers
    a rounded normal."""
    rng = np.random.RandomState(0)
    df = pd.DataFrame({
        "events": rng.poisson(rng.choice([1.0, 6.0], size=600)),
        "cylinders": rng.choice([4, 6, 8], size=600, p=[0.5, 0.2, 0.3]),
        "weight": np.round(rng.normal(3000, 800, size=600)).astype(int),
    })
    model = TabularMixture(n_components=2, random_state=0).fit(df)
    assert model.count_models_ == ["poisson", "categorical", "discretized_normal"]
    assert model.count_ranges_ == [None, [4, 8], None]
    synthetic = model.sample(2000, random_state=0)
    assert set(synthetic["cylinders"]) <= {4, 5, 6, 7, 8}
    assert synthetic["weight"].std() == pytest.approx(df["weight"].std(), rel=0.1)
    with pytest.warns(UserWarning, match="'cylinders' \\(1 rows outside \\[4, 8\\]"):
        scores = model.score_samples(df.iloc[:2].assign(cylinders=[12, 4]))
    assert scores[0] == -np.inf and np.isfinite(scores[1])


@pytest.mark.parametrize("counts", ["poisson", "discretized_normal", "categorical"])
def test_every_count_model_sums_to_one(counts):
    rng = np.random.RandomState(1)
    df = pd.DataFrame({"k": rng.poisson(3, size=300), "g": rng.choice(["a", "b"], 300)})
    model = TabularMixture(n_components=2, counts=counts, random_state=0).fit(df)
    grid = pd.DataFrame({"k": np.tile(np.arange(-40, 80), 2),
                         "g": np.repeat(["a", "b"], 120)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # impossible counts of the grid
        total = np.exp(model.score_samples(grid)).sum()
    assert total == pytest.approx(1.0, abs=1e-6)


# ------------------------------------------------- marginals, conditionals
def test_marginal_scores_equal_scores_with_missing_cells(customers, fitted):
    test = customers[1].iloc[:300]
    marginal = fitted.marginal(["spend", "segment"])
    assert [s["name"] for s in marginal.schema_] == ["spend", "segment"]
    with_holes = test.assign(member=None, visits=pd.NA, channel=None)
    np.testing.assert_allclose(fitted.score_samples(with_holes),
                               marginal.score_samples(test[["spend", "segment"]]))
    assert list(marginal.sample(5, random_state=0).columns) == ["spend", "segment"]


def test_conditional_follows_the_chain_rule(customers, fitted):
    row = customers[1].iloc[[3]]
    given = row.copy()
    given[["visits", "spend", "channel"]] = None
    conditional = fitted.conditional(given)
    assert conditional.weights_.sum() == pytest.approx(1.0)
    left = (fitted.marginal(["segment", "member"]).score_samples(row[["segment", "member"]])
            + conditional.score_samples(row[["visits", "spend", "channel"]]))
    np.testing.assert_allclose(left, fitted.score_samples(row), rtol=1e-10)


def test_conditional_samples_match_the_network(fitted):
    """Premium members: visits ~ Poisson(16), log(spend) ~ N(4.5, 0.3^2)."""
    draws = fitted.conditional({"segment": "premium", "member": True}).sample(
        4000, random_state=0)
    assert list(draws.columns) == ["visits", "spend", "channel"]
    assert draws["visits"].mean() == pytest.approx(16, rel=0.05)
    assert np.log(draws["spend"]).mean() == pytest.approx(4.5, abs=0.05)
    assert (draws["channel"] == "web").mean() == pytest.approx(0.6, abs=0.04)


def test_sample_given_completes_rows_and_keeps_what_is_given(customers, fitted):
    given = customers[1].iloc[:50].copy()
    given.loc[given.index[::2], "spend"] = np.nan
    given.loc[given.index[1::2], "segment"] = None
    out = fitted.sample(given=given, random_state=0)
    assert out.notna().all().all() and out.dtypes.equals(given.dtypes)
    kept = given.notna()
    pd.testing.assert_frame_equal(out.where(kept), given.where(kept), check_dtype=False)
    with pytest.raises(ValueError, match="probability zero"):
        fitted.conditional({"segment": "budget", "visits": -3})


# ---------------------------------------------------------------- streaming
def test_partial_fit_over_ten_chunks_comes_within_002_nat_of_fit():
    df = make_customer_table(10000, missing_rate=0.1, random_state=0)
    test = make_customer_table(5000, random_state=1)
    full = TabularMixture(n_components=6, random_state=0).fit(df)
    streamed = TabularMixture(n_components=6, random_state=0)
    for chunk in np.array_split(np.arange(len(df)), 10):
        streamed.partial_fit(df.iloc[chunk])
    assert streamed.n_rows_seen_ == len(df)
    assert streamed.score(test) == pytest.approx(full.score(test), abs=0.02)
    assert streamed.sufficient_statistics_["n"].sum() == pytest.approx(len(df))


def test_partial_fit_refuses_rows_the_first_chunk_made_impossible():
    df = make_customer_table(2000, random_state=0)
    model = TabularMixture(n_components=3, random_state=0).partial_fit(df.iloc[:1000])
    weights = model.weights_.copy()
    later = df.iloc[1000:1010].copy()
    later["channel"] = later["channel"].cat.add_categories(["fax"])
    later.iloc[0, later.columns.get_loc("channel")] = "fax"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenCategoryWarning)
        with pytest.raises(ValueError, match="impossible under the model fixed by the first"):
            model.partial_fit(later)
    np.testing.assert_array_equal(model.weights_, weights)
    assert model.n_rows_seen_ == 1000
