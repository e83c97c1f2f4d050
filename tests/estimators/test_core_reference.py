"""The redesigned distillation core reproduces the old one's predictions (issue 14).

``data/core_reference.npz`` was recorded with ``core_variants.py`` from the
code before the redesign. On the platform it was recorded on (same torch
build and CPU kernels) the probabilities must be bit-identical; elsewhere
floating-point kernels may round differently, so they must agree to 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

from core_variants import REFERENCE, platform_tag, predict_all


@pytest.fixture(scope="module")
def recorded():
    with np.load(REFERENCE) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def current():
    return predict_all()


def test_every_variant_is_pinned(recorded, current):
    assert set(current) == set(recorded) - {"platform"}


with np.load(REFERENCE) as _data:
    VARIANTS = sorted(k for k in _data.files if k != "platform")


@pytest.mark.parametrize("name", VARIANTS)
def test_predict_proba_unchanged(name, recorded, current):
    if str(recorded["platform"]) == platform_tag():
        np.testing.assert_array_equal(current[name], recorded[name])
    else:
        np.testing.assert_allclose(current[name], recorded[name], rtol=0, atol=1e-5)
