"""DINO pieces: EMA, centring, sharpening, loss values, augmentations, DINOPretrainer."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.base import clone

from skkd import Modalities
from skkd.estimators import DINOPretrainer
from skkd.nets import (
    DINOHead,
    DINOLoss,
    augment_image,
    augment_signal,
    augment_spectrogram,
    augment_tabular,
    augmentation_kind,
    build_module,
    dino_loss,
    ema_update_,
    make_views,
)
from skkd.nets._dino import resolve_augmentation
from skkd.nets.losses import dino_teacher_probabilities

FAST = dict(max_epochs=2, batch_size=16, out_dim=16, device="cpu", random_state=0)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    yield


# -- EMA, centring, sharpening, loss -----------------------------------------------------------
def test_ema_update_matches_formula_on_every_parameter():
    torch.manual_seed(0)
    teacher, student = DINOHead(6, 8), DINOHead(6, 8)
    before = [p.detach().clone() for p in teacher.parameters()]
    m = 0.93
    ema_update_(teacher, student, m)
    for t0, t1, s in zip(before, teacher.parameters(), student.parameters()):
        assert torch.equal(t1, m * t0 + (1 - m) * s.detach())
    # momentum 1 keeps the teacher, 0 copies the student
    ema_update_(teacher, student, 0.0)
    for t, s in zip(teacher.parameters(), student.parameters()):
        assert torch.equal(t, s)


def test_ema_leaves_buffers_alone():
    net_t = build_module(np.random.RandomState(0).randn(8, 3), 2)
    net_s = build_module(np.random.RandomState(1).randn(8, 3) + 5, 2)
    mean_t = net_t.preprocess.mean.clone()
    ema_update_(net_t, net_s, 0.5)
    assert torch.equal(net_t.preprocess.mean, mean_t)


def test_center_update_matches_formula():
    loss = DINOLoss(3, center_momentum=0.8)
    loss.center.copy_(torch.tensor([[1.0, 2.0, 3.0]]))
    t1, t2 = torch.randn(4, 3), torch.randn(4, 3)
    expected = 0.8 * loss.center + 0.2 * torch.cat([t1, t2]).mean(dim=0, keepdim=True)
    loss([t1, t2], [t1, t2])
    torch.testing.assert_close(loss.center, expected)
    # no update in eval mode
    loss.eval()
    before = loss.center.clone()
    loss([t1, t2], [t1, t2])
    assert torch.equal(loss.center, before)


def test_teacher_outputs_are_centred_and_sharpened():
    t = torch.tensor([[3.0, 1.0, 0.0]])
    center = torch.tensor([[1.0, 0.0, 0.0]])
    p = dino_teacher_probabilities(t, center, 0.5)
    torch.testing.assert_close(p, F.softmax(torch.tensor([[4.0, 2.0, 0.0]]), dim=-1))
    # a lower temperature gives a sharper (lower-entropy) distribution
    entropy = [float(-(q * q.log()).sum()) for q in
               (dino_teacher_probabilities(t, center, tau) for tau in (2.0, 0.5, 0.1))]
    assert entropy[0] > entropy[1] > entropy[2]
    # centring with the mean output makes every dimension equally likely for that output
    torch.testing.assert_close(dino_teacher_probabilities(t, t, 0.04), torch.full((1, 3), 1 / 3))


def test_dino_loss_hand_checked():
    # two global views (teacher), one local view (student); K = 2
    teacher = [torch.tensor([[0.0, 0.0]]), torch.tensor([[math_log3(), 0.0]])]
    student = [torch.tensor([[0.0, 0.0]]), torch.tensor([[0.0, 0.0]]),
               torch.tensor([[math_log3() * 0.1, 0.0]])]
    # teacher probabilities at tau_t = 1: view 0 (1/2, 1/2), view 1 (3/4, 1/4)
    # student log-probs at tau_s = 0.1: views 0, 1 log(1/2); view 2 (log 3/4, log 1/4)
    l2 = np.log(2)
    h01 = l2                                    # p0 vs s1
    h02 = -(0.5 * np.log(0.75) + 0.5 * np.log(0.25))  # p0 vs s2
    h10 = l2                                    # p1 vs s0
    h12 = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))  # p1 vs s2
    expected = (h01 + h02 + h10 + h12) / 4
    value = dino_loss(student, teacher, torch.zeros(1, 2), student_temperature=0.1,
                      teacher_temperature=1.0)
    assert float(value) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="two views"):
        dino_loss(student[:1], teacher[:1], torch.zeros(1, 2))


def math_log3() -> float:
    return float(np.log(3.0))


def test_dino_loss_decreases_when_optimised():
    torch.manual_seed(0)
    head = DINOHead(4, 8)
    x = torch.randn(6, 4)
    views = [x, x + 0.1 * torch.randn(6, 4), x + 0.1 * torch.randn(6, 4)]
    with torch.no_grad():
        targets = [DINOHead(4, 8)(v) * 10 for v in views[:2]]  # a fixed teacher
    criterion = DINOLoss(8).eval()
    opt = torch.optim.Adam(head.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = criterion([head(v) for v in views], targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0] - 0.05


# -- augmentations --------------------------------------------------------------------------
@pytest.mark.parametrize("fn, shape", [
    (augment_signal, (5, 2, 40)),
    (augment_spectrogram, (5, 1, 12, 30)),
    (augment_image, (5, 3, 10, 10)),
    (augment_image, (5, 1, 4, 8, 8)),
    (augment_tabular, (5, 7)),
])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("global_view", [True, False])
def test_augmentations_keep_shape_and_dtype(fn, shape, dtype, global_view):
    x = torch.randn(*shape, dtype=dtype)
    out = fn(x, torch.Generator().manual_seed(0), global_view)
    assert out.shape == x.shape and out.dtype == dtype
    assert torch.isfinite(out).all()
    assert not torch.equal(out, x)
    again = fn(x, torch.Generator().manual_seed(0), global_view)
    assert torch.equal(out, again)  # reproducible from the generator


def test_signal_crop_is_a_stretched_sub_window():
    # a linear ramp stays monotone under crop + resampling; jitter is small
    x = torch.linspace(0, 1, 100).repeat(4, 1, 1)
    out = augment_signal(x, torch.Generator().manual_seed(1), global_view=False)
    span = out[:, 0, -1] - out[:, 0, 0]
    assert (span < 0.75).all() and (span > 0.05).all()  # local views crop 20-50 %


def test_spectrogram_masks_fill_whole_bands_with_one_value():
    x = torch.randn(16, 1, 20, 50, generator=torch.Generator().manual_seed(0))
    out = augment_spectrogram(x, torch.Generator().manual_seed(0), global_view=False)
    # random data has no constant column/row: one appears only where a mask sits
    const_cols = (out.amax(dim=2) == out.amin(dim=2)).squeeze(1)  # (n, T)
    const_rows = (out.amax(dim=3) == out.amin(dim=3)).squeeze(1)  # (n, F)
    assert const_cols.any(dim=1).float().mean() > 0.5
    assert const_rows.any(dim=1).float().mean() > 0.5
    assert (const_cols.sum(dim=1) <= 0.4 * 50).all() and (const_rows.sum(dim=1) <= 0.3 * 20).all()


def test_augmentation_kind_by_rank_and_resolution():
    assert augmentation_kind((3, 4)) == "tabular"
    assert augmentation_kind((3, 2, 10)) == "signal"
    assert augmentation_kind((3, 1, 8, 8)) == "spectrogram"
    assert augmentation_kind((3, 3, 8, 8)) == "image"
    assert augmentation_kind((3, 1, 2, 8, 8)) == "image"
    with pytest.raises(ValueError, match="rank"):
        augmentation_kind((3,))
    X = {"a": np.zeros((2, 3)), "b": np.zeros((2, 1, 8, 8))}
    fns = resolve_augmentation({"b": "image"}, X)
    assert fns == {"a": augment_tabular, "b": augment_image}
    with pytest.raises(ValueError, match="augment\\['b'\\]"):
        resolve_augmentation({"b": "rotate"}, X)
    with pytest.raises(ValueError, match="lacks"):
        resolve_augmentation({"c": "image"}, X)


def test_make_views_per_modality():
    x = {"a": torch.randn(4, 3), "b": torch.randn(4, 1, 20)}
    fns = {"a": augment_tabular, "b": augment_signal}
    views = make_views(x, fns, torch.Generator().manual_seed(0), n_global=2, n_local=3)
    assert len(views) == 5
    for v in views:
        assert v["a"].shape == (4, 3) and v["b"].shape == (4, 1, 20)


# -- DINOPretrainer --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def signals():
    rng = np.random.RandomState(0)
    return Modalities(eda=rng.randn(48, 2, 32).astype(np.float32), hr=rng.randn(48, 3).astype(np.float32))


def test_pretrainer_fit_transform_history(signals):
    pre = DINOPretrainer(**FAST).fit(signals)
    assert len(pre.history_) == 2 and all(np.isfinite(pre.history_))
    emb = pre.transform(signals)
    assert emb.shape == (48, 64) and np.isfinite(emb).all()
    assert pre.center_.shape == (1, 16)


def test_pretrainer_is_reproducible_and_picklable(signals):
    a = DINOPretrainer(**FAST).fit(signals)
    b = clone(a).fit(signals)
    np.testing.assert_array_equal(a.transform(signals), b.transform(signals))
    assert a.history_ == b.history_
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.transform(signals), a.transform(signals))
    d = DINOPretrainer(**{**FAST, "random_state": 1}).fit(signals)
    assert not np.array_equal(d.transform(signals), a.transform(signals))


def test_pretraining_changes_the_encoder_but_not_the_head(signals):
    torch.manual_seed(0)
    module = build_module(signals, 3)
    head_before = module.head.weight.detach().clone()
    enc_before = [p.detach().clone() for p in module.encoders.parameters()]
    DINOPretrainer(**FAST).pretrain(module, signals)
    assert torch.equal(module.head.weight, head_before)
    assert any(not torch.equal(a, b) for a, b in zip(enc_before, module.encoders.parameters()))


def test_tabular_pretraining(signals):
    X = np.asarray(signals["hr"])
    pre = DINOPretrainer(**FAST).fit(X)
    assert pre.transform(X).shape == (48, 64)
    assert pre.n_features_in_ == 3


@pytest.mark.parametrize("param, value, match", [
    ("max_epochs", 0, "max_epochs"),
    ("lr", -1.0, "lr"),
    ("batch_size", 1, "batch_size"),
    ("out_dim", 1, "out_dim"),
    ("teacher_temperature", 0.0, "teacher_temperature"),
    ("student_temperature", -0.1, "student_temperature"),
    ("center_momentum", 1.5, "center_momentum"),
    ("ema_momentum", -0.1, "ema_momentum"),
    ("n_local_crops", -1, "n_local_crops"),
    ("n_local_crops", 1.5, "n_local_crops"),
    ("augment", "rotate", "augment"),
    ("augment", {"eda": 1}, "augment"),
])
def test_pretrainer_parameter_errors(signals, param, value, match):
    with pytest.raises((ValueError, TypeError), match=match):
        DINOPretrainer(**{**FAST, param: value}).fit(signals)


def test_pretrainer_needs_two_windows(signals):
    with pytest.raises(ValueError, match="at least 2 windows"):
        DINOPretrainer(**FAST).fit(signals[:1])
