"""Semi-supervised teachers (DINO pre-training on y == -1) and students taught on all rows."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.tree import DecisionTreeClassifier

from skkd import Modalities
from skkd.estimators import DINOPretrainer, DistilledStudentClassifier, TeacherClassifier
from skkd.estimators._inputs import unlabeled_mask
from skkd.estimators._teaching import cross_fit_teacher_outputs
from skkd.nets import SemiSupervisedDistillationLoss

PRE = dict(max_epochs=2, batch_size=32, out_dim=16)
FAST = dict(max_epochs=6, lr=1e-2, batch_size=32, device="cpu", random_state=0)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)
    yield


@pytest.fixture(scope="module")
def semi():
    X, y = make_classification(120, 6, n_informative=4, n_redundant=0, class_sep=1.5,
                               shuffle=False, random_state=0)  # columns 0-3 informative
    groups = np.repeat(np.arange(6), 20)
    rng = np.random.RandomState(0)
    hidden = rng.rand(120) < 0.75
    y_semi = np.where(hidden, -1, y)
    return X.astype(np.float32), y, y_semi, groups


def _teacher(**kw):
    return TeacherClassifier(pretrain=DINOPretrainer(**PRE), module__width=16, **{**FAST, **kw})


def _train_rows_seen(clf) -> int:
    return int(sum(b["train_batch_size"] for b in clf.net_.history[-1]["batches"]))


# -- the unlabeled mask ------------------------------------------------------------------------
def test_unlabeled_mask_conventions():
    assert unlabeled_mask(np.array([0, -1, 2])).tolist() == [False, True, False]
    assert unlabeled_mask(np.array([0.0, -1.0])).tolist() == [False, True]
    assert unlabeled_mask(np.array(["a", "-1"])).tolist() == [False, True]
    assert unlabeled_mask(np.array(["a", -1, True], dtype=object)).tolist() == [False, True, False]


# -- teacher -----------------------------------------------------------------------------------
def test_pretrained_teacher_fine_tunes_on_labelled_rows_only(semi):
    X, y, y_semi, _ = semi
    clf = _teacher().fit(X, y_semi)
    n_labeled = int((y_semi != -1).sum())
    assert clf.classes_.tolist() == [0, 1]
    assert clf.n_unlabeled_ == 120 - n_labeled
    assert _train_rows_seen(clf) == n_labeled  # -1 rows never reach the supervised fit
    assert len(clf.pretrain_history_) == PRE["max_epochs"]
    assert clf.predict_proba(X).shape == (120, 2)


def test_hidden_labels_never_matter(semi):
    """Rows marked -1 give the same model whatever their true label was."""
    X, y, y_semi, _ = semi
    a = _teacher().fit(X, y_semi)
    # the rows stay unlabeled; their (unseen) labels are flipped in the "truth"
    flipped = np.where(y_semi == -1, -1, y)
    b = _teacher().fit(X, flipped)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    # labelled rows do matter: changing one gives another model
    changed = y_semi.copy()
    first = np.flatnonzero(changed != -1)[0]
    changed[first] = 1 - changed[first]
    c = _teacher().fit(X, changed)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_pretraining_uses_unlabeled_rows(semi):
    X, _, y_semi, _ = semi
    labeled = y_semi != -1
    a = _teacher().fit(X, y_semi)
    X_other = X.copy()
    X_other[~labeled] += 3.0  # change only the unlabeled windows
    b = _teacher().fit(X_other, y_semi)
    assert not np.array_equal(a.predict_proba(X[labeled]), b.predict_proba(X[labeled]))


def test_without_pretrain_minus_one_is_a_class(semi):
    X, _, y_semi, _ = semi
    clf = TeacherClassifier(**FAST).fit(X, y_semi)
    assert clf.classes_.tolist() == [-1, 0, 1]
    assert clf.pretrain_history_ is None and clf.n_unlabeled_ == 0


def test_teacher_string_labels_with_minus_one_string(semi):
    X, y, y_semi, _ = semi
    labels = np.where(y_semi == -1, "-1", np.array(["calm", "stress"])[y])
    clf = _teacher().fit(X, labels)
    assert clf.classes_.tolist() == ["calm", "stress"]
    assert set(clf.predict(X)) <= {"calm", "stress"}


def test_all_unlabeled_is_an_error(semi):
    X, *_ = semi
    with pytest.raises(ValueError, match="all windows are unlabeled"):
        _teacher().fit(X, np.full(120, -1))


@pytest.mark.parametrize("value", ["byol", 3, DINOPretrainer(ema_momentum=2.0)])
def test_bad_pretrain_is_an_error_naming_it(semi, value):
    X, _, y_semi, _ = semi
    with pytest.raises(ValueError, match="pretrain|ema_momentum"):
        TeacherClassifier(pretrain=value, **FAST).fit(X, y_semi)


def test_pretrained_teacher_reproducible_clonable_picklable(semi):
    X, _, y_semi, groups = semi
    a = _teacher(early_stopping=True).fit(X, y_semi, groups=groups)
    b = clone(a).fit(X, y_semi, groups=groups)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.pretrain_history_ == b.pretrain_history_
    assert isinstance(clone(a).get_params()["pretrain"], DINOPretrainer)
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.predict_proba(X), a.predict_proba(X))


def test_dino_string_and_signal_input():
    rng = np.random.RandomState(0)
    y = rng.randint(0, 2, 60)
    X = Modalities(eda=(rng.randn(60, 1, 24) + y[:, None, None]).astype(np.float32))
    y_semi = np.where(np.arange(60) % 3 == 0, y, -1)
    clf = TeacherClassifier(pretrain="dino", module__width=8, **FAST)
    clf.set_params(pretrain=DINOPretrainer(**PRE))
    clf.fit(X, y_semi)
    assert clf.classes_.tolist() == [0, 1]
    assert clf.embed(X).shape == (60, 8)


# -- the student's loss ------------------------------------------------------------------------
def test_cross_entropy_mask_excludes_unlabeled_rows():
    loss = SemiSupervisedDistillationLoss(alpha=0.5, temperature=2.0)
    logits = torch.randn(4, 3, requires_grad=True)
    teacher = torch.randn(4, 3)
    y = torch.tensor([0, -1, 2, -1])
    value = loss(logits, y, teacher_logits=teacher)
    value.backward()
    # the unlabeled rows' gradient comes from the soft targets only
    logits2 = logits.detach().clone().requires_grad_(True)
    T, n = 2.0, 4
    kl_rows = torch.nn.functional.kl_div(
        torch.log_softmax(logits2 / T, -1), torch.log_softmax(teacher / T, -1),
        reduction="none", log_target=True).sum(-1)
    (loss.alpha * T * T * kl_rows.sum() / n).backward()
    torch.testing.assert_close(logits.grad[[1, 3]], logits2.grad[[1, 3]])
    # CE part equals the CE of the labelled rows
    ce_only = SemiSupervisedDistillationLoss(alpha=0.0)
    expected = torch.nn.functional.cross_entropy(logits[[0, 2]], y[[0, 2]])
    torch.testing.assert_close(ce_only(logits, y, teacher_logits=teacher), expected)
    # a batch without labels has no CE term at all
    assert float(ce_only(logits, torch.full((4,), -1), teacher_logits=teacher).detach()) == 0.0


def test_batch_without_labels_backpropagates_a_zero():
    loss = SemiSupervisedDistillationLoss(alpha=0.0)
    logits = torch.randn(4, 3, requires_grad=True)
    value = loss(logits, torch.full((4,), -1), teacher_logits=torch.zeros(4, 3))
    value.backward()  # no "does not require grad" error
    assert float(value.detach()) == 0.0
    assert torch.count_nonzero(logits.grad) == 0


def test_student_without_kd_trains_when_most_batches_have_no_labels(semi):
    X, y, _, groups = semi
    y_sparse = np.full_like(y, -1)
    y_sparse[:10], y_sparse[-10:] = y[:10], y[-10:]  # 20 labels: most batches of 8 have none
    student = DistilledStudentClassifier(
        RandomForestClassifier(n_estimators=5, random_state=0), student_inputs=[0, 1, 2, 3],
        alpha=0.0, semi_supervised=True, **{**FAST, "batch_size": 8}).fit(X, y_sparse)
    assert student.n_unlabeled_ == 100
    assert set(student.classes_) == {0, 1}


# -- the student -------------------------------------------------------------------------------
def test_dino_teacher_teaches_a_student_on_all_rows(semi):
    X, y, y_semi, groups = semi
    longer = {**FAST, "max_epochs": 30}  # ~30 labelled rows: one step an epoch
    student = DistilledStudentClassifier(
        _teacher(max_epochs=30), student_inputs=[0, 1, 2], teacher_cv=2, alpha=0.7,
        temperature=2.0, feature_weights=1.0, module__width=8, **longer,
    ).fit(X, y_semi, groups=groups)
    assert student.classes_.tolist() == [0, 1]
    assert student.n_unlabeled_ == int((y_semi == -1).sum())
    assert student.teacher_.n_unlabeled_ == student.n_unlabeled_  # pre-trained on every row
    assert len(student.teacher_.pretrain_history_) == PRE["max_epochs"]
    assert _train_rows_seen(student) == 120  # KD on every row
    assert student.score(X[:, :3], y) > 0.7


def test_unlabeled_rows_teach_through_soft_targets(semi):
    X, y, y_semi, groups = semi
    kw = dict(student_inputs=[0, 1, 2], teacher_targets="in_sample", alpha=1.0,
              module__width=8, semi_supervised=True, **FAST)
    teacher = FrozenEstimator(DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y))
    with_unlabeled = DistilledStudentClassifier(teacher, **kw).fit(X, y_semi)
    labeled = y_semi != -1
    only_labeled = DistilledStudentClassifier(teacher, **kw).fit(X[labeled], y_semi[labeled])
    assert not np.array_equal(with_unlabeled.predict_proba(X[:, :3]),
                              only_labeled.predict_proba(X[:, :3]))


def test_non_semi_teacher_is_fitted_on_labelled_rows(semi):
    X, _, y_semi, groups = semi
    n_labeled = int((y_semi != -1).sum())
    student = DistilledStudentClassifier(
        DecisionTreeClassifier(random_state=0), student_inputs=[0, 1], semi_supervised=True,
        teacher_targets="in_sample", module__width=8, **FAST).fit(X, y_semi, groups=groups)
    assert student.teacher_.tree_.n_node_samples[0] == n_labeled
    assert student.teacher_.classes_.tolist() == [0, 1] == student.classes_.tolist()
    # 'auto' with a teacher that does not pre-train: -1 is an ordinary class
    auto = DistilledStudentClassifier(
        DecisionTreeClassifier(random_state=0), student_inputs=[0, 1], teacher_targets="in_sample",
        module__width=8, **FAST).fit(X, y_semi)
    assert auto.classes_.tolist() == [-1, 0, 1] and auto.n_unlabeled_ == 0


def test_cross_fitted_targets_come_from_teachers_that_did_not_see_the_row(semi):
    X, _, y_semi, groups = semi
    labeled = y_semi != -1
    log_proba, _, folds = cross_fit_teacher_outputs(
        DecisionTreeClassifier(random_state=0), X, y_semi, groups=groups, cv=3,
        classes=np.array([0, 1]), labeled=labeled)
    scored = np.zeros(120, bool)
    for est, train_idx, test_idx in folds:
        assert not set(train_idx) & set(test_idx)
        assert labeled[train_idx].all()
        assert est.tree_.n_node_samples[0] == len(train_idx)
        assert not set(groups[train_idx]) & set(groups[test_idx])
        scored[test_idx] = True
    assert scored.all()  # unlabeled rows get targets too
    assert np.isfinite(log_proba).all()


def test_student_semi_supervised_parameter_checks(semi):
    X, _, y_semi, _ = semi
    with pytest.raises(ValueError, match="semi_supervised"):
        DistilledStudentClassifier(DecisionTreeClassifier(), semi_supervised="yes", **FAST).fit(
            X, y_semi)
    with pytest.raises(ValueError, match="semi_supervised=False"):
        DistilledStudentClassifier(_teacher(), semi_supervised=False, **FAST).fit(X, y_semi)
    with pytest.raises(ValueError, match="all windows are unlabeled"):
        DistilledStudentClassifier(DecisionTreeClassifier(), semi_supervised=True, **FAST).fit(
            X, np.full(120, -1))


def test_semi_student_early_stopping_feedback_and_pickle(semi):
    X, y, y_semi, groups = semi
    student = DistilledStudentClassifier(
        _teacher(), student_inputs=[0, 1, 2], teacher_targets="in_sample", alpha=0.5,
        feedback=True, feedback_every=2, feedback_steps=2, early_stopping=True,
        module__width=8, **FAST).fit(X, y_semi, groups=groups)
    # the validation split holds labelled windows only
    valid_y = np.asarray(student.net_.train_split.keywords["valid_ds"].y)
    assert len(valid_y) and (valid_y >= 0).all()
    again = clone(student).fit(X, y_semi, groups=groups)
    np.testing.assert_array_equal(again.predict_proba(X[:, :3]), student.predict_proba(X[:, :3]))
    loaded = pickle.loads(pickle.dumps(student))
    np.testing.assert_array_equal(loaded.predict(X[:, :3]), student.predict(X[:, :3]))


def test_random_forest_teacher_semi_supervised_cross_fit(semi):
    X, y, y_semi, groups = semi
    student = DistilledStudentClassifier(
        RandomForestClassifier(10, random_state=0), student_inputs=[0, 1, 2], teacher_cv=3,
        semi_supervised=True, module__width=8, **FAST).fit(X, y_semi, groups=groups)
    assert student.classes_.tolist() == [0, 1]
    assert _train_rows_seen(student) == 120


def test_pretrain_parameters_are_nested_params():
    clf = TeacherClassifier(pretrain=DINOPretrainer(max_epochs=3), random_state=0)
    params = clf.get_params(deep=True)
    assert params["pretrain__max_epochs"] == 3
    clf.set_params(pretrain__ema_momentum=0.9)
    assert clf.pretrain.ema_momentum == 0.9
    assert clone(clf).pretrain is not clf.pretrain
    # "dino" gets the defaults with the estimator's device and a seed from its random_state
    dino = TeacherClassifier(pretrain="dino", device="cpu", random_state=0)._pretrainer(7)
    assert isinstance(dino, DINOPretrainer) and dino.device == "cpu"
    assert dino.random_state == 7
