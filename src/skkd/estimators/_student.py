"""DistilledStudentClassifier: a small network on wearable inputs, taught by a teacher."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import _fit_context, clone
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skkd._modalities import Modalities
from skkd.estimators._augment import AUGMENTERS, synthetic_windows
from skkd.estimators._feedback import FeedbackTeacher, TeacherFeedback
from skkd.estimators._inputs import (
    check_class_labels,
    check_inputs,
    resolve_student_inputs,
    select_inputs,
    unlabeled_mask,
)
from skkd.estimators._net_builder import (
    NON_NEGATIVE_REAL,
    POSITIVE_INT,
    POSITIVE_REAL,
    UNIT_INTERVAL,
    NeuralClassifierBase,
    _SeededContext,
    invalid_parameter,
    seed_from,
)
from skkd.estimators._teacher import TeacherClassifier
from skkd.estimators._teacher_outputs import (
    _take,
    cross_fit_teacher_outputs,
    fit_teacher,
    handles_unlabeled,
    neural_teacher,
    teacher_outputs,
)
from skkd.nets import (
    DistillationInputs,
    DistillationLoss,
    SemiSupervisedDistillationLoss,
    build_module,
)
from skkd.nets.losses import LOGIT_LOSSES, UNLABELED
from skkd.nets._wrapper import ARRAY_KEY, TEACHER_FEATURE_PREFIX, TEACHER_LOGITS, as_logits_and_embedding
from skkd.utils import resolve_device

__all__ = ["DistilledStudentClassifier"]


def _seed_unset_random_states(estimator, seed):
    """Give nested ``random_state=None`` parameters a seed (reproducible clones)."""
    if seed is None:
        return estimator
    rng = np.random.RandomState(seed)
    params = estimator.get_params(deep=True)
    updates = {k: int(rng.randint(np.iinfo(np.int32).max)) for k in sorted(params)
               if (k == "random_state" or k.endswith("__random_state")) and params[k] is None}
    if updates:
        estimator.set_params(**updates)
    return estimator


def _feature_scaling(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = features.mean(axis=0)
    std = features.std(axis=0)
    return mean, np.where(std > 1e-6, std, 1.0)


def _scale(features: np.ndarray, scaling) -> np.ndarray:
    mean, std = scaling
    return ((features - mean) / std).astype(np.float32)


@contextmanager
def _tabular_teacher_hint(teacher, X):
    """Turn a tabular teacher's failure on a dict ``X`` into an error naming ``teacher``."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        inner = teacher.estimator if isinstance(teacher, FrozenEstimator) else teacher
        if not isinstance(X, Mapping) or isinstance(inner, (TeacherClassifier, Pipeline)):
            raise
        raise ValueError(
            f"teacher {type(inner).__name__} failed on X, a dict of modalities: it needs "
            "tabular input. Use a TeacherClassifier, or a Pipeline starting with "
            f"skkd.compose.ModalityTransformer that turns modalities into features ({exc})"
        ) from exc


class DistilledStudentClassifier(NeuralClassifierBase):
    """A student network trained on some inputs, distilled from a teacher on all of them.

    :meth:`fit` fits a clone of ``teacher`` on all of ``X`` (a teacher wrapped
    in :class:`sklearn.frozen.FrozenEstimator` is used as is), computes its
    soft targets — and embeddings for feature matching — on the training
    windows, then trains the student on ``X[student_inputs]`` only with
    :class:`skkd.nets.losses.DistillationLoss`. :meth:`predict` needs only
    the student's inputs: privileged modalities may be absent.

    Teacher outputs are **cross-fitted** by default (``teacher_targets=
    "cross_fit"``): each window's soft target comes from a teacher clone that
    did not see it, in ``teacher_cv`` folds — :class:`GroupKFold` by subject
    when ``groups`` are passed to :meth:`fit`, shuffled stratified folds of
    windows otherwise (then windows of one subject may teach each other, so
    pass ``groups`` for subject-independent targets). ``"in_sample"`` uses the
    teacher fitted on all rows (cheaper; targets are closer to the labels).
    Embeddings for feature matching always come from the teacher fitted on
    all rows, because fold teachers embed into different spaces.

    The teacher never enters the student's optimizer and stays in eval mode:
    its outputs reach the student's skorch net as extra keys of the input dict
    (:class:`skkd.nets.DistillationInputs` removes them before the student
    network and hands them to the loss).

    Parameters
    ----------
    teacher : classifier with ``predict_proba``
        Any scikit-learn classifier gives soft targets; a
        :class:`TeacherClassifier` (or a Pipeline ending in one) also gives
        embeddings (feature matching) and can be refined (``feedback``).
    student_inputs : keys, column names/prefixes, or column indices, optional
        The student's inputs: modality keys for a dict ``X``; column names or
        modality prefixes (``"eda"`` selects ``eda__*``) for a DataFrame;
        column indices or a boolean mask for an array. ``None``: all inputs
        (model compression). At prediction a DataFrame's columns are selected
        by name (any order); an array has no names, so it must have either all
        training columns (the student's are selected) or exactly the student's
        columns in ``student_inputs_`` order — other widths raise
        ``ValueError``, and a DataFrame for an array-fitted student (or the
        reverse) raises ``TypeError``. A modality must keep its window shape.
    module : "auto", nn.Module class or instance, default="auto"
        The student network (see :class:`TeacherClassifier`).
    temperature : float, default=2.0
        Softmax temperature ``T`` of the soft-target loss.
    alpha : float, default=0.5
        Weight of soft targets: ``(1 - alpha)·CE + alpha·T²·KL``; ``0`` trains
        the student on labels only (no distillation from soft targets).
    logit_loss : {"hinton", "dkd", "dist"}, default="hinton"
        The soft-target term: Hinton's ``T²·KL``; decoupled KD (Zhao et al.,
        CVPR 2022: target and non-target classes weighed apart; with two
        classes it equals Hinton's); or DIST (Huang et al., NeurIPS 2022:
        Pearson correlation of class and window rankings, robust to a
        teacher whose probabilities are on another scale).
    feature_weights : None, float or dict, default=None
        Feature matching: a float weighs the MSE to the teacher's fused
        embedding (EmotionKD); a dict ``{"ecg": 1.0, "eda": 0.5}`` weighs the
        MSE to each teacher modality's embedding (StressID). Each goes
        through its own learned linear projection of the student embedding.
    teacher_targets : {"cross_fit", "in_sample"}, default="cross_fit"
        With ``alpha=0``, no ``feature_weights`` and no ``feedback`` the
        targets are unused, so no cross-fitting is done (only ``teacher_``).
        Cross-fitted targets come from teachers that saw fewer subjects, so
        they are noisier, while in-sample targets of a teacher that overfits
        are close to the hard labels. Choose with grouped inner CV.
    teacher_cv : int or CV splitter, default=5
        Folds for cross-fitting.
    feedback : bool, default=False
        EmotionKD adaptive feedback: every ``feedback_every`` epochs, copies of
        the teacher network are fine-tuned for ``feedback_steps`` steps on
        ``CE + feedback_weight · T²·KL(student ‖ teacher)`` and teach again.
        Needs a neural teacher.
    feedback_every, feedback_steps : int, default=5, 20
    feedback_weight : float, default=0.1
    feedback_lr : float, default=1e-4
    augment : None, "mixup" or "munge", default=None
        Distil on more points than the training windows (model compression,
        Bucilă et al., KDD 2006): ``augment_ratio · n`` synthetic windows are
        made in the **teacher's** input space — ``"mixup"``: convex
        combinations of two windows of the same class (arrays, DataFrames
        and dicts); ``"munge"``: MUNGE's nearest-neighbour swaps with local
        noise (feature tables) — labelled by ``teacher_`` (the teacher fitted
        on all training windows), and the student learns their soft targets
        (and embeddings) from its part of them, without cross-entropy.
    augment_ratio : float, default=2.0
        Synthetic windows per training window.
    semi_supervised : "auto", bool, default="auto"
        Whether windows labelled ``-1`` (scikit-learn's convention; the
        string ``"-1"`` too) are **unlabeled**. ``"auto"``: only when the
        teacher pre-trains on them (a :class:`TeacherClassifier` with
        ``pretrain`` set, alone, last in a Pipeline or frozen); ``True``:
        always; ``False``: never (``-1`` is an ordinary class, as in
        scikit-learn's own checks with labels ``{-1, 1}``). Unlabeled windows
        get soft targets (and embeddings) like every window — that is how
        they teach — but no cross-entropy term; ``classes_`` excludes ``-1``.
        A teacher that pre-trains on them is fitted on every window; any
        other teacher (a random forest, a TeacherClassifier without
        ``pretrain``) is fitted on the labelled windows only, and so is each
        cross-fitting fold teacher (folds still split all windows, so every
        window's target comes from a teacher that did not see it).
    max_epochs, lr, batch_size, optimizer, early_stopping, validation_fraction, n_iter_no_change, callbacks, device, random_state, verbose, class_weight, **kwargs
        As in :class:`TeacherClassifier` (``class_weight`` weighs the
        cross-entropy term only; the teacher has its own). ``random_state`` also seeds the
        cross-fitting folds and any unset ``random_state`` of the teacher.

    Attributes
    ----------
    classes_ : ndarray
    teacher_ : the teacher fitted on all training windows (or the frozen one)
    net_ : skorch.NeuralNetClassifier
    student_inputs_ : list
        Resolved modality keys, column names or column indices.
    n_params_ : int
        Parameters of the student network (projections used only in training
        are not counted).
    n_unlabeled_ : int
        Training windows used as unlabeled (``y == -1``).
    n_augmented_ : int
        Synthetic windows the student was trained on (``augment``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_classification(80, 6, random_state=0)
    >>> student = DistilledStudentClassifier(
    ...     LogisticRegression(), student_inputs=[0, 1, 2], max_epochs=5, random_state=0)
    >>> student.fit(X, y).predict(X[:, :3]).shape
    (80,)
    """

    _builds_module_itself = True

    _parameter_constraints: dict = {
        **NeuralClassifierBase._parameter_constraints,
        "teacher": [HasMethods(["fit", "predict_proba"])],
        "student_inputs": "no_validation",  # resolved against X in fit
        "temperature": [POSITIVE_REAL],
        "alpha": [UNIT_INTERVAL],
        "logit_loss": [StrOptions(set(LOGIT_LOSSES))],
        "feature_weights": [None, NON_NEGATIVE_REAL, Mapping],  # dict values: _check_params
        "teacher_targets": [StrOptions({"cross_fit", "in_sample"})],
        "teacher_cv": [Interval(Integral, 2, None, closed="left"), HasMethods(["split"])],
        "feedback": ["boolean"],
        "feedback_every": [POSITIVE_INT],
        "feedback_steps": [POSITIVE_INT],
        "feedback_weight": [NON_NEGATIVE_REAL],
        "feedback_lr": [POSITIVE_REAL],
        "semi_supervised": [StrOptions({"auto"}), "boolean"],
        "augment": [None, StrOptions(set(AUGMENTERS))],
        "augment_ratio": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        teacher,
        student_inputs=None,
        module="auto",
        *,
        temperature: float = 2.0,
        alpha: float = 0.5,
        logit_loss: str = "hinton",
        feature_weights=None,
        teacher_targets: str = "cross_fit",
        teacher_cv=5,
        feedback: bool = False,
        feedback_every: int = 5,
        feedback_steps: int = 20,
        feedback_weight: float = 0.1,
        feedback_lr: float = 1e-4,
        semi_supervised="auto",
        augment=None,
        augment_ratio: float = 2.0,
        max_epochs: int = 30,
        lr: float = 1e-3,
        batch_size: int = 64,
        optimizer=torch.optim.AdamW,
        early_stopping: bool = False,
        validation_fraction: float = 0.2,
        n_iter_no_change: int = 5,
        callbacks=None,
        device: str = "auto",
        random_state=None,
        verbose: int = 0,
        class_weight=None,
        **kwargs,
    ):
        self.teacher = teacher
        self.student_inputs = student_inputs
        self.module = module
        self.temperature = temperature
        self.alpha = alpha
        self.logit_loss = logit_loss
        self.feature_weights = feature_weights
        self.teacher_targets = teacher_targets
        self.teacher_cv = teacher_cv
        self.feedback = feedback
        self.feedback_every = feedback_every
        self.feedback_steps = feedback_steps
        self.feedback_weight = feedback_weight
        self.feedback_lr = feedback_lr
        self.semi_supervised = semi_supervised
        self.augment = augment
        self.augment_ratio = augment_ratio
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.class_weight = class_weight
        self._set_kwargs(kwargs)

    # -- validation ---------------------------------------------------------
    def _check_params(self) -> None:
        super()._check_params()
        fw = self.feature_weights
        if isinstance(fw, Mapping) and not (fw and all(
            isinstance(k, str) and NON_NEGATIVE_REAL.is_satisfied_by(w) for k, w in fw.items()
        )):
            raise invalid_parameter(
                self, "feature_weights", "None, a float in the range [0, inf) or a non-empty "
                "dict {modality name: float in the range [0, inf)}", fw,
            )

    def _feature_spec(self) -> dict:
        fw = self.feature_weights
        if fw is None:
            return {}
        if isinstance(fw, Mapping):
            return {k: float(v) for k, v in fw.items() if float(v) > 0}
        return {"fused": float(fw)} if float(fw) > 0 else {}

    # -- fit ----------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)  # the teacher validates its own
    def fit(self, X, y, groups=None):
        """Fit the teacher, compute its targets, train the student.

        Parameters
        ----------
        X : array (n, d), DataFrame or dict of modalities
            All inputs (the teacher's); the student uses ``student_inputs``.
        y : array-like of shape (n,)
            ``-1`` marks an unlabeled window when ``semi_supervised`` says so.
        groups : array-like of shape (n,), optional
            Subject of each window: cross-fitting folds and the early-stopping
            split hold out whole subjects.

        Returns
        -------
        self
        """
        self._check_params()
        X_raw = X
        # NaN may sit in teacher-only columns (a teacher that handles them); the
        # student's own inputs are checked when they are selected
        X_checked, y = check_inputs(self, X, y, reset=True, allow_nan=True)
        if groups is not None:
            groups = np.asarray(groups)
            if len(groups) != len(y):
                raise ValueError(f"groups has {len(groups)} entries but y has {len(y)}.")
        # the teacher sees the user's X (its own pipeline may need a DataFrame)
        X_teacher = X_raw if isinstance(X_raw, pd.DataFrame) else X_checked
        kind, selection = resolve_student_inputs(
            self.student_inputs, X_raw if isinstance(X_raw, (Mapping, pd.DataFrame)) else X_checked
        )
        self._input_kind = kind
        self.student_inputs_ = selection
        X_student = select_inputs(self, X_raw if kind != "array" else X_checked, kind,
                                  selection, reset=True)
        teacher_semi = handles_unlabeled(self.teacher)
        unlabeled = self._unlabeled(y, teacher_semi)
        labeled = ~unlabeled
        check_class_labels(y[labeled])
        self.n_unlabeled_ = int(unlabeled.sum())
        self._label_encoder = LabelEncoder().fit(y[labeled])
        self.classes_ = self._label_encoder.classes_
        y_enc = np.full(len(y), UNLABELED, dtype=np.int64)
        y_enc[labeled] = self._label_encoder.transform(y[labeled])
        # a teacher that cannot use unlabeled windows is fitted on the labelled ones
        teacher_rows = None if teacher_semi or not self.n_unlabeled_ else labeled
        seed = seed_from(self.random_state)
        device = resolve_device(self.device)
        features = self._feature_spec()
        if self.feedback and self.augment is not None:
            raise ValueError(
                "feedback=True cannot be combined with augment: the refined teacher "
                "would have to relabel the synthetic windows; set augment=None."
            )
        if self.feedback and neural_teacher(self.teacher)[1] is None:
            raise ValueError(
                "feedback=True needs a neural teacher (TeacherClassifier or a Pipeline "
                f"ending in one); got {type(self.teacher).__name__}."
            )

        # 1. the teacher and its targets
        frozen = isinstance(self.teacher, FrozenEstimator)
        if frozen:
            self.teacher_ = self.teacher
        else:
            teacher = _seed_unset_random_states(clone(self.teacher), seed)
            with _tabular_teacher_hint(self.teacher, X_teacher):
                self.teacher_ = fit_teacher(teacher, X_teacher, y, groups, labeled=teacher_rows)
        feature_names = tuple(features)
        self._check_feature_names(feature_names)
        with _tabular_teacher_hint(self.teacher, X_teacher):
            log_proba, feats = teacher_outputs(
                self.teacher_, X_teacher, self.classes_, feature_names
            )
        # z-score the teacher embeddings so MSE is on the scale of the CE term
        self._feature_scaling = {k: _feature_scaling(v) for k, v in feats.items()}
        feats = {k: _scale(v, self._feature_scaling[k]) for k, v in feats.items()}
        n = len(y_enc)
        all_rows = np.arange(n)
        providers = [(self.teacher_, all_rows, all_rows, True, feature_names)]
        uses_targets = float(self.alpha) > 0 or bool(features) or bool(self.feedback)
        if self.teacher_targets == "cross_fit" and not frozen and uses_targets:
            teacher = _seed_unset_random_states(clone(self.teacher), seed)
            log_proba, _, folds = cross_fit_teacher_outputs(
                teacher, X_teacher, y, groups=groups, cv=self.teacher_cv,
                classes=self.classes_, random_state=seed, labeled=teacher_rows,
            )
            providers = [(est, tr, te, True, ()) for est, tr, te in folds]
            if feature_names:
                providers.append((self.teacher_, all_rows, all_rows, False, feature_names))

        # 2. the student's net input: its own inputs + the teacher's outputs
        array_input = kind != "dict"
        base = {ARRAY_KEY: X_student} if array_input else dict(X_student)
        net_input = Modalities({**base, TEACHER_LOGITS: log_proba,
                                **{TEACHER_FEATURE_PREFIX + k: v for k, v in feats.items()}})
        valid = None
        train_rows = all_rows
        if self.early_stopping:
            train_rows, valid_rows = self._validation_split(n, y_enc, groups, seed)
            # validation needs labels: unlabeled held-out windows still teach
            train_rows = np.sort(np.concatenate([train_rows, valid_rows[unlabeled[valid_rows]]]))
            valid_rows = valid_rows[labeled[valid_rows]]
            if not len(valid_rows):
                raise ValueError(
                    "early_stopping: the validation split holds no labelled window; "
                    "raise validation_fraction or label more windows."
                )
            valid = (net_input[valid_rows], y_enc[valid_rows])
        train_input = net_input[train_rows] if self.early_stopping else net_input
        train_y = y_enc[train_rows]
        self.n_augmented_ = 0
        if self.augment is not None:
            synthetic = self._synthetic_input(
                _take(X_teacher, train_rows), y_enc[train_rows], kind, feature_names, seed
            )
            self.n_augmented_ = len(synthetic[TEACHER_LOGITS])
            train_input = Modalities({k: np.concatenate([train_input[k], synthetic[k]])
                                      for k in train_input.keys()})
            train_y = np.concatenate([train_y, np.full(self.n_augmented_, UNLABELED)])

        with _SeededContext(seed, device):
            student = self._build_student(X_student[train_rows] if self.early_stopping
                                          else X_student)
            module = DistillationInputs(student, feature_names, array_input=array_input)
            emb_dim = self._embedding_dim(student, X_student)
            criterion_kwargs = {
                "alpha": float(self.alpha),
                "temperature": float(self.temperature),
                "logit_loss": self.logit_loss,
                "student_dim": emb_dim,
                "feature_dims": {k: v.shape[1] for k, v in feats.items()},
                "feature_weights": features,
                **self._class_weight_kwargs(y[labeled]),
            }
            extra = []
            if self.feedback:
                targets = [(train_input, train_rows)]
                if valid is not None:
                    targets.append((valid[0], valid_rows))
                extra.append(("teacher_feedback", TeacherFeedback(
                    [FeedbackTeacher(copy.deepcopy(est), tr[labeled[tr]], te, give, names)
                     for est, tr, te, give, names in providers],
                    X_teacher, y_enc, Modalities(base), self.classes_, targets,
                    every=self.feedback_every, steps=self.feedback_steps,
                    weight=self.feedback_weight, temperature=float(self.temperature),
                    lr=self.feedback_lr, batch_size=self.batch_size,
                    logits_key=TEACHER_LOGITS, feature_prefix=TEACHER_FEATURE_PREFIX,
                    feature_scaling=self._feature_scaling,
                )))
            criterion = (SemiSupervisedDistillationLoss if self.n_unlabeled_ or self.n_augmented_
                         else DistillationLoss)
            self.net_ = self._make_net(module, criterion, criterion_kwargs, valid, extra, device)
            self.net_.fit(train_input, train_y)
        return self

    def _synthetic_input(self, X_teacher, y_enc, kind, feature_names, seed) -> Modalities:
        """Synthetic windows labelled by ``teacher_``: the student's part + teacher outputs.

        They enter training as unlabeled windows (soft targets and feature
        matching, no cross-entropy); see :mod:`skkd.estimators._augment`.
        """
        rng = np.random.RandomState(0 if seed is None else seed)
        X_syn = synthetic_windows(self.augment, X_teacher, y_enc, self.augment_ratio, rng)
        with _tabular_teacher_hint(self.teacher, X_syn):
            log_proba, feats = teacher_outputs(self.teacher_, X_syn, self.classes_,
                                               feature_names)
        feats = {k: _scale(v, self._feature_scaling[k]) for k, v in feats.items()}
        X_student = select_inputs(self, X_syn, kind, self.student_inputs_, reset=False)
        base = {ARRAY_KEY: X_student} if kind != "dict" else dict(X_student)
        return Modalities({**base, TEACHER_LOGITS: log_proba.astype(np.float32),
                           **{TEACHER_FEATURE_PREFIX + k: v for k, v in feats.items()}})

    def _unlabeled(self, y, teacher_semi: bool) -> np.ndarray:
        """Mask of the unlabeled windows (``y == -1``) under ``semi_supervised``."""
        marked = unlabeled_mask(y)
        use = teacher_semi if self.semi_supervised == "auto" else bool(self.semi_supervised)
        if not use:
            if teacher_semi and marked.any():
                raise ValueError(
                    "semi_supervised=False makes -1 an ordinary class, but the teacher "
                    "pre-trains and reads y == -1 as unlabeled; set semi_supervised='auto'."
                )
            return np.zeros(len(y), dtype=bool)
        if marked.all():
            raise ValueError(
                "all windows are unlabeled (y == -1); the student needs labelled windows."
            )
        return marked

    def _check_feature_names(self, names):
        if not names:
            return
        transform, net = neural_teacher(self.teacher_)
        if net is None:
            raise ValueError(
                "feature_weights needs a neural teacher (TeacherClassifier, or a Pipeline "
                f"ending in one); got {type(self.teacher).__name__}."
            )
        available = {k for k, v in net.embedding_dims().items() if v is not None} | {"fused"}
        unknown = [k for k in names if k not in available]
        if unknown:
            raise ValueError(
                f"feature_weights keys {unknown} are not teacher embeddings; available: "
                f"{sorted(available)} ('fused' is the teacher's penultimate layer)."
            )

    def _build_student(self, X_student):
        if self.module == "auto":
            return build_module(X_student, len(self.classes_), **self._module_options())
        if isinstance(self.module, torch.nn.Module):
            return copy.deepcopy(self.module)
        return self.module(**self._module_options())

    @staticmethod
    def _embedding_dim(student, X_student) -> int:
        dim = getattr(student, "embedding_dim", None)
        if dim is not None:
            return int(dim)
        probe = _take(X_student, np.arange(min(2, len(X_student))))
        with torch.no_grad():
            was_training = student.training
            student.eval()
            if isinstance(probe, Mapping):
                out = student(**{k: torch.as_tensor(v) for k, v in probe.items()})
            else:
                out = student(torch.as_tensor(probe))
            student.train(was_training)
        return int(as_logits_and_embedding(out)[1].shape[1])

    # -- prediction ---------------------------------------------------------
    def _student_input(self, X):
        check_is_fitted(self)
        Xs = select_inputs(self, X, self._input_kind, self.student_inputs_, reset=False)
        return Modalities({ARRAY_KEY: Xs}) if self._input_kind != "dict" else Xs

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities from the student's inputs only (see ``student_inputs``)."""
        return self._net_proba(self._student_input(X))

    def embed(self, X) -> np.ndarray:
        """The student's embedding (penultimate representation) of each window."""
        outs = self._net_outputs(self._student_input(X))
        return np.concatenate([o[1].cpu().numpy() for o in outs])

    def _prediction_module(self):
        return self.net_.module_.student
