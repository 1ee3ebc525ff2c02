"""Private maths of :mod:`skgen.metrics`' synthetic-data metrics.

Validation and encoding of mixed tables (numbers, booleans, categories,
missing cells), and the pure functions behind the public metrics: column
shapes and pair trends as SDMetrics defines them, Gower-like nearest-record
distances, k-NN precision/recall/density/coverage and the kernel two-sample
test. Each function states its shapes; the public wrappers with their
documentation live in :mod:`skgen.metrics`.
"""

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sklearn.utils.validation import check_array

NUMERIC = "numeric"
CATEGORICAL = "categorical"

#: Elements of one (query rows x reference rows) block of a distance matrix:
#: 2**22 float64 values are 32 MiB.
CHUNK_ELEMENTS = 2**22

#: Most categories a gradient-boosting feature takes (HistGradientBoosting's
#: max_bins); rarer categories share the last code.
MAX_CATEGORIES = 255


# --- validation and encoding -------------------------------------------------

def as_frame(X, name):
    """``X`` as a DataFrame, or a ValueError naming what is wrong with it."""
    if isinstance(X, pd.DataFrame):
        frame = X
    else:
        array = np.asarray(X)
        if array.ndim != 2:
            raise ValueError(
                f"{name} must be a table: a pandas DataFrame or an array of shape "
                f"(n_rows, n_columns); got an array with {array.ndim} dimension(s)."
            )
        frame = pd.DataFrame(array)
    if frame.shape[1] == 0:
        raise ValueError(f"{name} has no columns.")
    if frame.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 rows); every metric needs rows to compare.")
    if frame.columns.duplicated().any():
        dup = list(frame.columns[frame.columns.duplicated()])
        raise ValueError(f"{name} has duplicated column names: {dup}.")
    return frame


def column_kind(series, name, column):
    """``"numeric"`` or ``"categorical"`` from a column's dtype.

    Booleans, pandas ``category``, ``object`` and ``string`` columns are
    categorical; integer and float columns are numeric. Anything else (dates,
    complex numbers) raises a ValueError saying what to do.
    """
    dtype = series.dtype
    if (ptypes.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)
            or ptypes.is_object_dtype(dtype) or ptypes.is_string_dtype(dtype)):
        return CATEGORICAL
    if ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype):
        return NUMERIC
    if ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype):
        raise ValueError(
            f"Column {column!r} of {name} holds dates or durations ({dtype}); convert "
            "it to numbers first (for example days since a reference date: "
            "(df[col] - reference).dt.days) or to categories (df[col].dt.year.astype(str))."
        )
    raise ValueError(
        f"Column {column!r} of {name} has dtype {dtype}, which is neither numeric "
        "nor categorical; convert it to numbers or to a pandas 'category'."
    )


def check_tables(tables, names):
    """Validate tables that must share their columns and column kinds.

    Parameters
    ----------
    tables : list of DataFrame or array-like of shape (n_rows_t, n_columns)
    names : list of str
        How errors call each table.

    Returns
    -------
    frames : list of DataFrame
        Columns in the order of the first table.
    kinds : list of str
        ``"numeric"`` or ``"categorical"`` per column.
    """
    frames = [as_frame(t, n) for t, n in zip(tables, names)]
    columns = list(frames[0].columns)
    for i in range(1, len(frames)):
        other = list(frames[i].columns)
        if set(other) != set(columns):
            lacks = [c for c in columns if c not in set(other)]
            extra = [c for c in other if c not in set(columns)]
            raise ValueError(
                f"{names[0]} and {names[i]} must have the same columns; {names[i]} "
                f"lacks {lacks} and has extra columns {extra}."
            )
        frames[i] = frames[i][columns]
    kinds = []
    for column in columns:
        found = [column_kind(f[column], n, column) for f, n in zip(frames, names)]
        for i in range(1, len(found)):
            if found[i] != found[0]:
                raise ValueError(
                    f"Column {column!r} is {found[0]} in {names[0]} but {found[i]} in "
                    f"{names[i]} (dtypes {frames[0][column].dtype} and "
                    f"{frames[i][column].dtype}); give it the same type in both."
                )
        kinds.append(found[0])
    return frames, kinds


def encode(frames, kinds, names):
    """Per-column arrays of several tables on a common encoding.

    Numeric columns become float64 arrays with NaN for missing cells (inf
    raises a ValueError naming the column); categorical ones become integer
    codes over the union of the categories seen in all tables, ``-1`` for
    missing cells.

    Returns
    -------
    arrays : list (per table) of list (per column) of ndarray of shape (n_rows_t,)
    categories : list (per column) of ndarray or None
        The category behind each code; ``None`` for numeric columns. Sorted
        when the values can be sorted, else in order of first appearance.
    """
    arrays = [[] for _ in frames]
    categories = []
    for j, (column, kind) in enumerate(zip(frames[0].columns, kinds)):
        if kind == NUMERIC:
            for t, frame in enumerate(frames):
                values = frame[column].to_numpy(dtype="float64", na_value=np.nan)
                if np.isinf(values).any():
                    raise ValueError(
                        f"Column {column!r} of {names[t]} contains infinite values; "
                        "replace them (by NaN for a missing cell) first."
                    )
                arrays[t].append(values)
            categories.append(None)
            continue
        pooled = np.concatenate([f[column].to_numpy(dtype=object) for f in frames])
        missing = pd.isna(pooled)
        try:
            codes, uniques = pd.factorize(pooled, sort=True, use_na_sentinel=True)
        except TypeError:  # values of mixed types that cannot be ordered
            codes, uniques = pd.factorize(pooled, use_na_sentinel=True)
        codes = np.where(missing, -1, codes).astype(np.int64)
        stops = np.cumsum([len(f) for f in frames])[:-1]
        for t, part in enumerate(np.split(codes, stops)):
            arrays[t].append(part)
        categories.append(np.asarray(uniques, dtype=object))
    return arrays, categories


def subsample(frame, n, rng):
    """``n`` rows of ``frame`` drawn without replacement (all of them if fewer)."""
    if len(frame) <= n:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), n, replace=False))]


def numeric_tables(X, Y, names):
    """Two numeric tables as float arrays with the same columns, no NaN or inf."""
    frames, kinds = check_tables([X, Y], names)
    for column, kind in zip(frames[0].columns, kinds):
        if kind != NUMERIC:
            raise ValueError(
                f"Column {column!r} is {kind} ({frames[0][column].dtype}): this metric "
                "needs numbers only. Use detection_auc, column_shapes or pair_trends "
                "for mixed tables, or encode the column as numbers."
            )
    return [check_array(f.to_numpy(dtype="float64", na_value=np.nan), input_name=n)
            for f, n in zip(frames, names)]


# --- column shapes and pair trends -------------------------------------------

def ks_complement(a, b):
    """``1 -`` the two-sample Kolmogorov-Smirnov statistic, ignoring NaN.

    ``a``, ``b`` : ndarray of shape (n,) and (m,). NaN when either has no
    observed value.
    """
    a, b = np.sort(a[~np.isnan(a)]), np.sort(b[~np.isnan(b)])
    if len(a) == 0 or len(b) == 0:
        return np.nan
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(1.0 - np.max(np.abs(cdf_a - cdf_b)))


def tv_complement(a, b, n_categories):
    """``1 -`` the total variation distance between category frequencies.

    ``a``, ``b`` : integer codes in ``[0, n_categories)``, ``-1`` (missing)
    ignored. NaN when either has no observed value.
    """
    a, b = a[a >= 0], b[b >= 0]
    if len(a) == 0 or len(b) == 0:
        return np.nan
    p = np.bincount(a, minlength=n_categories) / len(a)
    q = np.bincount(b, minlength=n_categories) / len(b)
    return float(1.0 - 0.5 * np.abs(p - q).sum())


def discretize(arrays, kind, n_categories, n_bins):
    """Codes in ``[0, n_codes)`` for a contingency table, one array per table.

    Numeric columns are cut into ``n_bins`` equal-width bins over the observed
    range of the first (real) table, the end bins open so that values outside
    that range fall into them; categorical codes are kept. Missing cells get a
    code of their own, the last one.

    Returns
    -------
    codes : list of ndarray of int
    n_codes : int
    """
    if kind == CATEGORICAL:
        return [np.where(a < 0, n_categories, a) for a in arrays], n_categories + 1
    observed = arrays[0][~np.isnan(arrays[0])]
    if len(observed) == 0:  # the real column is all missing: bins from the others
        observed = np.concatenate([a[~np.isnan(a)] for a in arrays])
    if len(observed) == 0:
        return [np.zeros(len(a), dtype=np.int64) for a in arrays], 1
    inner = np.linspace(observed.min(), observed.max(), n_bins + 1)[1:-1]
    codes = []
    for a in arrays:
        code = np.searchsorted(inner, a, side="right")
        codes.append(np.where(np.isnan(a), n_bins, code))
    return codes, n_bins + 1


def contingency_similarity(codes_real, codes_synth, n_1, n_2):
    """``1 -`` the total variation distance between two joint frequency tables.

    ``codes_real``, ``codes_synth`` : pairs of integer code arrays, the first
    in ``[0, n_1)``, the second in ``[0, n_2)``.
    """
    def frequencies(first, second):
        return np.bincount(first * n_2 + second, minlength=n_1 * n_2) / len(first)

    p, q = frequencies(*codes_real), frequencies(*codes_synth)
    return float(1.0 - 0.5 * np.abs(p - q).sum())


def pearson(x, y):
    """Pearson correlation over the rows where both are observed.

    NaN when fewer than two such rows remain or either column is constant on
    them (the correlation is undefined).
    """
    both = ~(np.isnan(x) | np.isnan(y))
    x, y = x[both], y[both]
    if len(x) < 2:
        return np.nan
    x, y = x - x.mean(), y - y.mean()
    sxx, syy = float(x @ x), float(y @ y)
    if sxx <= 0.0 or syy <= 0.0:
        return np.nan
    return float(np.clip((x @ y) / np.sqrt(sxx * syy), -1.0, 1.0))


# --- distance to closest record ----------------------------------------------

def column_ranges(columns, kinds):
    """Scale of each numeric column for the Gower distance: its observed range.

    ``1.0`` for a numeric column that is constant or all missing (its
    distances are then absolute differences), ``None`` for categorical ones.
    """
    ranges = []
    for values, kind in zip(columns, kinds):
        if kind == CATEGORICAL:
            ranges.append(None)
            continue
        observed = values[~np.isnan(values)]
        spread = float(observed.max() - observed.min()) if len(observed) else 0.0
        ranges.append(spread if spread > 0 else 1.0)
    return ranges


def gower_nearest(query, reference, kinds, ranges, chunk_elements=CHUNK_ELEMENTS):
    """Gower-like distance from each query row to its closest reference row.

    The distance between two rows is the mean over columns of a per-column
    distance in ``[0, 1]``: ``min(|x - y| / range, 1)`` for numbers, ``0`` if
    equal else ``1`` for categories; a missing cell is at distance ``0`` from
    another missing cell and ``1`` from any value. The (query x reference)
    distance matrix is built in blocks of about ``chunk_elements`` entries.

    Parameters
    ----------
    query, reference : list of ndarray
        Per-column arrays as :func:`encode` returns them, lengths ``n_q`` and
        ``n_r``.
    kinds : list of str
    ranges : list of float or None
        From :func:`column_ranges`.

    Returns
    -------
    distances : ndarray of shape (n_q,)
    """
    n_q, n_r = len(query[0]), len(reference[0])
    step = max(1, chunk_elements // max(n_r, 1))
    prepared = []
    for q, r, kind, scale in zip(query, reference, kinds, ranges):
        if kind == NUMERIC:
            q_nan, r_nan = np.isnan(q), np.isnan(r)
            q = np.where(q_nan, 0.0, q) / scale
            r = np.where(r_nan, 0.0, r) / scale
            prepared.append((kind, q, r, q_nan, r_nan, q_nan.any() or r_nan.any()))
        else:
            prepared.append((kind, q, r, None, None, False))
    out = np.empty(n_q)
    for start in range(0, n_q, step):
        block = slice(start, min(start + step, n_q))
        total = np.zeros((block.stop - block.start, n_r))
        for kind, q, r, q_nan, r_nan, any_nan in prepared:
            if kind == CATEGORICAL:
                total += q[block, None] != r[None, :]
                continue
            diff = np.minimum(np.abs(q[block, None] - r[None, :]), 1.0)
            if any_nan:
                qn, rn = q_nan[block, None], r_nan[None, :]
                diff[qn != rn] = 1.0
                diff[qn & rn] = 0.0
            total += diff
        out[block] = total.min(axis=1) / len(kinds)
    return out


def two_proportion_pvalue(hits_1, n_1, hits_2, n_2):
    """One-sided p-value that proportion 1 exceeds proportion 2 (pooled z-test)."""
    from scipy.stats import norm

    p_1, p_2 = hits_1 / n_1, hits_2 / n_2
    pooled = (hits_1 + hits_2) / (n_1 + n_2)
    se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n_1 + 1.0 / n_2))
    if se == 0.0:
        return 1.0 if p_1 <= p_2 else 0.0
    return float(norm.sf((p_1 - p_2) / se))


# --- precision / recall / density / coverage ---------------------------------

def kth_neighbour_radii(X, k):
    """Distance from each row of ``X`` (n, d) to its k-th nearest other row, (n,)."""
    from sklearn.neighbors import NearestNeighbors

    distances, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    return distances[:, k]


def _ball_hits(points, centres, radii):
    """For each point: how many balls ``(centres[i], radii[i])`` contain it, (n,)."""
    from sklearn.metrics import pairwise_distances_chunked

    def reduce(block, start):
        return (block <= radii[None, :]).sum(axis=1)

    return np.concatenate(list(pairwise_distances_chunked(points, centres,
                                                          reduce_func=reduce)))


def prdc(real, fake, k):
    """Precision, recall, density and coverage of ``fake`` (m, d) against ``real`` (n, d).

    Returns
    -------
    scores : dict of float
    """
    from sklearn.neighbors import NearestNeighbors

    r_real, r_fake = kth_neighbour_radii(real, k), kth_neighbour_radii(fake, k)
    hits = _ball_hits(fake, real, r_real)
    nearest_fake, _ = NearestNeighbors(n_neighbors=1).fit(fake).kneighbors(real)
    return {
        "precision": float(np.mean(hits > 0)),
        "recall": float(np.mean(_ball_hits(real, fake, r_fake) > 0)),
        "density": float(hits.sum() / (k * len(fake))),
        "coverage": float(np.mean(nearest_fake[:, 0] <= r_real)),
    }


# --- maximum mean discrepancy ------------------------------------------------

def gaussian_gram(Z):
    """Gaussian kernel matrix of the rows of ``Z`` (N, d), median-heuristic width.

    The bandwidth ``sigma`` is the median distance between distinct pairs of
    rows (the median of the positive ones when most pairs coincide; ``1`` when
    all rows are equal); ``K = exp(-|z_i - z_j|^2 / (2 sigma^2))``.

    Returns
    -------
    K : ndarray of shape (N, N)
    sigma : float
    """
    from sklearn.metrics.pairwise import euclidean_distances

    sq = np.maximum(euclidean_distances(Z, squared=True), 0.0)
    np.fill_diagonal(sq, 0.0)
    pairs = np.sqrt(sq[np.triu_indices(len(Z), k=1)])
    sigma = float(np.median(pairs)) if len(pairs) else 0.0
    if sigma <= 0.0:
        positive = pairs[pairs > 0]
        sigma = float(np.median(positive)) if len(positive) else 1.0
    return np.exp(-sq / (2.0 * sigma**2)), sigma


def mmd2_unbiased(K, A):
    """Unbiased MMD^2 for several splits of the pooled sample at once.

    Parameters
    ----------
    K : ndarray of shape (N, N)
        Kernel matrix of the pooled sample.
    A : ndarray of shape (N, P)
        ``A[:, p]`` is 1 for the rows of the first sample in split ``p``, 0
        for the second; every column holds the same number ``n`` of ones.

    Returns
    -------
    mmd2 : ndarray of shape (P,)
    """
    N = len(K)
    n = float(A[:, 0].sum())
    m = N - n
    KA = K @ A
    row_sums = K.sum(axis=1)
    s_xx = np.einsum("ip,ip->p", A, KA)
    s_xy = np.einsum("ip,ip->p", A, row_sums[:, None] - KA)
    s_yy = K.sum() - s_xx - 2.0 * s_xy
    diag = np.diag(K)
    t_x = diag @ A
    t_y = diag.sum() - t_x
    return ((s_xx - t_x) / (n * (n - 1.0)) + (s_yy - t_y) / (m * (m - 1.0))
            - 2.0 * s_xy / (n * m))


# --- detection ---------------------------------------------------------------

def lump_rare(codes, limit):
    """Keep the ``limit - 1`` most frequent codes, give all rarer ones code ``limit - 1``.

    ``codes`` : ndarray of int, ``-1`` for missing (kept). Returned codes are
    ranks by frequency when lumping happens, unchanged otherwise.
    """
    counts = np.bincount(codes[codes >= 0])
    if len(counts) <= limit:
        return codes
    rank = np.empty(len(counts), dtype=np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(len(counts))
    return np.where(codes >= 0, np.minimum(rank[np.maximum(codes, 0)], limit - 1), -1)


def detection_features(tables, kinds):
    """Rows of several encoded tables stacked into one frame for gradient boosting.

    Numeric columns stay float (NaN kept: the booster routes missing values
    itself); categorical ones become pandas ``category`` columns over their
    codes, so that ``categorical_features="from_dtype"`` treats them natively.
    Columns are renamed ``x0, x1, ...`` (scikit-learn wants string names).
    """
    data = {}
    for j, kind in enumerate(kinds):
        values = np.concatenate([table[j] for table in tables])
        if kind == NUMERIC:
            data[f"x{j}"] = values
            continue
        values = lump_rare(values, MAX_CATEGORIES)
        n_codes = max(int(values.max()) + 1, 1)
        data[f"x{j}"] = pd.Categorical.from_codes(values, categories=np.arange(n_codes))
    return pd.DataFrame(data)
