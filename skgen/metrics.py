"""Metrics for generative models: likelihoods and sample quality.

Two questions from the lecture's Hello World organise the sample-quality
metrics. *Point A*: the model generates it, the data never would (a point at
sea) — measured by :func:`impossible_sample_fraction`. *Point B*: the data
contain it, the model never can (a point outside the box) — measured by
:func:`missed_data_fraction`. A good model has both near zero.

Synthetic tables (pandas DataFrames mixing numbers, booleans and categories,
with missing cells) are judged by :func:`synthetic_data_report`, which
gathers: :func:`detection_auc` (can a classifier tell synthetic rows from real
ones?), :func:`column_shapes` and :func:`pair_trends` (marginals and pairwise
dependence, as SDMetrics defines them), :func:`distance_to_closest_record`
(privacy: were training rows copied?), and for numeric tables
:func:`precision_recall_coverage` and :func:`mmd_test`.
"""

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier
from sklearn.metrics import roc_auc_score
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from . import _table_metrics as _tm
from .base import get_likelihood_kind

__all__ = [
    "bits_per_dimension",
    "classifier_two_sample_auc",
    "column_shapes",
    "detection_auc",
    "distance_to_closest_record",
    "energy_distance",
    "impossible_sample_fraction",
    "mean_log_likelihood",
    "missed_data_fraction",
    "mmd_test",
    "pair_trends",
    "precision_recall_coverage",
    "synthetic_data_report",
]


def mean_log_likelihood(estimator, X, y=None):
    """Mean log-likelihood of ``X`` under a fitted estimator, in nats per row.

    Parameters
    ----------
    estimator : fitted estimator with ``score_samples``
        Its ``likelihood_kind`` must not be ``"none"``.
    X : array-like of shape (n_samples, n_features)
        Held-out data.
    y : array-like of shape (n_samples,), default=None
        Labels, for conditional models.

    Returns
    -------
    mean_log_likelihood : float
        ``mean(score_samples(X))``; ``-inf`` when any row has zero density.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import Gaussian
    >>> from skgen.metrics import mean_log_likelihood
    >>> X = np.random.RandomState(0).normal(size=(1000, 1))
    >>> round(mean_log_likelihood(Gaussian().fit(X), X), 2)
    -1.41
    """
    if get_likelihood_kind(estimator) == "none":
        raise ValueError(
            f"{type(estimator).__name__} defines no density (likelihood_kind='none'); "
            "use sample-quality metrics such as classifier_two_sample_auc instead."
        )
    scores = estimator.score_samples(X) if y is None else estimator.score_samples(X, y=y)
    return float(np.mean(scores))


def bits_per_dimension(log_likelihood, n_features, *, n_levels=None):
    """Convert a mean log-likelihood in nats per row to bits per dimension.

    Parameters
    ----------
    log_likelihood : float or array-like
        Mean log-likelihood per row, in nats (``score``). For discrete data
        modelled through dequantization, the continuous log-density of the
        dequantized data scaled to ``[0, 1]``.
    n_features : int
        Number of dimensions per row.
    n_levels : int, default=None
        When data with ``n_levels`` discrete values per dimension were scaled
        to ``[0, 1]`` before modelling (``x / n_levels``), pass it to undo the
        scaling's Jacobian: ``log p(x_int) = log p(x_scaled) - d log(n_levels)``.

    Returns
    -------
    bpd : float or ndarray
        ``-log_likelihood / (n_features * log 2)``, after the correction.

    Examples
    --------
    >>> from skgen.metrics import bits_per_dimension
    >>> bits_per_dimension(-8 * 0.6931471805599453, 8)
    1.0
    """
    ll = np.asarray(log_likelihood, dtype=float)
    if n_levels is not None:
        ll = ll - n_features * np.log(n_levels)
    out = -ll / (n_features * np.log(2.0))
    return float(out) if out.ndim == 0 else out


def impossible_sample_fraction(p_data, samples):
    """Share of model samples that the true distribution could never produce.

    The lecture's *point A*: the model generates it, the data never would.
    Counts samples where the true density is zero (``score_samples == -inf``),
    for example points at sea when the data are uniform on land.

    Parameters
    ----------
    p_data : object with ``score_samples``
        The true distribution, such as :class:`skgen.datasets.WorldMap`.
    samples : array-like of shape (n_samples, n_features)
        Samples drawn from the model.

    Returns
    -------
    fraction : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import UniformBox
    >>> from skgen.metrics import impossible_sample_fraction
    >>> truth = UniformBox().fit([[0.0], [1.0]])
    >>> impossible_sample_fraction(truth, [[0.5], [2.0], [0.1], [-1.0]])
    0.5
    """
    samples = check_array(samples)
    return float(np.mean(np.isneginf(p_data.score_samples(samples))))


def missed_data_fraction(model, X):
    """Share of (held-out) data that the model can never generate.

    The lecture's *point B*: the data contain it, the model gives it density
    zero (``score_samples == -inf``), for example a point outside the fitted
    box. Such a point makes the held-out log-likelihood ``-inf``.

    Parameters
    ----------
    model : fitted estimator with ``score_samples``
    X : array-like of shape (n_samples, n_features)
        Data from the true distribution, not used for fitting.

    Returns
    -------
    fraction : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.classical import UniformBox
    >>> from skgen.metrics import missed_data_fraction
    >>> box = UniformBox().fit([[0.0], [1.0]])
    >>> missed_data_fraction(box, [[0.5], [1.5]])
    0.5
    """
    if get_likelihood_kind(model) == "none":
        raise ValueError(
            f"{type(model).__name__} defines no density, so no point has density zero "
            "under it; compare samples with classifier_two_sample_auc instead."
        )
    return float(np.mean(np.isneginf(model.score_samples(X))))


def classifier_two_sample_auc(X_real, X_generated, *, classifier=None, cv=5,
                              random_state=None):
    """Classifier two-sample test: cross-validated ROC AUC of real vs generated.

    A classifier is trained to tell real rows from generated ones; its
    held-out AUC is 0.5 when the two samples come from the same distribution
    and approaches 1 when they are easy to tell apart.

    Parameters
    ----------
    X_real : array-like of shape (n_real, n_features)
    X_generated : array-like of shape (n_generated, n_features)
    classifier : classifier with ``predict_proba``, default=None
        ``None`` uses a k-nearest-neighbours classifier on standardized
        features with ``k = sqrt(n)``.
    cv : int, default=5
        Number of stratified folds.
    random_state : int, RandomState instance or None, default=None
        Seed for the fold split.

    Returns
    -------
    auc : float in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.metrics import classifier_two_sample_auc
    >>> rng = np.random.RandomState(0)
    >>> a, b = rng.normal(size=(500, 2)), rng.normal(size=(500, 2))
    >>> classifier_two_sample_auc(a, b, random_state=0) < 0.6
    True
    >>> classifier_two_sample_auc(a, b + 3, random_state=0) > 0.95
    True
    """
    X_real, X_generated = check_array(X_real), check_array(X_generated)
    if X_real.shape[1] != X_generated.shape[1]:
        raise ValueError(
            f"X_real has {X_real.shape[1]} features but X_generated has "
            f"{X_generated.shape[1]}."
        )
    X = np.vstack([X_real, X_generated])
    y = np.r_[np.zeros(len(X_real)), np.ones(len(X_generated))]
    if classifier is None:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        k = max(1, int(np.sqrt(len(X))))
        classifier = make_pipeline(StandardScaler(), KNeighborsClassifier(k))
    rng = check_random_state(random_state)
    folds = StratifiedKFold(cv, shuffle=True, random_state=rng.randint(2**31 - 1))
    proba = cross_val_predict(classifier, X, y, cv=folds, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, proba))


def energy_distance(X, Y):
    """Energy distance between two samples (Székely & Rizzo).

    ``2 E|X - Y| - E|X - X'| - E|Y - Y'|`` with Euclidean norms; zero when the
    two distributions are equal, positive otherwise. Quadratic in the sample
    sizes: subsample large inputs.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
    Y : array-like of shape (m, n_features)

    Returns
    -------
    distance : float

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.metrics import energy_distance
    >>> rng = np.random.RandomState(0)
    >>> energy_distance(rng.normal(size=(300, 2)), rng.normal(size=(300, 2))) < 0.05
    True
    """
    from scipy.spatial.distance import cdist

    X, Y = check_array(X), check_array(Y)
    xy = cdist(X, Y).mean()
    xx = cdist(X, X).mean()
    yy = cdist(Y, Y).mean()
    return float(2 * xy - xx - yy)


# --- synthetic tables --------------------------------------------------------

def detection_auc(real, synthetic, *, cv=5, random_state=None):
    """Detection AUC: can a classifier tell synthetic rows from real ones?

    A classifier two-sample test for mixed tables. The larger table is
    subsampled to the size of the smaller (balanced classes), and scikit-learn's
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier` learns to tell
    the two apart, with native support for categories and missing cells:
    boolean, ``object``, ``string`` and ``category`` columns become pandas
    categoricals over the union of both tables' categories (beyond 255
    categories, the rarest share one code); from 50 rows per table on, the
    booster stops early on a validation part of each training fold, which
    keeps it from overfitting and fast. The score is the ROC AUC on held-out
    folds of a stratified cross-validation, averaged over folds.

    Parameters
    ----------
    real : DataFrame or array-like of shape (n_real, n_columns)
        Real rows. Numeric, integer, boolean, categorical, ``object`` and
        ``string`` columns; NaN marks a missing cell.
    synthetic : DataFrame or array-like of shape (n_synthetic, n_columns)
        Generated rows with the same columns (any order) of the same kinds.
    cv : int, default=5
        Number of stratified folds; each table needs at least ``cv`` rows.
    random_state : int, RandomState instance or None, default=None
        Seed for the subsampling, the folds and the booster.

    Returns
    -------
    auc : float in [0, 1]
        0.5 when the tables are indistinguishable (values a little below 0.5
        are chance), 1 when every synthetic row is recognised. A generator that
        copies its training rows scores 0.5 against them: check
        :func:`distance_to_closest_record` as well.

    See Also
    --------
    classifier_two_sample_auc : the same test for numeric arrays, any classifier.
    synthetic_data_report : every applicable synthetic-data metric at once.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skgen.metrics import detection_auc
    >>> rng = np.random.RandomState(0)
    >>> def table(n, shift=0.0):
    ...     return pd.DataFrame({"age": rng.normal(40 + shift, 10, n),
    ...                          "city": rng.choice(["Oslo", "Rome"], n)})
    >>> detection_auc(table(300), table(300), random_state=0) < 0.6
    True
    >>> detection_auc(table(300), table(300, shift=30), random_state=0) > 0.95
    True
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_score

    names = ["real", "synthetic"]
    frames, kinds = _tm.check_tables([real, synthetic], names)
    tables, _ = _tm.encode(frames, kinds, names)
    n = min(len(f) for f in frames)
    if n < cv:
        raise ValueError(
            f"detection_auc needs at least cv={cv} rows in each table (one per fold); "
            f"the smaller table has {n}. Give more rows or a smaller cv."
        )
    rng = check_random_state(random_state)
    for table in tables:  # balanced classes: n rows of each
        if len(table[0]) > n:
            keep = np.sort(rng.choice(len(table[0]), n, replace=False))
            table[:] = [column[keep] for column in table]
    X = _tm.detection_features(tables, kinds)
    y = np.r_[np.zeros(n), np.ones(n)]
    seed = rng.randint(2**31 - 1)
    booster = HistGradientBoostingClassifier(
        categorical_features="from_dtype", early_stopping=n >= 50, random_state=seed
    )
    folds = StratifiedKFold(cv, shuffle=True, random_state=seed)
    return float(np.mean(cross_val_score(booster, X, y, cv=folds, scoring="roc_auc")))


def column_shapes(real, synthetic):
    """How well each column's marginal distribution is reproduced (SDMetrics' column shapes).

    Numeric columns are scored by ``KSComplement``, one minus the two-sample
    Kolmogorov-Smirnov statistic (the largest gap between the two empirical
    CDFs); categorical ones (boolean, ``object``, ``string``, ``category``)
    by ``TVComplement``, one minus the total variation distance
    ``1/2 sum_c |p_real(c) - p_synthetic(c)|`` between category frequencies.
    Missing cells are ignored, as in SDMetrics (:func:`synthetic_data_report`
    compares missing shares separately).

    Parameters
    ----------
    real : DataFrame or array-like of shape (n_real, n_columns)
    synthetic : DataFrame or array-like of shape (n_synthetic, n_columns)
        Same columns, of the same kinds.

    Returns
    -------
    shapes : DataFrame
        One row per column, in ``real``'s order, with ``column``, ``metric``
        (``"KSComplement"`` or ``"TVComplement"``) and ``score`` in [0, 1]:
        1 when the marginals are the same, 0 when they do not overlap. NaN
        when a column has no observed value in one of the tables.

    See Also
    --------
    pair_trends : the same for pairs of columns.

    References
    ----------
    SDMetrics, "KSComplement" and "TVComplement",
    https://docs.sdv.dev/sdmetrics

    Examples
    --------
    >>> import pandas as pd
    >>> from skgen.metrics import column_shapes
    >>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "pet": ["cat", "cat", "dog", "dog"]})
    >>> synthetic = pd.DataFrame({"x": [1.0, 2.0, 3.0, 9.0], "pet": ["cat", "dog", "dog", "dog"]})
    >>> column_shapes(real, synthetic)
      column        metric  score
    0      x  KSComplement   0.75
    1    pet  TVComplement   0.75
    """
    names = ["real", "synthetic"]
    frames, kinds = _tm.check_tables([real, synthetic], names)
    (r, s), categories = _tm.encode(frames, kinds, names)
    rows = []
    for j, column in enumerate(frames[0].columns):
        if kinds[j] == _tm.NUMERIC:
            rows.append((column, "KSComplement", _tm.ks_complement(r[j], s[j])))
        else:
            score = _tm.tv_complement(r[j], s[j], len(categories[j]))
            rows.append((column, "TVComplement", score))
    return pd.DataFrame(rows, columns=["column", "metric", "score"])


def pair_trends(real, synthetic, *, n_bins=10):
    """How well the dependence between each pair of columns is reproduced.

    SDMetrics' column pair trends. Two numeric columns are scored by
    ``CorrelationSimilarity``, ``1 - |r_synthetic - r_real| / 2`` with
    Pearson's ``r`` over the rows where both cells are observed. Any other
    pair by ``ContingencySimilarity``, one minus the total variation distance
    between the two tables' normalized contingency tables, where numeric
    columns are cut into ``n_bins`` equal-width bins over the real column's
    range (values beyond it fall into the end bins) and a missing cell is a
    category of its own. A numeric pair whose correlation is undefined in
    either table (a constant column, fewer than two complete rows) falls back
    to ``ContingencySimilarity``.

    Parameters
    ----------
    real : DataFrame or array-like of shape (n_real, n_columns)
    synthetic : DataFrame or array-like of shape (n_synthetic, n_columns)
        Same columns, of the same kinds.
    n_bins : int, default=10
        Bins per numeric column in contingency tables (SDMetrics' default).

    Returns
    -------
    trends : DataFrame
        One row per pair of columns (in ``real``'s order) with ``column_1``,
        ``column_2``, ``metric``, ``score`` in [0, 1] (1 = same trend), and
        ``real_correlation``, ``synthetic_correlation`` (NaN for contingency
        rows). Empty, with these columns, for a single-column table.

    See Also
    --------
    column_shapes : the same for single columns.

    References
    ----------
    SDMetrics, "CorrelationSimilarity" and "ContingencySimilarity",
    https://docs.sdv.dev/sdmetrics

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skgen.metrics import pair_trends
    >>> x = np.arange(20.0)
    >>> real = pd.DataFrame({"x": x, "y": x, "big": x > 9})
    >>> synthetic = pd.DataFrame({"x": x, "y": -x, "big": x > 9})
    >>> pair_trends(real, synthetic)[["column_1", "column_2", "metric", "score"]]
      column_1 column_2                 metric  score
    0        x        y  CorrelationSimilarity    0.0
    1        x      big  ContingencySimilarity    1.0
    2        y      big  ContingencySimilarity    0.0
    """
    names = ["real", "synthetic"]
    frames, kinds = _tm.check_tables([real, synthetic], names)
    (r, s), categories = _tm.encode(frames, kinds, names)
    binned = [
        _tm.discretize([r[j], s[j]], kinds[j],
                       0 if categories[j] is None else len(categories[j]), n_bins)
        for j in range(len(kinds))
    ]
    columns = list(frames[0].columns)
    rows = []
    for i in range(len(columns)):
        for j in range(i + 1, len(columns)):
            r_real = r_synth = np.nan
            if kinds[i] == kinds[j] == _tm.NUMERIC:
                r_real, r_synth = _tm.pearson(r[i], r[j]), _tm.pearson(s[i], s[j])
            if np.isnan(r_real) or np.isnan(r_synth):
                (ci_r, ci_s), n_i = binned[i]
                (cj_r, cj_s), n_j = binned[j]
                metric = "ContingencySimilarity"
                score = _tm.contingency_similarity((ci_r, cj_r), (ci_s, cj_s), n_i, n_j)
            else:
                metric, score = "CorrelationSimilarity", 1.0 - abs(r_synth - r_real) / 2
            rows.append((columns[i], columns[j], metric, score, r_real, r_synth))
    return pd.DataFrame(rows, columns=["column_1", "column_2", "metric", "score",
                                       "real_correlation", "synthetic_correlation"])


def distance_to_closest_record(train, synthetic, holdout):
    """Privacy check: are synthetic rows closer to the training rows than new real rows are?

    For each synthetic row, the distance to its closest training row (DCR) is
    compared with the same distance for holdout rows: real rows from the same
    source that the generator never saw. A generator that learned the
    distribution and not the rows puts synthetic rows about as close to the
    training rows as holdout rows are; one that memorizes puts them at
    distance about 0.

    The distance between two rows is Gower-like: the mean over columns of a
    per-column distance in [0, 1] — ``min(|a - b| / range, 1)`` for numeric
    columns, with ``range`` the column's observed range in ``train`` (1 if it
    is constant), and 0 for equal / 1 for different categories. A missing cell
    is at distance 0 from another missing cell and 1 from any value, so
    missing-value patterns count as part of a row. Distances are computed in
    blocks, so memory stays bounded (about 32 MiB per block); time grows as
    ``(n_synthetic + n_holdout) * n_train * n_columns``.

    Parameters
    ----------
    train : DataFrame or array-like of shape (n_train, n_columns)
        The rows the generator was fitted on.
    synthetic : DataFrame or array-like of shape (n_synthetic, n_columns)
        Rows it generated, with the same columns of the same kinds.
    holdout : DataFrame or array-like of shape (n_holdout, n_columns)
        Real rows not used for fitting (a few hundred make the threshold
        stable).

    Returns
    -------
    result : dict
        ``synthetic_median``, ``holdout_median``
            Median DCR of synthetic and of holdout rows. A synthetic median
            well below the holdout's means rows were copied or nearly so;
            0 for a generator that copies its training set.
        ``threshold``
            The 5th percentile of the holdout DCRs: "very close to a
            training row", by the standard of new real data.
        ``synthetic_share_closer``, ``holdout_share_closer``
            Share of synthetic and of holdout rows with DCR at most
            ``threshold``. The holdout share is the baseline, about 0.05
            (more when ties, such as exact duplicates in a discrete table,
            sit at the threshold); a synthetic share well above it is a
            privacy risk, 1.0 for a copy of the training set.
        ``synthetic_exact_share``, ``holdout_exact_share``
            Share of rows equal to some training row (DCR = 0).
        ``p_value``
            One-sided two-proportion z-test that the synthetic share
            exceeds the holdout share (approximate: the threshold is itself
            estimated from the holdout).
        ``flagged``
            ``p_value < 0.01``: synthetic rows are closer to the training
            rows than real data explain.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skgen.metrics import distance_to_closest_record
    >>> rng = np.random.RandomState(0)
    >>> def table(n):
    ...     return pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(list("ab"), n)})
    >>> train, holdout = table(200), table(100)
    >>> copy = distance_to_closest_record(train, train.sample(100, random_state=0), holdout)
    >>> copy["synthetic_median"], copy["synthetic_share_closer"], copy["flagged"]
    (0.0, 1.0, True)
    >>> distance_to_closest_record(train, table(100), holdout)["flagged"]
    False
    """
    names = ["train", "synthetic", "holdout"]
    frames, kinds = _tm.check_tables([train, synthetic, holdout], names)
    (tr, sy, ho), _ = _tm.encode(frames, kinds, names)
    ranges = _tm.column_ranges(tr, kinds)
    d_synth = _tm.gower_nearest(sy, tr, kinds, ranges)
    d_hold = _tm.gower_nearest(ho, tr, kinds, ranges)
    threshold = float(np.quantile(d_hold, 0.05))
    close_synth, close_hold = d_synth <= threshold, d_hold <= threshold
    p_value = _tm.two_proportion_pvalue(close_synth.sum(), len(d_synth),
                                        close_hold.sum(), len(d_hold))
    return {
        "synthetic_median": float(np.median(d_synth)),
        "holdout_median": float(np.median(d_hold)),
        "threshold": threshold,
        "synthetic_share_closer": float(close_synth.mean()),
        "holdout_share_closer": float(close_hold.mean()),
        "synthetic_exact_share": float(np.mean(d_synth == 0)),
        "holdout_exact_share": float(np.mean(d_hold == 0)),
        "p_value": p_value,
        "flagged": bool(p_value < 0.01),
    }


def precision_recall_coverage(real, synthetic, *, k=5):
    """Precision, recall, density and coverage of synthetic rows, from k-NN balls.

    Around every real row is a ball reaching its k-th nearest other real row;
    their union estimates the support ("manifold") of the real distribution,
    and likewise for synthetic rows. Kynkäänniemi et al.'s *precision* is the
    share of synthetic rows inside the real manifold (fidelity), *recall* the
    share of real rows inside the synthetic manifold (diversity). Naeem et
    al.'s *density* counts how many real balls contain each synthetic row,
    divided by ``k`` (about 1 for matching distributions, robust to outliers
    in the real data; may exceed 1), and *coverage* is the share of real rows
    whose ball contains at least one synthetic row.

    Distances are Euclidean on the raw columns: standardize columns on
    different scales first. Distances are computed in blocks
    (scikit-learn's ``working_memory``).

    Parameters
    ----------
    real : DataFrame or array-like of shape (n_real, n_features)
        Numeric columns only, no missing values.
    synthetic : DataFrame or array-like of shape (n_synthetic, n_features)
    k : int, default=5
        Neighbours defining each ball; ``1 <= k < min(n_real, n_synthetic)``.

    Returns
    -------
    scores : dict
        ``precision``, ``recall``, ``coverage`` in [0, 1] and ``density``
        (>= 0); all near 1 when the two samples come from one distribution.

    References
    ----------
    T. Kynkäänniemi, T. Karras, S. Laine, J. Lehtinen, T. Aila, "Improved
    precision and recall metric for assessing generative models", NeurIPS 2019.
    M. F. Naeem, S. J. Oh, Y. Uh, Y. Choi, J. Yoo, "Reliable fidelity and
    diversity metrics for generative models", ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.metrics import precision_recall_coverage
    >>> rng = np.random.RandomState(0)
    >>> real, synthetic = rng.normal(size=(500, 2)), rng.normal(size=(500, 2))
    >>> scores = precision_recall_coverage(real, synthetic)
    >>> sorted(scores)
    ['coverage', 'density', 'precision', 'recall']
    >>> min(scores["precision"], scores["recall"]) > 0.9
    True
    >>> precision_recall_coverage(real, 0.1 * synthetic)["recall"] < 0.1
    True
    """
    real, synthetic = _tm.numeric_tables(real, synthetic, ["real", "synthetic"])
    n = min(len(real), len(synthetic))
    if not 1 <= k < n:
        raise ValueError(
            f"k={k} must be at least 1 and smaller than the number of rows of each "
            f"table (the smaller has {n})."
        )
    return _tm.prdc(real, synthetic, k)


def mmd_test(X, Y, *, n_permutations=200, random_state=None):
    """Kernel two-sample test: maximum mean discrepancy with a permutation p-value.

    The statistic is the unbiased estimate of the squared MMD between the
    distributions of ``X`` and ``Y`` under a Gaussian kernel
    ``exp(-|a - b|^2 / (2 sigma^2))``, ``sigma`` the median distance between
    rows of the pooled sample (the median heuristic). Under the null
    hypothesis that both samples come from one distribution, the pooled rows
    are exchangeable: the p-value is the share of random relabellings whose
    statistic is at least the observed one, ``(1 + #{>=}) / (1 +
    n_permutations)``. Memory and time are quadratic in ``n + m`` (the pooled
    kernel matrix): subsample inputs beyond a few thousand rows.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n, n_features)
        Numeric columns only, no missing values; at least 2 rows.
    Y : DataFrame or array-like of shape (m, n_features)
    n_permutations : int, default=200
        Random relabellings; the smallest p-value is ``1 / (1 + n_permutations)``.
    random_state : int, RandomState instance or None, default=None
        Seed for the relabellings.

    Returns
    -------
    statistic : float
        Unbiased MMD^2: about 0 (possibly slightly negative) for equal
        distributions, positive otherwise.
    p_value : float in (0, 1]

    References
    ----------
    A. Gretton, K. M. Borgwardt, M. J. Rasch, B. Schölkopf, A. Smola, "A kernel
    two-sample test", JMLR 13, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from skgen.metrics import mmd_test
    >>> rng = np.random.RandomState(0)
    >>> X, Y = rng.normal(size=(100, 2)), rng.normal(size=(100, 2))
    >>> statistic, p_value = mmd_test(X, Y, random_state=0)
    >>> p_value > 0.05
    True
    >>> mmd_test(X, Y + 1.0, random_state=0)[1]
    0.004975...
    """
    X, Y = _tm.numeric_tables(X, Y, ["X", "Y"])
    if len(X) < 2 or len(Y) < 2:
        raise ValueError(
            f"mmd_test needs at least 2 rows in each sample; got {len(X)} and {len(Y)}."
        )
    if n_permutations < 1:
        raise ValueError(f"n_permutations={n_permutations} must be at least 1.")
    K, _ = _tm.gaussian_gram(np.vstack([X, Y]))
    labels = np.r_[np.ones(len(X)), np.zeros(len(Y))]
    statistic = float(_tm.mmd2_unbiased(K, labels[:, None])[0])
    rng = check_random_state(random_state)
    exceed = 0
    for start in range(0, n_permutations, 64):
        size = min(64, n_permutations - start)
        A = np.stack([rng.permutation(labels) for _ in range(size)], axis=1)
        exceed += int(np.sum(_tm.mmd2_unbiased(K, A) >= statistic))
    return statistic, (1.0 + exceed) / (1.0 + n_permutations)


#: Rows of each table used by the report's quadratic-cost metrics (MMD, k-NN).
_REPORT_MAX_ROWS = 1000


def synthetic_data_report(real, synthetic, *, holdout=None, random_state=None):
    """Every applicable synthetic-data metric for a table, in one tidy DataFrame.

    Parameters
    ----------
    real : DataFrame or array-like of shape (n_real, n_columns)
        Real rows: with ``holdout``, the rows the generator was fitted on.
    synthetic : DataFrame or array-like of shape (n_synthetic, n_columns)
        Generated rows, with the same columns of the same kinds.
    holdout : DataFrame or array-like of shape (n_holdout, n_columns), default=None
        Real rows the generator never saw; enables the privacy rows.
    random_state : int, RandomState instance or None, default=None
        Seed for subsampling, cross-validation and permutations.

    Returns
    -------
    report : DataFrame
        One row per measurement: ``metric``, ``column`` and ``column_2``
        (missing where the metric is about the whole table or one column),
        ``score``. Rows, by ``metric``:

        - ``detection_auc`` (:func:`detection_auc`; 0.5 best, 1 worst);
        - ``KSComplement`` / ``TVComplement`` per column (:func:`column_shapes`)
          and ``column_shapes``, their mean; 1 best;
        - ``MissingValueSimilarity`` per column with missing cells in either
          table, ``1 - |share_real - share_synthetic|`` of missing cells;
        - ``CorrelationSimilarity`` / ``ContingencySimilarity`` per pair
          (:func:`pair_trends`) and ``pair_trends``, their mean; 1 best;
        - with numeric columns, on their complete rows standardized by the real
          means and deviations (at most 1000 rows of each table):
          ``precision``, ``recall``, ``density``, ``coverage``
          (:func:`precision_recall_coverage`, 1 best) and ``mmd``, ``mmd_p_value``
          (:func:`mmd_test`; a small p-value says the distributions differ);
        - with ``holdout``: ``dcr_synthetic_median``, ``dcr_holdout_median``,
          ``dcr_synthetic_share_closer``, ``dcr_holdout_share_closer`` and
          ``dcr_p_value`` (:func:`distance_to_closest_record`; a synthetic
          share well above the holdout's, a small p-value, means copied rows).

    See Also
    --------
    skgen.plotting.plot_synthetic_report : the same comparison in pictures.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skgen.metrics import synthetic_data_report
    >>> rng = np.random.RandomState(0)
    >>> def table(n):
    ...     x = rng.normal(size=n)
    ...     return pd.DataFrame({"x": x, "y": x + rng.normal(size=n),
    ...                          "c": rng.choice(["a", "b"], n)})
    >>> report = synthetic_data_report(table(200), table(200), random_state=0)
    >>> report.columns.tolist()
    ['metric', 'column', 'column_2', 'score']
    >>> scores = report.set_index("metric")["score"]
    >>> bool(scores["detection_auc"] < 0.6 and scores["column_shapes"] > 0.8)
    True
    """
    names = ["real", "synthetic"] + (["holdout"] if holdout is not None else [])
    tables = [real, synthetic] + ([holdout] if holdout is not None else [])
    frames, kinds = _tm.check_tables(tables, names)
    real, synthetic = frames[0], frames[1]
    rng = check_random_state(random_state)
    rows = [("detection_auc", None, None, detection_auc(real, synthetic, random_state=rng))]
    shapes = column_shapes(real, synthetic)
    rows += [(m, c, None, s) for c, m, s in shapes.itertuples(index=False)]
    for column in real.columns:
        share_r, share_s = real[column].isna().mean(), synthetic[column].isna().mean()
        if share_r > 0 or share_s > 0:
            rows.append(("MissingValueSimilarity", column, None,
                         float(1.0 - abs(share_r - share_s))))
    trends = pair_trends(real, synthetic)
    rows += [(m, c1, c2, s) for c1, c2, m, s, _, _ in trends.itertuples(index=False)]
    if shapes["score"].notna().any():
        rows.append(("column_shapes", None, None, float(shapes["score"].mean())))
    if len(trends):
        rows.append(("pair_trends", None, None, float(trends["score"].mean())))
    numeric = [c for c, kind in zip(real.columns, kinds) if kind == _tm.NUMERIC]
    if numeric:
        R, S = (_tm.subsample(f[numeric].dropna(), _REPORT_MAX_ROWS, rng).to_numpy(float)
                for f in (real, synthetic))
        if min(len(R), len(S)) >= 2:
            center, scale = R.mean(axis=0), R.std(axis=0)
            scale[scale == 0] = 1.0
            R, S = (R - center) / scale, (S - center) / scale
            if min(len(R), len(S)) > 5:
                scores = precision_recall_coverage(R, S, k=5)
                rows += [(name, None, None, value) for name, value in scores.items()]
            statistic, p_value = mmd_test(R, S, random_state=rng)
            rows += [("mmd", None, None, statistic), ("mmd_p_value", None, None, p_value)]
    if holdout is not None:
        dcr = distance_to_closest_record(real, synthetic, frames[2])
        for key in ("synthetic_median", "holdout_median", "synthetic_share_closer",
                    "holdout_share_closer", "p_value"):
            rows.append((f"dcr_{key}", None, None, dcr[key]))
    return pd.DataFrame(rows, columns=["metric", "column", "column_2", "score"])
