"""MiniRocket baseline (optional: ``pip install 'skkd[rocket]'``); skipped without sktime/aeon."""

from __future__ import annotations

import numpy as np
import pytest

from skkd.baselines import make_minirocket_baseline
from skkd.features import MiniRocketFeatures
from skkd.features import _rocket


def _installed() -> bool:
    try:
        _rocket.minirocket_backend()
    except ImportError:
        return False
    return True


needs_rocket = pytest.mark.skipif(not _installed(), reason="sktime/aeon not installed "
                                  "(pip install 'skkd[rocket]')")


def _two_classes(n=40, T=120, seed=0):
    """Class 1 holds a 1-Hz oscillation in channel 0 (at 8 Hz sampling), class 0 only noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(0, 0.3, (n, 2, T))
    t = np.arange(T) / 8.0
    X[y == 1, 0] += np.sin(2 * np.pi * t + rng.uniform(0, 2 * np.pi, (int(y.sum()), 1)))
    return X, y


def test_missing_backend_names_the_extra(monkeypatch):
    monkeypatch.setattr(_rocket, "_BACKENDS", (("sktime", "skkd._no_such_module", "X"),))
    with pytest.raises(ImportError, match=r"skkd\[rocket\]"):
        make_minirocket_baseline().fit(np.zeros((4, 1, 20)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="'backend' parameter of minirocket_backend must be"):
        _rocket.minirocket_backend("tsai")


def test_bad_parameters_and_input():
    with pytest.raises(ValueError, match="'classifier' parameter of make_minirocket_baseline"):
        make_minirocket_baseline(classifier="svm")
    with pytest.raises(ValueError, match=r"'num_kernels' parameter of MiniRocketFeatures "
                                         r"must be an int in the range \[84, inf\)"):
        MiniRocketFeatures(num_kernels=10).fit(np.zeros((4, 1, 20)))
    with pytest.raises(TypeError, match="np.concatenate"):
        MiniRocketFeatures().fit({"eda": np.zeros((4, 1, 20))})
    with pytest.raises(ValueError, match="at least 9 samples"):
        MiniRocketFeatures().fit(np.zeros((4, 1, 5)))
    with pytest.raises(ValueError, match=r"\(n, T\) or \(n, c, T\)"):
        MiniRocketFeatures().fit(np.zeros((4, 1, 2, 20)))


@needs_rocket
def test_minirocket_features_and_baseline():
    X, y = _two_classes()
    X.setflags(write=False)  # read-only input is read, never written
    before = X.copy()
    rocket = MiniRocketFeatures(num_kernels=168, random_state=0).fit(X)
    F = rocket.transform(X)
    assert F.shape == (40, 168) and F.dtype == np.float64
    assert ((0 <= F) & (F <= 1)).all()          # proportions of positive values
    np.testing.assert_array_equal(MiniRocketFeatures(num_kernels=168).fit_transform(X), F)
    with pytest.raises(ValueError, match="seen in fit"):
        rocket.transform(X[:, :1])
    for classifier in ("ridge", "logistic"):
        model = make_minirocket_baseline(num_kernels=168, classifier=classifier)
        Xte, yte = _two_classes(seed=1)
        assert model.fit(X, y).score(Xte, yte) > 0.9
    np.testing.assert_array_equal(X, before)
