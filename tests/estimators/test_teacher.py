"""TeacherClassifier: labels, reproducibility, embeddings, splits, persistence."""

from __future__ import annotations

import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GroupKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from skkd import Modalities
from skkd.estimators import TeacherClassifier

FAST = dict(max_epochs=8, lr=1e-2, batch_size=32, device="cpu", random_state=0)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="module")
def tabular():
    X, y = make_classification(120, 6, n_informative=4, random_state=0)
    groups = np.repeat(np.arange(6), 20)
    return X, y, groups


@pytest.fixture(scope="module")
def multimodal():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 3, 90)
    X = Modalities(
        eda=(rng.randn(90, 1, 32) + 0.8 * y[:, None, None]).astype(np.float64),
        eeg=(rng.randn(90, 3, 16, 16) + y[:, None, None, None]),
        hr=rng.randn(90, 4) + y[:, None],
    )
    return X, y, np.repeat(np.arange(6), 15)


def test_string_labels_round_trip(tabular):
    X, y, _ = tabular
    labels = np.array(["calm", "stress"])[y]
    clf = TeacherClassifier(**FAST).fit(X, labels)
    assert list(clf.classes_) == ["calm", "stress"]
    pred = clf.predict(X)
    assert set(pred) <= {"calm", "stress"}
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 2) and np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, labels) > 0.8


def test_refit_is_bit_identical_on_cpu(tabular):
    X, y, _ = tabular
    a = TeacherClassifier(**FAST).fit(X, y).predict_proba(X)
    b = TeacherClassifier(**FAST).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    c = TeacherClassifier(**{**FAST, "random_state": 1}).fit(X, y).predict_proba(X)
    assert not np.array_equal(a, c)


def test_fit_leaves_global_torch_rng_alone(tabular):
    X, y, _ = tabular
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    TeacherClassifier(**FAST).fit(X, y)
    assert torch.equal(torch.rand(1), expected)


def test_multimodal_fusion_and_embeddings(multimodal):
    X, y, _ = multimodal
    clf = TeacherClassifier(module__width=8, **FAST).fit(X, y)
    assert clf.score(X, y) > 0.8
    assert clf.embed(X).shape == (90, 8)
    per = clf.embed(X, per_modality=True)
    assert {k: v.shape for k, v in per.items()} == {"eda": (90, 8), "eeg": (90, 8), "hr": (90, 8)}
    assert clf.embedding_dims() == {"eda": 8, "eeg": 8, "hr": 8, "fused": 8}
    assert clf.n_params_ == sum(p.numel() for p in clf.net_.module_.parameters())
    with pytest.raises(ValueError, match="lacks modalities"):
        clf.predict(X.select(["eda"]))


def test_embed_per_modality_needs_a_multimodal_net(tabular):
    X, y, _ = tabular
    clf = TeacherClassifier(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="multimodal"):
        clf.embed(X, per_modality=True)


def test_float32_casting_of_modalities(multimodal):
    X, y, _ = multimodal
    clf = TeacherClassifier(module__width=4, **{**FAST, "max_epochs": 1}).fit(X, y)
    assert next(clf.net_.module_.parameters()).dtype == torch.float32


class _TwoLayer(torch.nn.Module):
    def __init__(self, n_in=6, hidden=5):
        super().__init__()
        self.body = torch.nn.Linear(n_in, hidden)
        self.head = torch.nn.Linear(hidden, 2)

    def forward(self, x):
        h = torch.relu(self.body(x))
        return self.head(h), h


def test_user_module_class_with_module_params(tabular):
    X, y, _ = tabular
    clf = TeacherClassifier(_TwoLayer, module__hidden=3, **FAST)
    assert clf.get_params()["module__hidden"] == 3
    clf.fit(X, y)
    assert clf.net_.module_.body.out_features == 3
    assert clf.embed(X).shape == (120, 3)
    cloned = clone(clf)
    assert cloned.module__hidden == 3 and not hasattr(cloned, "net_")
    cloned.set_params(module__hidden=4, optimizer__weight_decay=0.1)
    assert cloned.get_params()["module__hidden"] == 4
    cloned.fit(X, y)
    assert cloned.net_.module_.body.out_features == 4
    assert cloned.net_.optimizer_.param_groups[0]["weight_decay"] == 0.1


def test_early_stopping_holds_out_whole_subjects(tabular):
    X, y, groups = tabular
    clf = TeacherClassifier(early_stopping=True, validation_fraction=0.34, **FAST)
    train, valid = clf._validation_split(len(y), y, groups, seed=0)
    assert not set(groups[train]) & set(groups[valid])
    clf.fit(X, y, groups=groups)
    assert "valid_loss" in clf.net_.history[-1]
    assert any(name == "early_stopping" for name, _ in clf.net_.callbacks_)


def test_user_callbacks_are_copied_per_fit(tabular):
    X, y, _ = tabular

    class Count(Callback):
        def initialize(self):
            self.epochs_ = 0
            return self

        def on_epoch_end(self, net, **kw):
            self.epochs_ += 1

    cb = Count()
    clf = TeacherClassifier(callbacks=[cb], **FAST).fit(X, y)
    fitted = [c for _, c in clf.net_.callbacks_ if isinstance(c, Count)][0]
    assert fitted.epochs_ == FAST["max_epochs"] and fitted is not cb


@pytest.mark.parametrize(
    "param, value, match",
    [("max_epochs", 0, "max_epochs"), ("lr", -1.0, "lr"), ("batch_size", 2.5, "batch_size"),
     ("module", "cnn", "module"), ("optimizer", "adam", "optimizer"),
     ("validation_fraction", 1.5, "validation_fraction"), ("callbacks", "x", "callbacks"),
     ("module__colour", 3, "module__"), ("device", 3, "device")],
)
def test_parameter_errors_name_the_parameter(tabular, param, value, match):
    X, y, _ = tabular
    clf = TeacherClassifier(**FAST).set_params(**{param: value})
    with pytest.raises((ValueError, TypeError), match=match):
        clf.fit(X, y)


def test_unknown_keyword_is_rejected_at_fit(tabular):
    X, y, _ = tabular
    with pytest.raises(TypeError, match="temprature"):
        TeacherClassifier(temprature__x=2, **FAST).fit(X, y)


def test_input_errors(tabular, multimodal):
    X, y, _ = tabular
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        TeacherClassifier(**FAST).fit(Xn, y)
    Xd, yd, _ = multimodal
    bad = dict(Xd)
    bad["eda"] = np.full_like(Xd["eda"], np.inf)
    with pytest.raises(ValueError, match="eda"):
        TeacherClassifier(**FAST).fit(bad, yd)
    with pytest.raises(ValueError, match="labels"):
        TeacherClassifier(**FAST).fit(Xd, yd[:-1])


def test_pipeline_and_grouped_cross_validate(tabular):
    X, y, groups = tabular
    pipe = make_pipeline(StandardScaler(), TeacherClassifier(**FAST))
    res = cross_validate(pipe, X, y, groups=groups, cv=GroupKFold(3), scoring="balanced_accuracy")
    assert res["test_score"].shape == (3,) and res["test_score"].mean() > 0.6


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_persistence_round_trip(tabular, tmp_path, dump):
    X, y, _ = tabular
    clf = TeacherClassifier(**FAST).fit(X, y)
    if dump == "pickle":
        loaded = pickle.loads(pickle.dumps(clf))
    else:
        joblib.dump(clf, tmp_path / "t.joblib")
        loaded = joblib.load(tmp_path / "t.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(loaded.embed(X), clf.embed(X))


def test_model_saved_on_cuda_loads_on_cpu(tabular, monkeypatch):
    """The map-location path: a net whose device is 'cuda' unpickles on a CPU-only host."""
    X, y, _ = tabular
    clf = TeacherClassifier(**FAST).fit(X, y)
    expected = clf.predict_proba(X)
    clf.net_.device = "cuda"  # as if trained on a GPU (tensors are stored device-free)
    blob = pickle.dumps(clf)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = pickle.loads(blob)
    assert any("CUDA" in str(w.message) for w in caught)
    assert str(loaded.net_.device) == "cpu"
    assert next(loaded.net_.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(loaded.predict_proba(X), expected, rtol=1e-6)


def test_device_auto_resolves(tabular):
    X, y, _ = tabular
    clf = TeacherClassifier(**{**FAST, "device": "auto", "max_epochs": 1}).fit(X, y)
    assert clf.net_.device in {"cpu", "cuda", "mps"}


def test_iterator_options_reach_skorch(tabular):
    X, y, _ = tabular
    clf = TeacherClassifier(iterator_train__shuffle=False, iterator_train__drop_last=True, **FAST)
    clf.fit(X, y)
    assert clf.net_.iterator_train__shuffle is False
    assert clf.net_.iterator_train__drop_last is True
