"""The skgen command line, end to end in a temporary directory."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from skgen import io
from skgen.cli import main
from skgen.datasets import CustomerNetwork, make_customer_table


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    train = make_customer_table(1500, missing_rate=0.1, random_state=0)
    test = make_customer_table(500, random_state=1)
    train.to_csv(root / "train.csv", index=False)
    test.to_csv(root / "test.csv", index=False)
    return root, train, test


def test_round_trip_fit_sample_score_report(tables, capsys):
    root, train, test = tables
    model = root / "model.skgen"
    assert main(["fit", str(root / "train.csv"), "--model", "tabular-mixture",
                 "--param", "random_state=0", "-o", str(model)]) == 0
    assert "fitted TabularMixture on 1500 rows" in capsys.readouterr().err

    assert main(["sample", str(model), "-n", "400", "--seed", "0",
                 "-o", str(root / "synth.csv")]) == 0
    synth = pd.read_csv(root / "synth.csv")
    assert list(synth.columns) == list(train.columns) and len(synth) == 400
    assert (synth["visits"] == synth["visits"].round()).all()  # counts stay integers
    assert set(synth["segment"]) <= set(train["segment"].dropna())
    assert set(synth["member"]) <= {True, False}

    assert main(["score", str(model), str(root / "test.csv"),
                 "-o", str(root / "scores.csv")]) == 0
    scores = pd.read_csv(root / "scores.csv")["log_likelihood"].to_numpy()
    np.testing.assert_allclose(scores, io.load(model).score_samples(
        pd.read_csv(root / "test.csv", dtype_backend="numpy_nullable")))
    # anomaly scores: the true network agrees on which rows are unlikely
    truth = CustomerNetwork().score_samples(test)
    assert np.corrcoef(scores, truth)[0, 1] > 0.95

    capsys.readouterr()
    assert main(["report", str(root / "test.csv"), str(root / "synth.csv"),
                 "--holdout", str(root / "train.csv"), "-o", str(root / "report.csv")]) == 0
    report = pd.read_csv(root / "report.csv")
    auc = report.loc[report["metric"] == "detection_auc", "score"].item()
    assert auc < 0.65


def test_parquet_keeps_dtypes(tables):
    pytest.importorskip("pyarrow")
    root, train, _ = tables
    train.to_parquet(root / "train.parquet", index=False)
    assert main(["fit", str(root / "train.parquet"), "-q", "--param", "n_components=6",
                 "-o", str(root / "pq.skgen")]) == 0
    assert main(["sample", str(root / "pq.skgen"), "-n", "50",
                 "-o", str(root / "synth.parquet")]) == 0
    synth = pd.read_parquet(root / "synth.parquet")
    assert synth.dtypes.to_dict() == train.dtypes.to_dict()
    assert list(synth["segment"].cat.categories) == list(train["segment"].cat.categories)


@pytest.mark.parametrize("argv, message", [
    (["fit", "nope.csv", "-o", "m.skgen"], "no such file"),
    (["fit", "{train}", "--model", "no-such-model", "-o", "m.skgen"], "unknown model"),
    (["fit", "{train}", "--model", "gaussian", "-o", "m.skgen"], "'segment'.*not numeric"),
    (["fit", "{train}", "--param", "n_components", "-o", "m.skgen"], "key=value"),
    (["fit", "{train}", "--param", "bogus=1", "-o", "m.skgen"], "bogus"),
    (["sample", "nope.skgen"], "no such model file"),
])
def test_errors_print_one_line_and_exit_1(tables, capsys, argv, message):
    root, _, _ = tables
    argv = [a.format(train=root / "train.csv") for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"skgen {argv[0]}: error:") and "\n" not in err
    assert pytest.importorskip("re").search(message, err)


@pytest.mark.parametrize("command", ["fit", "sample", "score", "report"])
def test_each_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: skgen " + command in capsys.readouterr().out


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "fit" in capsys.readouterr().err


def test_python_dash_m_skgen_runs_the_command_line(tables):
    root, _, _ = tables
    out = subprocess.run([sys.executable, "-m", "skgen", "sample", str(root / "missing")],
                         capture_output=True, text=True)
    assert out.returncode == 1 and "no such model file" in out.stderr
