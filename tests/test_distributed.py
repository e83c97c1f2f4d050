"""Grid search over a distilled student on a dask cluster (joblib's dask backend).

A local cluster of two worker processes on 127.0.0.1 stands in for machines:
no network beyond the loopback, no dashboard. The search on the cluster must
give the very scores of the same search run in this process.
"""

from __future__ import annotations

import logging

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, GroupKFold

from skkd.datasets import make_affective_dataset
from skkd.estimators import DistilledStudentClassifier, TeacherClassifier

distributed = pytest.importorskip("distributed")

FAST = dict(max_epochs=2, lr=1e-2, batch_size=16, device="cpu")
GRID = {"alpha": [0.0, 0.5]}
SCORING = ["accuracy", "neg_log_loss"]


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes on the loopback interface."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, worker_dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def data():
    return make_affective_dataset(n_subjects=6, n_windows=8, window_s=20,
                                  modalities=("eda", "temp", "rsp"), random_state=0)


def _search() -> GridSearchCV:
    student = DistilledStudentClassifier(
        TeacherClassifier(module__width=4, **FAST), student_inputs=["eda", "temp"],
        module__width=8, teacher_targets="in_sample", random_state=0, **FAST,
    )
    return GridSearchCV(student, GRID, cv=GroupKFold(3), scoring=SCORING,
                        refit="neg_log_loss")


@pytest.fixture
def one_torch_thread():
    """The workers run one torch thread each (dask sets OMP_NUM_THREADS=1): so does
    this process, which makes every floating-point sum of the two searches the same."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_grid_search_on_a_dask_cluster_matches_the_local_search(client, data, one_torch_thread):
    assert len(client.scheduler_info()["workers"]) == 2
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        remote = _search().fit(data.X, data.y, groups=data.groups)
    # the fits ran on both workers, not in this process
    assert len({task["worker"] for task in tasks.data}) == 2
    local = _search().fit(data.X, data.y, groups=data.groups)
    for metric in SCORING:
        for split in range(3):
            key = f"split{split}_test_{metric}"
            np.testing.assert_array_equal(remote.cv_results_[key], local.cv_results_[key])
    assert remote.best_params_ == local.best_params_
    # the refit (in this process) predicts from the wrist inputs alone
    wrist = data.X.select(["eda", "temp"])
    np.testing.assert_array_equal(remote.predict_proba(wrist), local.predict_proba(wrist))

