"""skgen.io: every estimator saved here loads, bit-identical, in a fresh process."""

import io
import json
import os
import pickle
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.neighbors import KernelDensity as SklearnKernelDensity
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    PowerTransformer,
    RobustScaler,
    StandardScaler,
)

pytest.importorskip("safetensors")

from skgen import __version__  # noqa: E402
from skgen.base import is_conditional  # noqa: E402
from skgen.classical import Gaussian, GaussianMixture  # noqa: E402
from skgen.conditional import GenerativeClassifier  # noqa: E402
from skgen.datasets import make_toy  # noqa: E402
from skgen.energy import EnergyModel  # noqa: E402
from skgen.autoregressive import MADE  # noqa: E402
from skgen.flows import MAF, NSF  # noqa: E402
from skgen.io import FORMAT_VERSION, load, save  # noqa: E402
from skgen.pipeline import DensityPipeline  # noqa: E402
from skgen.testing import TEST_PARAMS, estimator_test_instances  # noqa: E402
from skgen.vae import VAE  # noqa: E402

_TINY = {"hidden_sizes": (8,), "max_epochs": 2, "random_state": 0}
_TEXTS = ["hello", "help", "held", "world", "word", ""] * 6


def _data():
    """Training data by kind; the fresh process rebuilds the same."""
    X = np.asarray(make_toy("checkerboard", 200, random_state=0), dtype=np.float64)
    frame = pd.DataFrame(X, columns=["lon", "lat"])
    return {
        "array": X,
        "frame": frame,
        "integers": np.floor(np.abs(X) * 10),
        "binary": (X > 0).astype(np.float64),
        "texts": _TEXTS,
        "labels": np.where(X[:, 0] > 0, "east", "west"),
    }


def _fit_data(est):
    name = type(est).__name__
    return {"CharacterLanguageModel": "texts", "Dequantizer": "integers"}.get(name, "array")


def _cases():
    """``{case id: (factory, data kind, fit with labels)}``."""
    cases = {}
    for est in estimator_test_instances():
        name = type(est).__name__
        labels = name == "GenerativeClassifier"
        cases[f"plain-{name}"] = (est, _fit_data(est), labels)
        if name not in ("CharacterLanguageModel", "Dequantizer"):
            cases[f"frame-{name}"] = (est, "frame", labels)
        if is_conditional(est) and not labels:
            cases[f"labels-{name}"] = (est, "frame", True)
    cases["classifier-of-MAF"] = (GenerativeClassifier(MAF(n_transforms=1, **_TINY)),
                                  "frame", True)
    cases["pipeline-of-NSF"] = (DensityPipeline([("scale", StandardScaler()),
                                                 ("flow", NSF(n_transforms=1, **_TINY))]),
                                "frame", False)
    # architectures that _build_module reads from fitted state other than the defaults'
    cases["categorical-MADE"] = (MADE(distribution="categorical", **_TINY), "integers", False)
    cases["bernoulli-VAE"] = (VAE(distribution="bernoulli", **_TINY), "binary", False)
    cases["coupling-NSF"] = (NSF(architecture="coupling", n_transforms=2, **_TINY),
                             "array", False)
    for step in (MinMaxScaler(), MaxAbsScaler(), RobustScaler(), PowerTransformer(), PCA()):
        cases[f"pipeline-of-{type(step).__name__}"] = (
            DensityPipeline([("step", step), ("density", Gaussian(random_state=0))]),
            "frame", False)
    cases["energy-normalized"] = (EnergyModel(**TEST_PARAMS["EnergyModel"]), "array", False)
    return cases


CASES = _cases()


def _fit(case_id, data):
    from sklearn.base import clone

    template, kind, labels = CASES[case_id]
    est = clone(template)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(data[kind], data["labels"] if labels else None)
        if case_id == "energy-normalized":
            est.estimate_log_normalizer(500, random_state=0)
    return est


def _outputs(est, data, kind, labels):
    """Everything the protocol computes from a fitted estimator, as plain arrays."""
    X, y = data[kind], data["labels"]
    out = {}
    if hasattr(est, "score_samples"):
        out["score_samples"] = est.score_samples(X)
        if labels and is_conditional(est):
            out["score_samples_y"] = est.score_samples(X, y)
    if hasattr(est, "sample"):
        out["sample"] = est.sample(7, random_state=3)
        out["sample_stream"] = est.sample(5)  # continues the saved random stream
        if labels and is_conditional(est):
            out["sample_y"] = est.sample(7, y=y[:7], random_state=3)
            out["sample_return_y"], out["sample_labels"] = est.sample(
                7, random_state=3, return_y=True)
    if hasattr(est, "predict_proba"):
        out["predict_proba"] = est.predict_proba(X)
        out["predict"] = est.predict(X)
    if hasattr(est, "transform"):
        out["transform"] = est.transform(X)
        if hasattr(est, "inverse_transform"):
            out["inverse_transform"] = est.inverse_transform(out["transform"])
    if hasattr(est, "likelihood_kind"):
        out["likelihood_kind"] = est.likelihood_kind
    flat = {}
    for name, value in out.items():
        if isinstance(value, pd.DataFrame):
            flat[name] = value.to_numpy()
            flat[f"{name}.columns"] = np.asarray(value.columns.tolist(), dtype=str)
            flat[f"{name}.index"] = value.index.to_numpy()
        else:
            value = np.asarray(value)
            flat[name] = value.astype(str) if value.dtype == object else value
    return flat


def _child(plan_path, out_path):
    """The fresh process: load every saved model and compute its outputs."""
    with open(plan_path) as f:
        plan = json.load(f)
    data, results = _data(), {}
    for case_id, (path, kind, labels) in plan.items():
        try:
            outs = _outputs(load(path), data, kind, labels)
        except Exception as exc:  # reported by the case's test
            outs = {"error": np.asarray(f"{type(exc).__name__}: {exc}")}
        results.update({f"{case_id}::{k}": v for k, v in outs.items()})
    np.savez(out_path, **results)


@pytest.fixture(scope="module")
def round_trips(tmp_path_factory):
    """Fit and save every case here; load and compute them all in one fresh process."""
    tmp = tmp_path_factory.mktemp("io")
    data, expected, plan = _data(), {}, {}
    for case_id, (_, kind, labels) in CASES.items():
        try:
            est = _fit(case_id, data)
            path = str(tmp / f"{case_id}.skgen")
            save(est, path)
            expected[case_id] = _outputs(est, data, kind, labels)
            plan[case_id] = (path, kind, labels)
        except Exception as exc:
            expected[case_id] = exc
    with open(tmp / "plan.json", "w") as f:
        json.dump(plan, f)
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
            "import test_io; test_io._child(sys.argv[1], sys.argv[2])")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp / "plan.json"),
                           str(tmp / "out.npz")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = {}
    with np.load(tmp / "out.npz", allow_pickle=False) as npz:
        for key in npz.files:
            case_id, name = key.split("::")
            loaded.setdefault(case_id, {})[name] = npz[key]
    return expected, loaded


@pytest.mark.parametrize("case_id", list(CASES))
def test_round_trip_in_fresh_process_is_bit_identical(round_trips, case_id):
    expected, loaded = round_trips
    if isinstance(expected[case_id], Exception):
        raise expected[case_id]
    got = loaded[case_id]
    assert "error" not in got, str(got.get("error"))
    assert set(got) == set(expected[case_id])
    for name, want in expected[case_id].items():
        have = got[name]
        assert (have.dtype, have.shape) == (want.dtype, want.shape), name
        assert have.tobytes() == want.tobytes(), f"{case_id}: {name} differs"


def test_dataframe_and_labels_survive(tmp_path):
    data = _data()
    est = _fit("labels-MAF", data)
    save(est, tmp_path / "m.skgen")
    loaded = load(tmp_path / "m.skgen")
    out = loaded.sample(3, random_state=0)
    assert isinstance(out, pd.DataFrame) and out.columns.tolist() == ["lon", "lat"]
    assert loaded.classes_.tolist() == ["east", "west"]
    assert loaded.feature_names_in_.dtype == object
    pd.testing.assert_frame_equal(out, est.sample(3, random_state=0))


def test_energy_likelihood_kind_after_normalizing(tmp_path):
    est = _fit("energy-normalized", _data())
    assert est.likelihood_kind == "estimate"
    save(est, tmp_path / "e.skgen")
    loaded = load(tmp_path / "e.skgen")
    assert loaded.likelihood_kind == "estimate"
    assert loaded.log_normalizer_ == est.log_normalizer_
    assert type(loaded).likelihood_kind == "unnormalized"  # the class is untouched


def test_unfitted_estimator_round_trips(tmp_path):
    est = NSF(n_transforms=3, hidden_sizes=(5, 7), tail_bound=2.5)
    save(est, tmp_path / "u.skgen")
    loaded = load(tmp_path / "u.skgen")
    assert loaded.get_params() == est.get_params()
    assert not hasattr(loaded, "module_")


def test_file_object_and_layout():
    est = Gaussian(random_state=0).fit(_data()["frame"])
    buffer = io.BytesIO()
    save(est, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        assert sorted(archive.namelist()) == ["arrays.npz", "manifest.json"]
        manifest = json.loads(archive.read("manifest.json"))
        with np.load(io.BytesIO(archive.read("arrays.npz")), allow_pickle=False) as npz:
            assert {"mean_", "covariance_", "_sampling_rng"} <= set(npz.files)
    assert manifest["format"] == "skgen.io"
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["skgen_version"] == __version__
    node = manifest["estimator"]
    assert node["class"] == "skgen.classical._gaussian:Gaussian"
    assert node["params"]["covariance_type"] == "full"
    assert node["state"]["_train_columns"] == ["lon", "lat"]  # a plain list of names
    buffer.seek(0)
    assert np.array_equal(load(buffer).mean_, est.mean_)


def test_load_never_unpickles(tmp_path, monkeypatch):
    est = _fit("classifier-of-MAF", _data())
    save(est, tmp_path / "c.skgen")

    def refuse(*args, **kwargs):
        raise AssertionError("load used pickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    loaded = load(tmp_path / "c.skgen")
    X = _data()["frame"]
    np.testing.assert_array_equal(loaded.predict_proba(X), est.predict_proba(X))


def _rewrite_manifest(path, edit):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    edit(manifest)
    members["manifest.json"] = json.dumps(manifest)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


@pytest.mark.parametrize("cls", ["os:system", "builtins:eval",
                                 "sklearn.neighbors._kde:KernelDensity"])
def test_load_refuses_classes_outside_the_allow_list(tmp_path, cls):
    path = tmp_path / "g.skgen"
    save(DensityPipeline([("scale", StandardScaler()), ("density", Gaussian())]), path)

    def edit(manifest):  # the inner step, so the check must cover the whole tree
        manifest["estimator"]["params"]["steps"][1]["items"][1]["class"] = cls

    _rewrite_manifest(path, edit)
    with pytest.raises(ValueError, match="allowed"):
        load(path)


def test_load_refuses_unknown_nodes_and_attribute_names(tmp_path):
    path = tmp_path / "g.skgen"
    save(Gaussian().fit(_data()["array"]), path)
    _rewrite_manifest(path, lambda m: m["estimator"]["state"].update(
        mean_={"__type__": "pickle", "data": "..."}))
    with pytest.raises(ValueError, match="Unknown or malformed node"):
        load(path)
    save(Gaussian().fit(_data()["array"]), path)
    _rewrite_manifest(path, lambda m: m["estimator"]["state"].update(__class__=1))
    with pytest.raises(ValueError, match="Invalid attribute name"):
        load(path)
    save(Gaussian().fit(_data()["array"]), path)
    _rewrite_manifest(path, lambda m: m["estimator"]["state"].update(
        mean_={"__type__": "torch_module", "key": "mean_", "class": "torch.nn:Linear"}))
    with pytest.raises(ValueError, match="malformed node at estimator.mean_"):
        load(path)


def test_version_stamp(tmp_path):
    path = tmp_path / "g.skgen"
    save(Gaussian().fit(_data()["array"]), path)
    _rewrite_manifest(path, lambda m: m.update(format_version=FORMAT_VERSION + 1,
                                               skgen_version="9.0"))
    with pytest.raises(ValueError, match="format version 2.*reads format version 1"):
        load(path)
    save(Gaussian().fit(_data()["array"]), path)
    _rewrite_manifest(path, lambda m: m.update(skgen_version="0.0.1"))
    with pytest.warns(UserWarning, match="saved with skgen 0.0.1"):
        load(path)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.pkl", b"not a skgen file")
    with pytest.raises(ValueError, match="not a skgen.io file"):
        load(path)


def test_save_names_what_it_cannot_store(tmp_path):
    est = Gaussian().fit(_data()["array"])
    est.callback_ = print
    with pytest.raises(TypeError, match="'callback_'.*builtin_function_or_method"):
        save(est, tmp_path / "g.skgen")
    clf = GenerativeClassifier(SklearnKernelDensity()).fit(_data()["array"], _data()["labels"])
    with pytest.raises(TypeError, match="estimator.*sklearn.neighbors._kde:KernelDensity"):
        save(clf, tmp_path / "k.skgen")


def test_nsf_file_size_beside_raw_weights(tmp_path):
    X = make_toy("checkerboard", 2000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = NSF(max_epochs=5, random_state=0).fit(X)
    raw = sum(t.nbytes for t in est.module_.state_dict().values())
    save(est, tmp_path / "nsf.skgen")
    size = os.path.getsize(tmp_path / "nsf.skgen")
    print(f"\nNSF(): file {size} bytes, raw weights {raw} bytes ({size / raw:.3f}x)")
    assert size < raw + 64 * 1024  # weights plus a few KiB of manifest and history


# ------------------------------------------------------------------ skops
def test_skops_round_trip_trusting_only_skgen_types():
    sio = pytest.importorskip("skops.io")
    est = GaussianMixture(n_components=2, random_state=0).fit(_data()["array"])
    dumped = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert all(name.startswith("skgen.") for name in untrusted)
    loaded = sio.loads(dumped, trusted=untrusted)
    X = _data()["array"]
    np.testing.assert_array_equal(loaded.score_samples(X), est.score_samples(X))
    np.testing.assert_array_equal(loaded.sample(5, random_state=1),
                                  est.sample(5, random_state=1))


def test_skops_round_trip_of_a_dataframe_fit():
    sio = pytest.importorskip("skops.io")
    est = Gaussian(random_state=0).fit(_data()["frame"])
    dumped = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=dumped)
    assert all(name.startswith("skgen.") for name in untrusted)
    loaded = sio.loads(dumped, trusted=untrusted)
    pd.testing.assert_frame_equal(loaded.sample(5, random_state=1),
                                  est.sample(5, random_state=1))
