"""The distillation estimators: a teacher on all inputs, a student on a few.

Both build a :class:`skorch.NeuralNetClassifier` in ``fit`` (``net_``) and
follow scikit-learn's estimator API, so they compose with ``Pipeline``,
``GridSearchCV`` and ``cross_validate`` with subject groups.
"""

from skkd.estimators._student import DistilledStudentClassifier
from skkd.estimators._teacher import TeacherClassifier

__all__ = ["DistilledStudentClassifier", "TeacherClassifier"]
