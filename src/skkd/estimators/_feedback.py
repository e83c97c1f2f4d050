"""EmotionKD-style adaptive feedback: refine the teacher from the student, re-teach.

Every ``every`` epochs the callback (1) asks the student for its logits on the
training windows, (2) fine-tunes copies of the teacher network(s) for a few
steps on ``CE + weight · T² · KL(student ‖ teacher)``
(:func:`skkd.nets.losses.teacher_feedback_loss`), and (3) recomputes the soft
targets (and embeddings) that the student's loss reads. Cross-fitting is kept:
each fold teacher is refined on its own training rows only and re-scores its
held-out rows.
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.utils import to_tensor

from skkd.estimators._teaching import neural_part, take_rows, teacher_outputs
from skkd.nets._outputs import as_logits_and_embedding, module_forward
from skkd.nets.losses import teacher_feedback_loss

__all__ = ["TeacherFeedback"]


def _draw_loader_seeds(feature_names) -> None:
    """Draw from torch's global RNG what the teacher's prediction used to draw.

    Each DataLoader pass of :func:`teacher_outputs` (probabilities, fused and
    per-modality embeddings) drew one seed before prediction forked the RNG;
    drawing them here keeps seeded feedback fits bit-identical to earlier ones.
    """
    names = set(feature_names)
    for _ in range(1 + ("fused" in names) + bool(names - {"fused"})):
        torch.empty((), dtype=torch.int64).random_()


class TeacherFeedback(Callback):
    """skorch callback implementing the feedback loop (see module docstring).

    Parameters
    ----------
    teachers : list of :class:`~skkd.estimators._teaching.Provider`
        Private copies of the teachers to refine (``fit_rows`` labelled only).
    X_full : the training input of the teacher (all modalities)
    y : int labels (student's encoding), student_X : the student's net input
        without teacher keys, classes : the student's classes,
    targets : list of (input dict, row indices) whose teacher keys are rewritten.
    feature_scaling : dict of name -> (mean, std) applied to recomputed embeddings.
    """

    def __init__(self, teachers, X_full, y, student_X, classes, targets, *,
                 every=5, steps=20, weight=0.1, temperature=1.0, lr=1e-4, batch_size=64,
                 logits_key, feature_prefix, feature_scaling=None):
        self.teachers = teachers
        self.X_full = X_full
        self.y = y
        self.student_X = student_X
        self.classes = classes
        self.targets = targets
        self.every = every
        self.steps = steps
        self.weight = weight
        self.temperature = temperature
        self.lr = lr
        self.batch_size = batch_size
        self.logits_key = logits_key
        self.feature_prefix = feature_prefix
        self.feature_scaling = feature_scaling or {}

    def on_train_begin(self, net, **kwargs):
        self.n_feedback_ = 0

    def on_epoch_end(self, net, **kwargs):
        if self.teachers is None:
            return
        epoch = len(net.history)
        if epoch % self.every or epoch >= net.max_epochs:
            return
        student_logits = net.forward(self.student_X, training=False)[0].detach().cpu()
        n = len(self.y)
        log_proba = None
        features = {}
        for item in self.teachers:
            self._refine(item, student_logits)
            X_rows = take_rows(self.X_full, item.target_rows)
            lp, feats = teacher_outputs(item.teacher, X_rows, self.classes, item.feature_names)
            _draw_loader_seeds(item.feature_names)
            if item.gives_logits:
                if log_proba is None:
                    log_proba = np.full((n, lp.shape[1]), np.nan, dtype=np.float32)
                log_proba[item.target_rows] = lp
            for name, f in feats.items():
                features.setdefault(name, np.full((n, f.shape[1]), np.nan, dtype=np.float32))
                features[name][item.target_rows] = f
        for data, rows in self.targets:
            if log_proba is not None:
                data[self.logits_key][...] = log_proba[rows]
            for name, f in features.items():
                mean, std = self.feature_scaling.get(name, (0.0, 1.0))
                data[self.feature_prefix + name][...] = (f[rows] - mean) / std
        self.n_feedback_ += 1

    def _refine(self, item, student_logits):
        transform, clf = neural_part(item.teacher)
        X_fit = take_rows(self.X_full, item.fit_rows)
        Xt = clf.prepare_input(transform(X_fit) if transform is not None else X_fit)
        y_student = self.y[item.fit_rows]
        # the teacher's own label space (a fold may miss a class)
        cols = np.searchsorted(self.classes, clf.classes_)
        y_teacher = np.searchsorted(clf.classes_, self.classes[y_student])
        s_logits = student_logits[item.fit_rows][:, cols]
        module = clf.prediction_module_
        device = next(module.parameters()).device
        optimizer = torch.optim.Adam(module.parameters(), lr=self.lr)
        module.train()
        n = len(y_teacher)
        for _ in range(self.steps):
            idx = torch.randint(n, (min(self.batch_size, n),)).numpy()
            xb = to_tensor(take_rows(Xt, idx), device=device)
            t_logits = as_logits_and_embedding(module_forward(module, xb))[0]
            loss = teacher_feedback_loss(
                t_logits,
                torch.as_tensor(y_teacher[idx], device=device),
                s_logits[idx].to(device),
                weight=self.weight,
                temperature=self.temperature,
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        module.eval()

    def on_train_end(self, net, **kwargs):
        # drop the references to data and teacher copies: nothing big is pickled
        self.teachers = self.X_full = self.student_X = self.targets = self.y = None
