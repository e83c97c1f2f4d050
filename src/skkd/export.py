"""Export a fitted network to TorchScript or ONNX, for inference without skkd.

A fitted :class:`~skkd.estimators.DistilledStudentClassifier` (its student
network only) or :class:`~skkd.estimators.TeacherClassifier` becomes one file
that maps the estimator's prepared inputs to **class probabilities** (the
softmax of its logits, columns in the order of ``classes_``), with a dynamic
batch axis. The exported model runs on the CPU in any process that has
PyTorch (TorchScript) or ONNX Runtime (ONNX) — for instance on a phone or a
gateway next to a wristband.

Inputs are named: ``"x"`` for a student (or teacher) fitted on an array or a
DataFrame — a float32 array ``(n, d)`` holding the *student's* columns in the
order of ``student_inputs_`` — and the modality names (in the order of
``student_inputs_``, or of the training dict for a teacher) for a network
fitted on a dict of modalities, each a float32 array ``(n, c, T)`` (or the
rank the network was fitted on). :func:`exported_inputs` prepares them from
the ``X`` that ``predict_proba`` would take. Preprocessing outside the
network (e.g. the steps of a Pipeline before the estimator) is not exported.

Both files carry the class labels and input names as metadata, which
:class:`ExportedModel` reads back. ONNX needs the ``export`` extra
(``pip install skkd[export]``: onnx, onnxruntime and, for
``dynamo=True``, onnxscript).
"""

from __future__ import annotations

import copy
import json
import os
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from sklearn.utils._param_validation import validate_params
from sklearn.utils.validation import check_is_fitted
from torch import nn

from skkd._writing import check_output_path, write_then_move
from skkd.utils._validation import POSITIVE_INT, invalid_parameter

__all__ = ["ExportedModel", "export_onnx", "export_torchscript", "exported_inputs"]

#: name of the single input of a network fitted on an array or a DataFrame
ARRAY_INPUT = "x"
#: name of the output: class probabilities (n, n_classes)
OUTPUT_NAME = "proba"
#: metadata key (TorchScript extra file / ONNX metadata property)
METADATA_KEY = "skkd.json"
#: largest |difference| tolerated between exported and estimator probabilities
ATOL = 1e-5


def _import_optional(name: str):
    try:
        return __import__(name)
    except ImportError as exc:
        raise ImportError(
            f"ONNX export and inference need the optional package {name!r}; install "
            "skkd's export extra: pip install 'skkd[export]'."
        ) from exc


class _ProbabilityModel(nn.Module):
    """A network's class probabilities from positional inputs (what is exported)."""

    def __init__(self, module: nn.Module, input_names: Sequence[str], array_input: bool):
        super().__init__()
        self.module = module
        self.input_names = list(input_names)
        self.array_input = bool(array_input)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        if self.array_input:
            output = self.module(inputs[0])
        else:
            output = self.module(**dict(zip(self.input_names, inputs)))
        logits = output[0] if isinstance(output, (tuple, list)) else output
        return torch.softmax(logits, dim=-1)


#: ``validate_params`` constraints of the exporters. The estimator's type and
#: fit and an existing file at ``path`` are checked by ``_check_estimator`` and
#: ``_check_path``.
_EXPORT_CONSTRAINTS = {
    "estimator": "no_validation",
    "path": [str, os.PathLike],
    "X_example": ["array-like", Mapping],
    "check": ["boolean"],
    "overwrite": ["boolean"],
}


def _check_estimator(estimator) -> None:
    from skkd.estimators import DistilledStudentClassifier, TeacherClassifier

    if not isinstance(estimator, (DistilledStudentClassifier, TeacherClassifier)):
        raise TypeError(
            "estimator must be a fitted DistilledStudentClassifier or TeacherClassifier "
            f"(for a Pipeline, export its last step), got {type(estimator).__name__}."
        )
    check_is_fitted(estimator, "net_")


def _prepare(estimator, X) -> tuple[nn.Module, bool, dict[str, np.ndarray]]:
    """``(network, takes one array, named float32 inputs)`` for windows ``X``."""
    _check_estimator(estimator)
    module = estimator.prediction_module_
    try:
        prepared = estimator.prepare_input(X)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"X does not fit the estimator's inputs: {exc}") from exc
    if not isinstance(prepared, Mapping):
        return module, True, {ARRAY_INPUT: np.ascontiguousarray(prepared, dtype=np.float32)}
    order = list(getattr(module, "modalities", None) or prepared.keys())
    return module, False, {k: np.ascontiguousarray(prepared[k], dtype=np.float32) for k in order}


@validate_params(
    {"estimator": "no_validation", "X": ["array-like", Mapping]},
    prefer_skip_nested_validation=True,
)
def exported_inputs(estimator, X) -> dict[str, np.ndarray]:
    """The named float32 inputs that an exported ``estimator`` takes for windows ``X``.

    Parameters
    ----------
    estimator : fitted DistilledStudentClassifier or TeacherClassifier
    X : array, DataFrame or dict of modalities
        What ``estimator.predict_proba`` takes (a student needs only its own
        inputs).

    Returns
    -------
    dict of str to ndarray
        ``{"x": (n, d)}`` for a network fitted on an array or DataFrame (the
        student's columns only), else ``{modality: array}`` in the network's
        input order.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skkd.estimators import TeacherClassifier
    >>> X, y = make_classification(40, 4, random_state=0)
    >>> clf = TeacherClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> {k: v.shape for k, v in exported_inputs(clf, X[:3]).items()}
    {'x': (3, 4)}
    """
    return _prepare(estimator, X)[2]


def _check_path(path, overwrite: bool) -> Path:
    """``path`` checked before any work: its folder exists and can be written, and it
    holds no file unless ``overwrite=True`` (see :mod:`skkd._writing`)."""
    return check_output_path(path, overwrite=overwrite)


class _Prepared:
    """Everything an export needs: the CPU probability model and checked example inputs."""

    def __init__(self, estimator, X_example):
        module, array_input, inputs = _prepare(estimator, X_example)
        self.names = list(inputs)
        self.model = _ProbabilityModel(
            copy.deepcopy(module).to("cpu").eval(), self.names, array_input).eval()
        n = len(next(iter(inputs.values())))
        # at least 2 windows: a batch of one may be specialised by the exporters
        rows = np.arange(max(n, 2)) % n
        self.inputs = {k: v[rows] for k, v in inputs.items()}
        self.expected = estimator.predict_proba(X_example)[rows]
        # a batch of another size, to check the batch axis stayed dynamic
        self.probe_rows = np.arange(len(rows) + 3) % len(rows)
        self.metadata = {
            "estimator": type(estimator).__name__,
            "input_names": self.names,
            "output_name": OUTPUT_NAME,
            "classes": np.asarray(estimator.classes_).tolist(),
            "skkd_version": _skkd_version(),
        }

    def tensors(self) -> tuple[torch.Tensor, ...]:
        return tuple(torch.as_tensor(self.inputs[k]) for k in self.names)

    def check(self, run, path: Path) -> None:
        """Compare ``run(inputs) -> proba`` with the estimator at two batch sizes.

        On a mismatch ``RuntimeError`` is raised; the caller runs this on its
        temporary file, so nothing is written to (or removed from) ``path``.
        """
        for rows in (np.arange(len(self.expected)), self.probe_rows):
            got = run({k: v[rows] for k, v in self.inputs.items()})
            err = float(np.max(np.abs(np.asarray(got, dtype=np.float64) - self.expected[rows])))
            if not err <= ATOL:
                raise RuntimeError(
                    f"the model exported for {str(path)!r} gave probabilities that differ "
                    f"from the estimator's by {err:.2e} (> {ATOL:g}) on {len(rows)} "
                    "windows; nothing was written to that path."
                )


def _ignore_torch_deprecations() -> None:
    """Silence PyTorch's notices that TorchScript and its ONNX exporter are deprecated.

    Call inside ``warnings.catch_warnings()``. TorchScript files are still what
    many runtimes load; every export is checked numerically instead.
    """
    warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated",
                            category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=r"You are using the legacy TorchScript-based ONNX",
                            category=DeprecationWarning)
    # raised by the legacy exporter's own internals, not by skkd
    warnings.filterwarnings("ignore", category=DeprecationWarning,
                            module=r"torch\.onnx\._internal")


def _skkd_version() -> str:
    import skkd

    return skkd.__version__


@validate_params(_EXPORT_CONSTRAINTS, prefer_skip_nested_validation=True)
def export_torchscript(estimator, path, X_example, *, check: bool = True,
                       overwrite: bool = False) -> Path:
    """Trace a fitted network to a TorchScript file that outputs class probabilities.

    Parameters
    ----------
    estimator : fitted DistilledStudentClassifier or TeacherClassifier
        A student exports its student network only (its inputs only).
    path : str or path-like
        File to write (conventionally ``.pt``); its folder must exist and be
        writable.
    X_example : array, DataFrame or dict of modalities
        A few windows as ``predict_proba`` takes them, used for tracing (any
        batch size works afterwards).
    check : bool, default=True
        Reload the file and check that its probabilities equal
        ``estimator.predict_proba(X_example)`` within 1e-5, at two batch sizes
        (else ``RuntimeError`` is raised and nothing is written to ``path``).
    overwrite : bool, default=False
        Replace a file that already exists at ``path``. By default an existing
        file is never touched: ``FileExistsError`` is raised before any work.
        The model is written to a temporary file in ``path``'s folder and moved
        onto ``path`` only once it has passed the check, so a failed export
        leaves an existing file as it was, even with ``overwrite=True``.

    Returns
    -------
    Path
        The file written. ``torch.jit.load(path)(*inputs)`` returns
        probabilities ``(n, n_classes)``; inputs are positional, in the order of
        :func:`exported_inputs` (also in the file's metadata, see
        :class:`ExportedModel`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import make_classification
    >>> from skkd.estimators import TeacherClassifier
    >>> X, y = make_classification(40, 4, random_state=0)
    >>> clf = TeacherClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> path = export_torchscript(clf, pathlib.Path(tempfile.mkdtemp()) / "clf.pt", X[:5])
    >>> model = ExportedModel(path)
    >>> bool(abs(model.predict_proba(X[:7]) - clf.predict_proba(X[:7])).max() < 1e-5)
    True
    """
    path = _check_path(path, overwrite)
    prepared = _Prepared(estimator, X_example)
    with write_then_move(path, overwrite=overwrite) as tmp:
        with warnings.catch_warnings(), torch.no_grad():
            # torch >= 2.10 marks tracing deprecated; the LSTM's shape checks warn
            # that they are traced as constants (the check below covers both)
            _ignore_torch_deprecations()
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            traced = torch.jit.trace(prepared.model, prepared.tensors(), check_trace=False)
            torch.jit.save(traced, str(tmp),
                           _extra_files={METADATA_KEY: json.dumps(prepared.metadata)})
        if check:
            model = ExportedModel(tmp)
            prepared.check(model.predict_proba, path)
    return path


@validate_params(
    {**_EXPORT_CONSTRAINTS, "opset_version": [POSITIVE_INT, None], "dynamo": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def export_onnx(
    estimator,
    path,
    X_example,
    *,
    opset_version: int | None = None,
    dynamo: bool = False,
    check: bool = True,
    overwrite: bool = False,
) -> Path:
    """Export a fitted network to an ONNX file that outputs class probabilities.

    Parameters
    ----------
    estimator : fitted DistilledStudentClassifier or TeacherClassifier
        A student exports its student network only (its inputs only).
    path : str or path-like
        File to write (conventionally ``.onnx``); its folder must exist and be
        writable.
    X_example : array, DataFrame or dict of modalities
        A few windows as ``predict_proba`` takes them.
    opset_version : int, optional
        ONNX opset; the exporter's default if None.
    dynamo : bool, default=False
        ``False`` uses PyTorch's TorchScript-based exporter (fast: well under
        a second for skkd's networks); ``True`` uses the ``torch.export``-based
        one (needs onnxscript; several seconds per network). Both give the
        same probabilities for skkd's MLP, CNN and CNN+BiLSTM networks.
    check : bool, default=True
        Run the file with ONNX Runtime and check that its probabilities equal
        ``estimator.predict_proba(X_example)`` within 1e-5, at two batch sizes
        (else ``RuntimeError`` is raised and nothing is written to ``path``).
    overwrite : bool, default=False
        Replace a file that already exists at ``path``. By default an existing
        file is never touched: ``FileExistsError`` is raised before any work.
        The model is written to a temporary file in ``path``'s folder and moved
        onto ``path`` only once it has passed the check, so a failed export
        leaves an existing file as it was, even with ``overwrite=True``.

    Returns
    -------
    Path
        The file written: inputs named as in :func:`exported_inputs` (float32,
        dynamic batch axis ``"batch"``), one output ``"proba"``
        ``(batch, n_classes)``; metadata property ``"skkd.json"`` holds the
        class labels.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import make_classification
    >>> from skkd.estimators import TeacherClassifier
    >>> X, y = make_classification(40, 4, random_state=0)
    >>> clf = TeacherClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> path = export_onnx(clf, pathlib.Path(tempfile.mkdtemp()) / "clf.onnx", X[:5])
    >>> ExportedModel(path).input_names
    ['x']
    """
    if isinstance(opset_version, bool):
        raise invalid_parameter("export_onnx", "opset_version", "an int or None, not a bool",
                                opset_version)
    onnx = _import_optional("onnx")
    path = _check_path(path, overwrite)
    if dynamo:
        _import_optional("onnxscript")
    prepared = _Prepared(estimator, X_example)
    names = prepared.names
    options = dict(input_names=names, output_names=[OUTPUT_NAME],
                   opset_version=None if opset_version is None else int(opset_version))
    with write_then_move(path, overwrite=overwrite) as tmp:
        with warnings.catch_warnings(), torch.no_grad():
            _ignore_torch_deprecations()
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            warnings.filterwarnings("ignore",
                                    message=r"Exporting a model to ONNX with a batch_size")
            if dynamo:
                # torch.export's notes on its own internals (LSTM weights, size checks,
                # one batch name shared by all inputs); the file is checked below
                warnings.filterwarnings("ignore", category=FutureWarning,
                                        message=r".*(LeafSpec|_check_is_size)")
                warnings.filterwarnings("ignore",
                                        message=r"The tensor attributes .* were assigned")
                warnings.filterwarnings("ignore", message=r"# The axis name: batch")
                batch = torch.export.Dim("batch")
                torch.onnx.export(prepared.model, prepared.tensors(), str(tmp), dynamo=True,
                                  dynamic_shapes=(tuple({0: batch} for _ in names),),
                                  external_data=False, verbose=False, **options)
            else:
                torch.onnx.export(prepared.model, prepared.tensors(), str(tmp), dynamo=False,
                                  dynamic_axes={k: {0: "batch"} for k in [*names, OUTPUT_NAME]},
                                  **options)
        proto = onnx.load(str(tmp))
        del proto.metadata_props[:]
        entry = proto.metadata_props.add()
        entry.key, entry.value = METADATA_KEY, json.dumps(prepared.metadata)
        onnx.save(proto, str(tmp))
        if check:
            model = ExportedModel(tmp)
            prepared.check(model.predict_proba, path)
    return path


class ExportedModel:
    """Run an exported file (TorchScript or ONNX) on named inputs, on the CPU.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`export_torchscript` (run with PyTorch) or
        :func:`export_onnx` (run with ONNX Runtime).

    Attributes
    ----------
    format : {"torchscript", "onnx"}
    input_names : list of str
    classes_ : ndarray
        Class labels, in the order of the probability columns.
    metadata : dict
        Estimator name, input and output names, classes, skkd version.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import make_classification
    >>> from skkd.estimators import TeacherClassifier
    >>> X, y = make_classification(40, 4, random_state=0)
    >>> clf = TeacherClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> model = ExportedModel(export_torchscript(clf, pathlib.Path(tempfile.mkdtemp()) / "m.pt", X))
    >>> model.format, model.classes_.tolist(), model.predict(X[:4]).shape
    ('torchscript', [0, 1], (4,))
    """

    @validate_params({"path": [str, os.PathLike]}, prefer_skip_nested_validation=True)
    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_file():
            raise ValueError(f"path {str(self.path)!r} is not a file.")
        if zipfile.is_zipfile(self.path):
            self.format = "torchscript"
            extra = {METADATA_KEY: ""}
            with warnings.catch_warnings():
                _ignore_torch_deprecations()
                self._module = torch.jit.load(str(self.path), map_location="cpu",
                                              _extra_files=extra)
            self._module.eval()
            raw = extra[METADATA_KEY]
        else:
            self.format = "onnx"
            ort = _import_optional("onnxruntime")
            try:
                self._session = ort.InferenceSession(
                    str(self.path), providers=["CPUExecutionProvider"])
            except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
                raise ValueError(
                    f"path {str(self.path)!r} is neither a TorchScript nor an ONNX file "
                    f"({type(exc).__name__}: {exc})."
                ) from exc
            raw = self._session.get_modelmeta().custom_metadata_map.get(METADATA_KEY, "")
        if not raw:
            raise ValueError(
                f"{str(self.path)!r} was not written by skkd.export (no {METADATA_KEY!r} metadata)."
            )
        self.metadata = json.loads(raw)
        self.input_names = list(self.metadata["input_names"])
        self.classes_ = np.asarray(self.metadata["classes"])

    def _inputs(self, inputs) -> dict[str, np.ndarray]:
        if not isinstance(inputs, Mapping):
            if len(self.input_names) != 1:
                raise TypeError(
                    f"inputs must be a dict with keys {self.input_names} for this model, "
                    f"got {type(inputs).__name__}."
                )
            inputs = {self.input_names[0]: inputs}
        missing = [k for k in self.input_names if k not in inputs]
        if missing:
            raise ValueError(
                f"inputs lack {missing}; this model takes {self.input_names} "
                "(see skkd.export.exported_inputs)."
            )
        arrays = {k: np.ascontiguousarray(inputs[k], dtype=np.float32) for k in self.input_names}
        sizes = {k: v.shape[0] if v.ndim else None for k, v in arrays.items()}
        if len(set(sizes.values())) != 1 or None in sizes.values():
            raise ValueError(f"inputs must share the window axis 0, got sizes {sizes}.")
        return arrays

    def predict_proba(self, inputs) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` (float32), columns as ``classes_``.

        ``inputs`` is a dict ``{name: array}`` (see :func:`exported_inputs`),
        or one array when the model has a single input.
        """
        arrays = self._inputs(inputs)
        if self.format == "torchscript":
            with torch.no_grad():
                out = self._module(*(torch.from_numpy(arrays[k]) for k in self.input_names))
            return out.numpy()
        return self._session.run([self.metadata["output_name"]], arrays)[0]

    def predict(self, inputs) -> np.ndarray:
        """The most probable class label of each window."""
        return self.classes_[np.argmax(self.predict_proba(inputs), axis=1)]

    def __repr__(self) -> str:
        return f"ExportedModel({str(self.path)!r}, format={self.format!r})"
