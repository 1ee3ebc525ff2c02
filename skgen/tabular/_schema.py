"""Column types of mixed tables, and the codes the tabular models compute with.

A table's *schema* is a list with one plain ``dict`` per column (plain data,
so that :mod:`skgen.io` saves it and the command line stores it):

``name``
    the column's label;
``kind``
    one of :data:`COLUMN_KINDS`;
``dtype``
    the pandas dtype of the training column, as a string; samples get it back;
``categories``
    for ``"categorical"`` and ``"boolean"`` columns, the values in code order
    (a pandas ``Categorical`` keeps its own category order);
``ordered``
    whether a pandas ``Categorical`` was ordered;
``offset``
    for ``"count"`` columns, the smallest value of the support (0, or the
    training minimum of a column holding negative integers).

Encoded tables are float64 arrays: continuous and count columns hold their
values, booleans 0/1, categorical columns their category code; ``NaN``
marks a missing cell, and ``-1`` a category (or boolean) never seen in
``fit``.
"""

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sklearn.utils import check_array

__all__ = ["COLUMN_KINDS", "infer_column_types"]

#: The column types of :mod:`skgen.tabular`.
COLUMN_KINDS = ("continuous", "count", "boolean", "categorical")

#: Largest magnitude of a count: the count models work in float64, where
#: integers stay apart (with room for ``k +- 0.5``) below this.
_MAX_COUNT = 2.0**50

#: Code of a category (or boolean value) that the model never saw in ``fit``.
UNSEEN = -1.0


def _kind_of(series):
    """The inferred kind of one column, or raise naming it."""
    name, dtype = series.name, series.dtype
    if ptypes.is_bool_dtype(dtype):
        return "boolean"
    if isinstance(dtype, pd.CategoricalDtype) or ptypes.is_string_dtype(dtype) \
            or ptypes.is_object_dtype(dtype):
        values = series.dropna()
        if ptypes.is_object_dtype(dtype) and len(values) and all(
                isinstance(v, (bool, np.bool_)) for v in values):
            return "boolean"
        return "categorical"
    if ptypes.is_integer_dtype(dtype):
        return "count"
    if ptypes.is_float_dtype(dtype):
        return "continuous"
    if ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype) \
            or isinstance(dtype, pd.PeriodDtype):
        raise TypeError(
            f"Column {name!r} holds dates or durations ({dtype}), which skgen.tabular "
            "does not model. Turn it into numbers first, e.g. days since a reference "
            "date (df[col].sub(pd.Timestamp('2000-01-01')).dt.days) or year and "
            "month columns (df[col].dt.year, df[col].dt.month.astype('category'))."
        )
    raise TypeError(
        f"Column {name!r} has dtype {dtype}, which skgen.tabular does not model. "
        "Supported: floats (continuous), integers (counts), booleans, and "
        "categories (pandas Categorical, object or string columns)."
    )


def infer_column_types(X, column_types=None):
    """The column type :mod:`skgen.tabular` gives each column of a table.

    Types come from the pandas dtypes: floats are ``"continuous"``, integers
    ``"count"``, booleans ``"boolean"``, and pandas ``Categorical``,
    ``object`` and ``string`` columns ``"categorical"``. Dates and other
    dtypes raise a :class:`TypeError` that names the column and says what
    to do.

    Parameters
    ----------
    X : DataFrame
        The table.
    column_types : dict of {column: str}, default=None
        Types that override the inferred ones, e.g. ``{"zip": "categorical"}``
        for numeric codes or ``{"price": "continuous"}`` for an integer
        column better modelled as continuous.

    Returns
    -------
    column_types : dict of {column: str}
        One of :data:`COLUMN_KINDS` per column, in column order.

    Examples
    --------
    >>> import pandas as pd
    >>> from skgen.tabular import infer_column_types
    >>> df = pd.DataFrame({"price": [1.5, 2.0], "rooms": [3, 4],
    ...                    "garden": [True, False], "city": ["Oslo", "Rome"]})
    >>> infer_column_types(df)
    {'price': 'continuous', 'rooms': 'count', 'garden': 'boolean', 'city': 'categorical'}
    """
    X = _as_frame(X)
    column_types = dict(column_types or {})
    unknown = [c for c in column_types if c not in X.columns]
    if unknown:
        raise ValueError(
            f"column_types names columns that are not in the table: {unknown}; "
            f"its columns are {list(X.columns)}."
        )
    out = {}
    for name in X.columns:
        kind = column_types.get(name)
        if kind is None:
            kind = _kind_of(X[name])
        elif kind not in COLUMN_KINDS:
            raise ValueError(
                f"column_types[{name!r}] = {kind!r} is not a column type; use one of "
                f"{COLUMN_KINDS}."
            )
        out[name] = kind
    return out


def _as_frame(X):
    """``X`` as a DataFrame (an array gets columns ``x0, x1, ...``)."""
    if isinstance(X, pd.DataFrame):
        if not X.columns.is_unique:
            raise ValueError(
                f"The table's column names must be unique; repeated: "
                f"{sorted(set(X.columns[X.columns.duplicated()]), key=str)}."
            )
        return X
    if isinstance(X, pd.Series):
        return X.to_frame()
    return pd.DataFrame(_check_2d(X), columns=[f"x{i}" for i in range(np.shape(X)[1])])


def _check_2d(X):
    """scikit-learn's checks of an array table: 2-D, not sparse, not complex, NaN allowed."""
    return check_array(X, dtype=None, ensure_all_finite="allow-nan", ensure_min_samples=1,
                       ensure_min_features=1, input_name="X")


def _plain(value):
    """A category value as a plain Python scalar (numpy scalars -> Python)."""
    return value.item() if isinstance(value, np.generic) else value


def infer_schema(X, column_types=None):
    """The schema (a list of plain dicts, see the module docstring) of a training table."""
    X = _as_frame(X)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"Cannot fit a table of shape {X.shape}: it needs rows and columns.")
    kinds = infer_column_types(X, column_types)
    schema = []
    for name, kind in kinds.items():
        col = X[name]
        spec = {"name": _plain(name), "kind": kind, "dtype": str(col.dtype),
                "categories": None, "ordered": False, "offset": 0}
        observed = col.dropna()
        if kind == "categorical":
            if isinstance(col.dtype, pd.CategoricalDtype):
                cats = list(col.cat.categories)
                spec["ordered"] = bool(col.cat.ordered)
            else:
                cats = sorted(pd.unique(observed), key=lambda v: (str(type(v)), v))
            spec["categories"] = [_plain(v) for v in cats]
        elif kind == "boolean":
            spec["categories"] = [False, True]
        elif kind == "count":
            values = pd.to_numeric(observed, errors="coerce")
            if values.isna().any() or not np.all(np.mod(values, 1) == 0):
                raise ValueError(
                    f"Column {name!r} is typed 'count' but holds non-integer values; "
                    "give it column type 'continuous'."
                )
            if len(values) and float(np.max(np.abs(values.to_numpy(np.float64)))) > _MAX_COUNT:
                raise ValueError(
                    f"Column {name!r} holds integers as large as "
                    f"{np.max(np.abs(values.to_numpy(np.float64))):.3g}: beyond 2**50, "
                    "float64 cannot tell neighbouring counts apart. Give it column type "
                    "'continuous' (or drop it if it is an identifier)."
                )
            spec["offset"] = int(min(0, values.min())) if len(values) else 0
        elif kind == "continuous":
            values = pd.to_numeric(observed, errors="coerce")
            if values.isna().any():
                raise ValueError(
                    f"Column {name!r} is typed 'continuous' but holds values that are "
                    f"not numbers (e.g. {observed[values.isna()].iloc[0]!r})."
                )
            if not np.all(np.isfinite(values.to_numpy(dtype=np.float64))):
                raise ValueError(
                    f"Column {name!r} holds infinite values; a density has none. "
                    "Replace them by NaN (missing) or drop those rows."
                )
        if observed.empty:
            raise ValueError(
                f"Column {name!r} has no observed value in the training table; drop it."
            )
        schema.append(spec)
    return schema


def check_columns(X, schema, owner="The model"):
    """``X`` as a DataFrame with the schema's columns, in the schema's order."""
    names = [spec["name"] for spec in schema]
    if not isinstance(X, (pd.DataFrame, pd.Series)):
        X = _check_2d(X)
        if X.shape[1] != len(names):
            raise ValueError(
                f"X has {X.shape[1]} features, but {owner} is expecting {len(names)} "
                f"features as input (the training columns {names})."
            )
        return pd.DataFrame(X, columns=names)
    X = _as_frame(X)
    missing = [n for n in names if n not in X.columns]
    extra = [c for c in X.columns if c not in names]
    if missing or extra:
        raise ValueError(
            "The table's columns differ from the training columns: "
            + (f"missing {missing}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"unexpected {extra}" if extra else "") + "."
        )
    return X[names]


def encode(X, schema):
    """Float64 codes of a table (see the module docstring), shape ``(n, n_columns)``.

    Returns ``(Z, unseen)``: ``unseen`` maps column names to the number of
    their cells holding a category never seen in ``fit``.
    """
    X = check_columns(X, schema)
    Z = np.empty(X.shape, dtype=np.float64)
    unseen = {}
    for j, spec in enumerate(schema):
        col = X.iloc[:, j]
        name, kind = spec["name"], spec["kind"]
        missing = col.isna().to_numpy()
        if kind in ("categorical", "boolean"):
            lookup = {v: i for i, v in enumerate(spec["categories"])}
            values = col.astype(object).to_numpy()
            codes = np.full(len(values), np.nan)
            for i, v in enumerate(values):
                if not missing[i]:
                    codes[i] = lookup.get(_plain(v), UNSEEN)
            n_unseen = int(np.sum(codes == UNSEEN))
            if n_unseen:
                unseen[name] = n_unseen
            Z[:, j] = codes
            continue
        try:
            values = pd.to_numeric(col.astype(object).where(~missing, np.nan),
                                   errors="raise").to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"Column {name!r} ({kind}) holds values that are not numbers."
            ) from None
        if np.isinf(values).any():
            raise ValueError(
                f"Column {name!r} holds infinite values; mark unknown cells with NaN."
            )
        Z[:, j] = values
    return Z, unseen


def decode(Z, schema, index=None):
    """The DataFrame of codes ``Z`` with the training columns' dtypes."""
    data = {}
    for j, spec in enumerate(schema):
        z, kind, dtype = Z[:, j], spec["kind"], spec["dtype"]
        if kind in ("categorical", "boolean"):
            cats = spec["categories"]
            codes = np.where(np.isnan(z), -1, z).astype(np.int64)
            if dtype == "category":
                data[spec["name"]] = pd.Categorical.from_codes(
                    codes, categories=cats, ordered=spec["ordered"])
                continue
            values = np.array(cats + [None], dtype=object)[codes]
            data[spec["name"]] = pd.Series(values, dtype=object).astype(
                dtype if np.isfinite(z).all() or dtype not in ("bool",) else "boolean")
            continue
        if kind == "count" and ptypes.is_integer_dtype(pd.api.types.pandas_dtype(dtype)) \
                and np.isfinite(z).all():
            data[spec["name"]] = pd.Series(np.round(z).astype(np.int64)).astype(dtype)
            continue
        data[spec["name"]] = pd.Series(z).astype(dtype if dtype != "object" else float)
    return pd.DataFrame(data, index=index)
