"""The distillation estimators: a teacher on all inputs, a student on a few.

Both build a :class:`skorch.NeuralNetClassifier` in ``fit`` (``net_``) and
follow scikit-learn's estimator API, so they compose with ``Pipeline``,
``GridSearchCV`` and ``cross_validate`` with subject groups.
:class:`DINOPretrainer` pre-trains a teacher's network without labels
(``TeacherClassifier(pretrain=...)``; ``y == -1`` marks unlabeled windows).
"""

from skkd.estimators._pretrain import DINOPretrainer
from skkd.estimators._student import DistilledStudentClassifier
from skkd.estimators._teacher import TeacherClassifier

__all__ = ["DINOPretrainer", "DistilledStudentClassifier", "TeacherClassifier"]
