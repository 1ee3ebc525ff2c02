"""The ``skgen`` command line: fit, sample, score, report, demo.

Run ``skgen --help`` (or ``python -m skgen --help``), and ``skgen COMMAND
--help`` for each command::

    skgen fit data.csv --model tabular-mixture -o model.skgen
    skgen sample model.skgen -n 1000 -o synthetic.csv
    skgen score model.skgen data.csv -o scores.csv
    skgen report data.csv synthetic.csv
    skgen demo

Tables are read and written as CSV, or Parquet when the file name ends in
``.parquet`` or ``.pq`` (which needs ``pyarrow``); ``-`` is standard input or
output. Models are saved with :mod:`skgen.io` (no pickle); a model of
:mod:`skgen.tabular` stores the table's schema, so ``sample`` writes the
training columns with their types (exactly so in Parquet; CSV keeps only
text). Errors print one line to standard error and exit with status 1
(status 2 for a wrong command line).
"""

import argparse
import ast
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["main"]

_PARQUET = (".parquet", ".pq")


class _Failure(Exception):
    """An error shown to the user as one line, exit status 1."""


# ------------------------------------------------------------------ tables
def _read_table(path):
    if str(path) == "-":
        return pd.read_csv(sys.stdin, dtype_backend="numpy_nullable")
    path = Path(path)
    if not path.exists():
        raise _Failure(f"no such file: {path}")
    if path.suffix.lower() in _PARQUET:
        try:
            return pd.read_parquet(path)
        except ImportError as exc:
            raise _Failure(f"reading Parquet needs pyarrow ({exc}); pip install pyarrow") \
                from None
    try:
        # nullable dtypes: an integer or boolean column with empty cells stays
        # integer or boolean (numpy's dtypes would make it float or object)
        return pd.read_csv(path, dtype_backend="numpy_nullable")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise _Failure(f"cannot read {path} as CSV: {exc}") from None


def _write_table(df, path):
    if path is None or str(path) == "-":
        df.to_csv(sys.stdout, index=False)
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in _PARQUET:
        try:
            df.to_parquet(path, index=False)
        except ImportError as exc:
            raise _Failure(f"writing Parquet needs pyarrow ({exc}); pip install pyarrow") \
                from None
    else:
        df.to_csv(path, index=False)
    print(f"wrote {len(df)} rows to {path}", file=sys.stderr)


# ------------------------------------------------------------------ models
def _normalized(name):
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _estimator_class(name):
    """The skgen estimator class called ``name`` (any case; dashes and underscores ignored)."""
    from .utils import all_estimators

    classes = {_normalized(n): cls for n, cls in all_estimators()
               if hasattr(cls, "sample")}
    cls = classes.get(_normalized(name))
    if cls is None:
        known = ", ".join(sorted(_kebab(c.__name__) for c in classes.values()))
        raise _Failure(f"unknown model {name!r}; choose one of: {known}")
    return cls


def _kebab(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


def _parse_params(pairs):
    """``["key=value", ...]`` -> dict; values are Python literals, or else strings."""
    params = {}
    for pair in pairs or ():
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise _Failure(f"--param expects key=value, got {pair!r}")
        try:
            params[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            params[key] = text
    return params


def _load_model(path):
    from . import io

    if not Path(path).exists():
        raise _Failure(f"no such model file: {path}")
    try:
        return io.load(path)
    except (ValueError, KeyError, OSError) as exc:
        raise _Failure(f"cannot load {path}: {exc}") from None


# ---------------------------------------------------------------- commands
def _fit(args):
    from . import io

    cls = _estimator_class(args.model)
    params = _parse_params(args.param)
    if "verbose" in cls().get_params() and "verbose" not in params and not args.quiet:
        params["verbose"] = 1  # the deep models' progress bar, on standard error
    try:
        model = cls(**params)
    except TypeError as exc:
        raise _Failure(f"{cls.__name__}: {exc}") from None
    data = _read_table(args.data)
    y = None
    if args.target is not None:
        if args.target not in data.columns:
            raise _Failure(f"--target {args.target!r} is not a column of {args.data}")
        y = data.pop(args.target).to_numpy()
    model.fit(data, y)
    io.save(model, args.output)
    summary = f"fitted {cls.__name__} on {data.shape[0]} rows x {data.shape[1]} columns"
    if hasattr(model, "score") and getattr(model, "likelihood_kind", "none") != "none":
        summary += f"; mean training log-likelihood {model.score(data, y):.4f}"
    print(f"{summary}; saved to {args.output}", file=sys.stderr)


def _sample(args):
    model = _load_model(args.model)
    if args.n_samples < 1:
        raise _Failure(f"-n must be a positive number of rows, got {args.n_samples}")
    rows = model.sample(args.n_samples, random_state=args.seed)
    if not isinstance(rows, pd.DataFrame):
        columns = getattr(model, "feature_names_in_", None)
        rows = pd.DataFrame(rows, columns=None if columns is None else list(columns))
    _write_table(rows, args.output)


def _score(args):
    model = _load_model(args.model)
    data = _read_table(args.data)
    log_likelihood = model.score_samples(data)
    _write_table(pd.DataFrame({"log_likelihood": log_likelihood}), args.output)
    finite = np.isfinite(log_likelihood)
    print(f"mean log-likelihood {np.mean(log_likelihood):.4f} over {len(log_likelihood)} "
          f"rows ({int(np.sum(~finite))} with zero density)", file=sys.stderr)


def _report(args):
    from .metrics import synthetic_data_report

    real, synthetic = _read_table(args.real), _read_table(args.synthetic)
    holdout = None if args.holdout is None else _read_table(args.holdout)
    report = synthetic_data_report(real, synthetic, holdout=holdout, random_state=args.seed)
    if args.output is None:
        with pd.option_context("display.max_rows", 200, "display.width", 120):
            print(report.to_string(index=False))
    else:
        _write_table(report, args.output)
    if args.figure is not None:
        from .plotting import plot_synthetic_report

        fig = plot_synthetic_report(real, synthetic)
        Path(args.figure).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.figure, dpi=100, bbox_inches="tight")
        print(f"figure saved to {args.figure}", file=sys.stderr)


def _parser():
    parser = argparse.ArgumentParser(
        prog="skgen", description="Fit generative models to tables, sample synthetic "
        "rows, score rows by log-likelihood, and evaluate synthetic data.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    fit = commands.add_parser("fit", help="fit a model to a table and save it",
                              description="Fit a model to a CSV or Parquet table and "
                              "save it with skgen.io.")
    fit.add_argument("data", help="training table (.csv, .parquet; - for stdin)")
    fit.add_argument("--model", default="tabular-mixture",
                     help="estimator name, e.g. tabular-mixture, tabular-autoregressive, "
                          "gaussian-mixture, kernel-density, nsf (default: %(default)s)")
    fit.add_argument("--param", action="append", metavar="KEY=VALUE",
                     help="estimator parameter, repeatable, e.g. --param n_components=8")
    fit.add_argument("--target", help="column to use as y (conditional models)")
    fit.add_argument("-o", "--output", required=True, help="model file to write")
    fit.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    fit.set_defaults(run=_fit)

    sample = commands.add_parser("sample", help="draw synthetic rows from a saved model",
                                 description="Draw rows from a saved model.")
    sample.add_argument("model", help="model file written by skgen fit")
    sample.add_argument("-n", "--n-samples", type=int, default=1000,
                        help="rows to draw (default: %(default)s)")
    sample.add_argument("-o", "--output", help="table to write (default: CSV on stdout)")
    sample.add_argument("--seed", type=int, help="random seed")
    sample.set_defaults(run=_sample)

    score = commands.add_parser("score", help="per-row log-likelihood (anomaly scores)",
                                description="Write each row's log-likelihood under a "
                                "saved model; low values are anomalies.")
    score.add_argument("model", help="model file written by skgen fit")
    score.add_argument("data", help="table to score")
    score.add_argument("-o", "--output", help="table to write (default: CSV on stdout)")
    score.set_defaults(run=_score)

    report = commands.add_parser("report", help="compare a synthetic table with a real one",
                                 description="Synthetic-data report: detection AUC, "
                                 "column shapes, pair trends, privacy (with --holdout).")
    report.add_argument("real", help="real (training) table")
    report.add_argument("synthetic", help="synthetic table")
    report.add_argument("--holdout", help="real rows not used in training (privacy check)")
    report.add_argument("-o", "--output", help="table to write (default: print it)")
    report.add_argument("--figure", help="also save a figure (e.g. report.png)")
    report.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    report.set_defaults(run=_report)

    # listed for --help; main() hands "skgen demo ARGS" to the demo's own parser
    commands.add_parser("demo", help="the Hello World demo on the world map "
                        "(skgen demo --help for its options)")
    return parser


def main(argv=None):
    """Entry point of the ``skgen`` console script and of ``python -m skgen``.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    status : int
        0 on success, 1 on an error (printed as one line), 2 on a wrong
        command line.

    Examples
    --------
    >>> from skgen.cli import main
    >>> main(["sample", "no-such-model.skgen", "-n", "5"])
    1
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["demo"]:
        from .demo import main as demo_main

        demo_main(argv[1:])
        return 0
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        args.run(args)
    except _Failure as exc:
        print(f"skgen {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except (ValueError, TypeError, KeyError) as exc:
        print(f"skgen {args.command}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"skgen {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
