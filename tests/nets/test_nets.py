"""Encoders by rank, late fusion, the auto builder and the teacher-input wrapper."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.preprocessing import StandardScaler

from skkd.nets import (
    ConvEncoder,
    EncoderClassifier,
    FusionClassifier,
    MLPEncoder,
    Standardize,
    build_module,
)


@pytest.mark.parametrize(
    "shape, encoder",
    [((5, 7), "MLPEncoder"), ((5, 2, 300), "ConvEncoder"), ((5, 3, 16, 16), "ConvEncoder"),
     ((5, 1, 4, 8, 8), "ConvEncoder")],
)
def test_build_module_by_rank(shape, encoder):
    X = np.random.RandomState(0).randn(*shape).astype(np.float32)
    net = build_module(X, 3, width=8, depth=1)
    assert type(net.encoder).__name__ == encoder
    logits, embedding = net(torch.from_numpy(X))
    assert logits.shape == (5, 3)
    assert embedding.shape == (5, 8)


def test_recurrent_adds_bilstm_on_1d_signals():
    X = np.zeros((4, 2, 120), dtype=np.float32)
    net = build_module(X, 2, width=8, recurrent=True)
    assert isinstance(net.encoder.lstm, torch.nn.LSTM)
    assert net.encoder.lstm.bidirectional
    assert net(torch.from_numpy(X))[1].shape == (4, 8)


def test_conv_encoder_rejects_recurrent_images():
    with pytest.raises(ValueError, match="recurrent"):
        ConvEncoder(1, (8, 8), recurrent=True)


def test_width_and_depth_change_the_network():
    X = np.zeros((4, 6), dtype=np.float32)
    small = build_module(X, 2, width=4, depth=1)
    large = build_module(X, 2, width=16, depth=3)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(small) < count(large)
    assert len([m for m in large.encoder.layers if isinstance(m, torch.nn.Linear)]) == 3


def test_build_module_rejects_bad_rank():
    with pytest.raises(ValueError, match="rank"):
        build_module(np.zeros((2, 1, 1, 1, 1, 1)), 2)


def test_fusion_of_modalities_with_different_rates():
    X = {"eda": np.random.randn(6, 1, 40), "bvp": np.random.randn(6, 1, 640),
         "hr": np.random.randn(6, 3)}
    net = build_module(X, 2, width=8)
    assert isinstance(net, FusionClassifier)
    tensors = {k: torch.tensor(v, dtype=torch.float32) for k, v in X.items()}
    logits, emb = net(**tensors)
    assert logits.shape == (6, 2) and emb.shape == (6, 8)
    parts = net.modality_embeddings(**tensors)
    assert sorted(parts) == ["bvp", "eda", "hr"]
    with pytest.raises(ValueError, match="lacks modalities"):
        net(eda=tensors["eda"])


def test_standardize_matches_sklearn_standard_scaler():
    rng = np.random.RandomState(0)
    X = rng.randn(50, 4) * [1, 10, 100, 0.1] + [0, 5, -3, 2]
    expected = StandardScaler().fit_transform(X)
    got = Standardize.from_data(X)(torch.tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_standardize_per_channel_for_signals():
    rng = np.random.RandomState(1)
    X = rng.randn(20, 2, 30) * np.array([1.0, 50.0])[None, :, None]
    out = Standardize.from_data(X)(torch.tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(out.mean(axis=(0, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 2)), 1, atol=1e-3)


def test_embedding_dim_projects_each_encoder_without_widening_convolutions():
    import numpy as np
    import torch

    from skkd.nets import ConvEncoder, ProjectedEncoder, build_module

    X = {"video": np.zeros((4, 1, 6, 8, 8), np.float32), "eda": np.zeros((4, 1, 16, 16), np.float32)}
    net = build_module(X, 3, width=8, embedding_dim=32)
    for encoder in net.encoders.values():
        assert isinstance(encoder, ProjectedEncoder) and isinstance(encoder.encoder, ConvEncoder)
        assert encoder.out_features == 32
    assert net.modality_dims == {"video": 32, "eda": 32}
    emb = net.modality_embeddings(video=torch.zeros(2, 1, 6, 8, 8), eda=torch.zeros(2, 1, 16, 16))
    assert {k: tuple(v.shape) for k, v in emb.items()} == {"video": (2, 32), "eda": (2, 32)}
    logits, fused = net(video=torch.zeros(2, 1, 6, 8, 8), eda=torch.zeros(2, 1, 16, 16))
    assert logits.shape == (2, 3) and fused.shape == (2, 8)  # fused width unchanged
    single = build_module(np.zeros((4, 5), np.float32), 2, width=4, embedding_dim=12)
    assert single(torch.zeros(3, 5))[1].shape == (3, 12)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "256"])
def test_embedding_dim_must_be_a_positive_int(bad):
    import numpy as np

    from skkd.nets import build_encoder

    with pytest.raises(ValueError, match="embedding_dim"):
        build_encoder(np.zeros((4, 3)), embedding_dim=bad)


def test_teacher_accepts_module_embedding_dim():
    import numpy as np

    from skkd import Modalities
    from skkd.estimators import TeacherClassifier

    rng = np.random.default_rng(0)
    X = Modalities(eda=rng.normal(size=(40, 1, 16, 16)).astype(np.float32),
                   hr=rng.normal(size=(40, 3)).astype(np.float32))
    y = np.repeat([0, 1], 20)
    teacher = TeacherClassifier(max_epochs=2, device="cpu", random_state=0,
                                module__width=4, module__embedding_dim=24).fit(X, y)
    assert teacher.net_.module_.modality_dims == {"eda": 24, "hr": 24}


def test_target_length_sets_how_far_conv_blocks_pool():
    import numpy as np
    import torch

    from skkd.nets import build_encoder

    X = np.zeros((2, 1, 32, 32), np.float32)
    pools = lambda enc: [m.kernel_size for m in enc.modules()  # noqa: E731
                         if isinstance(m, torch.nn.MaxPool2d)]
    assert all(k in (1, (1, 1)) for k in pools(build_encoder(X, width=4)))  # 32 → 16 by default
    coarse = build_encoder(X, width=4, target_length=4)
    assert np.prod([np.prod(np.atleast_1d(k)) for k in pools(coarse)]) > 1
    assert coarse(torch.zeros(2, 1, 32, 32)).shape == (2, 4)
    with pytest.raises(ValueError, match="target_length"):
        build_encoder(X, target_length=0)


def test_projected_encoders_on_real_wrist_windows_held_out_subject(data_home):
    """module__embedding_dim on Stress-Predict EDA+TEMP windows, one subject held out."""
    import numpy as np

    from skkd.datasets import load_stress_predict
    from skkd.estimators import TeacherClassifier

    data = load_stress_predict(data_home, signals=("eda", "temp"))
    groups = np.asarray(data.groups)
    keep = np.isin(groups, ["S02", "S10", "S20"])
    X, y, g = data.X[keep], np.asarray(data.y)[keep], groups[keep]
    train, test = g != "S20", g == "S20"
    teacher = TeacherClassifier(max_epochs=2, device="cpu", random_state=0, module__width=4,
                                module__embedding_dim=16, module__target_length=8)
    teacher.fit(X[train], y[train], groups=g[train])
    assert teacher.net_.module_.modality_dims == {"eda": 16, "temp": 16}
    proba = teacher.predict_proba(X[test])
    assert proba.shape == (int(test.sum()), 2) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
