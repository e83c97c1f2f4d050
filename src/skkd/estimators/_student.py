"""DistilledStudentClassifier: a small network on wearable inputs, taught by a teacher."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import _fit_context
from sklearn.metrics import balanced_accuracy_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skkd._modalities import Modalities
from skkd.estimators._augment import AUGMENTERS, synthetic_windows
from skkd.estimators._base import NeuralClassifierBase
from skkd.estimators._feedback import TeacherFeedback
from skkd.estimators._inputs import (
    check_class_labels,
    check_inputs,
    resolve_student_inputs,
    select_inputs,
    unlabeled_mask,
)
from skkd.estimators._seeding import SeededContext, seed_from
from skkd.estimators._skorch_nets import (
    ARRAY_KEY,
    TEACHER_FEATURE_PREFIX,
    TEACHER_LOGITS,
    DistillationNet,
)
from skkd.estimators._teaching import Provider, ResolvedTeacher, TeacherTargets, take_rows
from skkd.nets import DistillationLoss, build_module
from skkd.nets._outputs import as_logits_and_embedding
from skkd.nets.losses import LOGIT_LOSSES, UNLABELED
from skkd.utils import resolve_device
from skkd.utils._validation import (
    NON_NEGATIVE_REAL,
    POSITIVE_INT,
    POSITIVE_REAL,
    UNIT_INTERVAL,
    invalid_parameter,
)

__all__ = ["DistilledStudentClassifier"]


@dataclass
class _TrainingData:
    """A student fit's validated data: the teacher's view, the student's, the labels."""

    X_teacher: object  # the user's DataFrame, or the validated array / dict
    X_student: object  # the student's inputs: array or dict of modalities
    y: np.ndarray  # original labels (-1 marks unlabeled windows)
    y_enc: np.ndarray  # encoded labels, UNLABELED for unlabeled windows
    groups: np.ndarray | None
    labeled: np.ndarray  # boolean mask
    teacher_rows: np.ndarray | None  # the rows the teacher is fitted on (None: all)


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
    its outputs ride along the student's training windows, and the student's
    private skorch net hands them to :class:`skkd.nets.losses.DistillationLoss`
    by name in ``get_loss`` (the student network never sees them).

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
    temperature : float, default=1.0
        Softmax temperature ``T`` of the soft-target loss.
    alpha : float, default=0.9
        Weight of soft targets: ``(1 - alpha)·CE + alpha·T²·KL``; ``0`` trains
        the student on labels only (no distillation from soft targets). The
        defaults (``alpha=0.9``, ``T=1``) are what paid on StressID (lab ECG
        and respiration teaching an EDA-only student, subject-wise CV): +2.6
        points balanced accuracy over the same student without KD, against
        +2.0 with the former 0.5/2 (``benchmarks/privileged_stressid.py``,
        ``docs/when_kd_helps.rst``).
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
    teacher_agreement_ : float
        Share of the training windows (unlabeled ones included, synthetic ones
        not) whose most probable class for the student is the one of its soft
        target. A low value means the student has not learnt its targets (too
        few epochs or too small a network for the windows it is taught on):
        read it before a held-out score.
    teacher_target_score_ : float
        Balanced accuracy of the soft targets' most probable class on the
        labelled training windows. With cross-fitted targets (the default,
        when they are used) it is an out-of-subject estimate of how well the
        teacher does on new subjects; with in-sample targets it is optimistic.
        Distillation can only help where this beats the student's own score
        without KD (for example ``cross_val_score`` of the same student with
        ``alpha=0`` under ``GroupKFold``): a worse teacher makes the student
        worse (``docs/when_kd_helps.rst``).

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
        temperature: float = 1.0,
        alpha: float = 0.9,
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
        if self.feedback and self.augment is not None:
            raise ValueError(
                "feedback=True cannot be combined with augment: the refined teacher "
                "would have to relabel the synthetic windows; set augment=None."
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
            split hold out whole subjects. The teacher gets them where it takes
            them: with scikit-learn's metadata routing on, where it requests them
            (skkd's networks do by default; another estimator that takes them but
            has not said, ``set_fit_request(groups=...)``, raises); else when
            its ``fit`` (or a Pipeline step's) has a ``groups`` parameter, or it
            is a grid/randomized search (its splitter gets them).

        Returns
        -------
        self
        """
        self._check_params()
        seed = seed_from(self.random_state)
        teacher = ResolvedTeacher(self.teacher, seed)
        data = self._training_data(X, y, groups, teacher)
        self.teacher_ = teacher.fit(data.X_teacher, data.y, data.groups, rows=data.teacher_rows)
        uses_targets = float(self.alpha) > 0 or bool(self._feature_spec()) or self.feedback
        targets = teacher.targets(
            data.X_teacher, data.y, data.groups, self.classes_,
            feature_names=tuple(self._feature_spec()), cv=self.teacher_cv,
            cross_fit=self.teacher_targets == "cross_fit" and uses_targets,
            rows=data.teacher_rows)
        net_input = self._net_input(data.X_student, targets.log_proba, targets.features)
        train_rows, valid_rows = self._train_valid_rows(data, seed)
        if valid_rows is None:
            train, valid = (net_input, data.y_enc[train_rows]), None
        else:
            train = (net_input[train_rows], data.y_enc[train_rows])
            valid = (net_input[valid_rows], data.y_enc[valid_rows])
        self.n_augmented_ = 0
        if self.augment is not None:
            train = self._add_synthetic(train, data, train_rows, teacher, targets, seed)
        device = resolve_device(self.device)
        with SeededContext(seed, device):
            student = self._build_student(data.X_student if valid_rows is None
                                          else take_rows(data.X_student, train_rows))
            criterion = self._criterion_kwargs(student, data, targets)
            callbacks = self._feedback(data, targets, train, train_rows, valid, valid_rows)
            self.net_ = self._make_net(
                DistillationNet, student, DistillationLoss, criterion, valid, callbacks,
                device, array_input=self._input_kind != "dict")
            with self._thread_limit(student, data.X_student):
                self.net_.fit(*train)
        self._record_diagnostics(net_input, targets, data)
        return self

    def _record_diagnostics(self, net_input, targets: TeacherTargets, data) -> None:
        """``teacher_agreement_`` and ``teacher_target_score_`` (see the class docstring)."""
        target_classes = targets.log_proba.argmax(axis=1)
        student_classes = self._net_proba(net_input).argmax(axis=1)  # teacher keys ignored
        self.teacher_agreement_ = float(np.mean(student_classes == target_classes))
        labeled = data.labeled
        self.teacher_target_score_ = float(balanced_accuracy_score(
            data.y_enc[labeled], target_classes[labeled]))

    def _training_data(self, X, y, groups, teacher: ResolvedTeacher) -> _TrainingData:
        """Validate ``X``, ``y``, ``groups``; resolve the student's inputs; encode labels."""
        X_raw = X
        # NaN may sit in teacher-only columns (a teacher that handles them); the
        # student's own inputs are checked when they are selected
        X_checked, y = check_inputs(self, X, y, reset=True, allow_nan=True)
        if groups is not None:
            groups = np.asarray(groups)
            if len(groups) != len(y):
                raise ValueError(f"groups has {len(groups)} entries but y has {len(y)}.")
        named = isinstance(X_raw, (Mapping, pd.DataFrame))
        kind, selection = resolve_student_inputs(self.student_inputs,
                                                 X_raw if named else X_checked)
        self._input_kind = kind
        self.student_inputs_ = selection
        X_student = select_inputs(self, X_raw if kind != "array" else X_checked, kind,
                                  selection, reset=True)
        unlabeled = self._unlabeled(y, teacher.pretrains)
        labeled = ~unlabeled
        check_class_labels(y[labeled])
        self.n_unlabeled_ = int(unlabeled.sum())
        self._label_encoder = LabelEncoder().fit(y[labeled])
        self.classes_ = self._label_encoder.classes_
        y_enc = np.full(len(y), UNLABELED, dtype=np.int64)
        y_enc[labeled] = self._label_encoder.transform(y[labeled])
        if self.feedback and not teacher.neural:
            raise ValueError(
                "feedback=True needs a neural teacher (TeacherClassifier or a Pipeline "
                f"ending in one); got {type(self.teacher).__name__}."
            )
        # the teacher sees the user's X (its own pipeline may need a DataFrame); one
        # that cannot use unlabeled windows is fitted on the labelled ones
        return _TrainingData(
            X_teacher=X_raw if isinstance(X_raw, pd.DataFrame) else X_checked,
            X_student=X_student, y=y, y_enc=y_enc, groups=groups, labeled=labeled,
            teacher_rows=None if teacher.pretrains or not self.n_unlabeled_ else labeled)

    def _net_input(self, X_student, log_proba, features) -> Modalities:
        """The student's inputs plus the teacher's outputs, one row per window."""
        base = {ARRAY_KEY: X_student} if self._input_kind != "dict" else dict(X_student)
        return Modalities({**base, TEACHER_LOGITS: log_proba,
                           **{TEACHER_FEATURE_PREFIX + k: v for k, v in features.items()}})

    def _train_valid_rows(self, data: _TrainingData, seed):
        """Training and early-stopping rows (validation rows are labelled; None: no split)."""
        all_rows = np.arange(len(data.y_enc))
        if not self.early_stopping:
            return all_rows, None
        train_rows, valid_rows = self._validation_split(len(all_rows), data.y_enc,
                                                        data.groups, seed)
        # validation needs labels: unlabeled held-out windows still teach
        unlabeled = ~data.labeled
        train_rows = np.sort(np.concatenate([train_rows, valid_rows[unlabeled[valid_rows]]]))
        valid_rows = valid_rows[data.labeled[valid_rows]]
        if not len(valid_rows):
            raise ValueError(
                "early_stopping: the validation split holds no labelled window; "
                "raise validation_fraction or label more windows."
            )
        return train_rows, valid_rows

    def _add_synthetic(self, train, data, train_rows, teacher: ResolvedTeacher,
                       targets: TeacherTargets, seed):
        """``train`` plus synthetic windows labelled by ``teacher_`` (``augment``).

        They enter training as unlabeled windows (soft targets and feature
        matching, no cross-entropy); see :mod:`skkd.estimators._augment`.
        """
        rng = np.random.RandomState(0 if seed is None else seed)
        X_syn = synthetic_windows(self.augment, take_rows(data.X_teacher, train_rows),
                                  data.y_enc[train_rows], self.augment_ratio, rng)
        log_proba, features = teacher.outputs(X_syn, self.classes_, tuple(self._feature_spec()))
        X_student = select_inputs(self, X_syn, self._input_kind, self.student_inputs_,
                                  reset=False)
        synthetic = self._net_input(X_student, log_proba.astype(np.float32),
                                    targets.scale(features))
        self.n_augmented_ = len(log_proba)
        X_train, y_train = train
        return (Modalities({k: np.concatenate([X_train[k], synthetic[k]])
                            for k in X_train.keys()}),
                np.concatenate([y_train, np.full(self.n_augmented_, UNLABELED)]))

    def _criterion_kwargs(self, student, data: _TrainingData, targets: TeacherTargets) -> dict:
        return {
            "alpha": float(self.alpha),
            "temperature": float(self.temperature),
            "logit_loss": self.logit_loss,
            "student_dim": self._embedding_dim(student, data.X_student),
            "feature_dims": {k: v.shape[1] for k, v in targets.features.items()},
            "feature_weights": self._feature_spec(),
            "unlabeled": bool(self.n_unlabeled_ or self.n_augmented_),
            **self._class_weight_kwargs(data.y[data.labeled]),
        }

    def _feedback(self, data, targets: TeacherTargets, train, train_rows, valid, valid_rows):
        """The EmotionKD feedback callback (``feedback=True``), as skorch callbacks."""
        if not self.feedback:
            return []
        refined = [Provider(copy.deepcopy(p.teacher), p.fit_rows[data.labeled[p.fit_rows]],
                            p.target_rows, p.gives_logits, p.feature_names)
                   for p in targets.providers]
        rewritten = [(train[0], train_rows)]
        if valid is not None:
            rewritten.append((valid[0], valid_rows))
        base = {ARRAY_KEY: data.X_student} if self._input_kind != "dict" else data.X_student
        return [("teacher_feedback", TeacherFeedback(
            refined, data.X_teacher, data.y_enc, Modalities(base), self.classes_, rewritten,
            every=self.feedback_every, steps=self.feedback_steps,
            weight=self.feedback_weight, temperature=float(self.temperature),
            lr=self.feedback_lr, batch_size=self.batch_size,
            logits_key=TEACHER_LOGITS, feature_prefix=TEACHER_FEATURE_PREFIX,
            feature_scaling=targets.scaling,
        ))]

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
        probe = take_rows(X_student, np.arange(min(2, len(X_student))))
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
    def prepare_input(self, X):
        """The student's own inputs of ``X``, validated, as :attr:`prediction_module_` takes them.

        A float32 array (the student's columns, in ``student_inputs_`` order)
        or a dict of float32 arrays (its modalities).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> X = np.random.RandomState(0).randn(30, 5)
        >>> student = DistilledStudentClassifier(
        ...     LogisticRegression(), student_inputs=[0, 1], max_epochs=2, random_state=0)
        >>> student.fit(X, np.arange(30) % 2).prepare_input(X).shape
        (30, 2)
        """
        check_is_fitted(self)
        return select_inputs(self, X, self._input_kind, self.student_inputs_, reset=False)

    def _net_X(self, X) -> Modalities:
        Xs = self.prepare_input(X)
        return Modalities({ARRAY_KEY: Xs}) if self._input_kind != "dict" else Xs

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities from the student's inputs only (see ``student_inputs``)."""
        return self._net_proba(self._net_X(X))

    def embed(self, X) -> np.ndarray:
        """The student's embedding (penultimate representation) of each window."""
        outs = self._net_outputs(self._net_X(X))
        return np.concatenate([o[1].cpu().numpy() for o in outs])
