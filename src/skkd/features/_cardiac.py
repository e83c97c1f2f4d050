"""Heart-rate and time-domain HRV statistics from detected beats.

Shared by :class:`~skkd.features.BVPFeatures` (pulse peaks) and
:class:`~skkd.features.ECGFeatures` (R peaks). The HRV indices follow
:func:`neurokit2.hrv_time`'s definitions (tests compare against it) but skip
its histogram indices, which makes them several times faster per window.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CARDIAC_FEATURES", "cardiac_features"]

CARDIAC_FEATURES = (
    "n_beats",
    "hr_mean",
    "hr_std",
    "hr_min",
    "hr_max",
    "hrv_meannn",
    "hrv_sdnn",
    "hrv_rmssd",
    "hrv_sdsd",
    "hrv_cvnn",
    "hrv_mediannn",
    "hrv_iqrnn",
    "hrv_pnn50",
    "hrv_pnn20",
    "hrv_minnn",
    "hrv_maxnn",
)


def cardiac_features(peaks: np.ndarray, fs: float) -> tuple[dict[str, float], dict[str, str]]:
    """Heart rate (bpm) and HRV (ms, %) from beat sample indices.

    Returns ``(values, reasons)``: features that need more beats than were
    found are NaN and named in ``reasons``.

    >>> vals, why = cardiac_features(np.array([0, 64, 128, 200]), fs=64.0)
    >>> round(vals["hr_mean"], 1), why
    (57.8, {})
    """
    peaks = np.sort(np.asarray(peaks, dtype=np.float64))
    nn = np.diff(peaks) / fs * 1000.0  # ms
    dnn = np.diff(nn)
    out: dict[str, float] = {"n_beats": float(len(peaks))}
    reasons: dict[str, str] = {}
    if len(nn) >= 1:
        hr = 60000.0 / nn
        out.update(
            hr_mean=float(hr.mean()), hr_min=float(hr.min()), hr_max=float(hr.max()),
            hrv_meannn=float(nn.mean()), hrv_mediannn=float(np.median(nn)),
            hrv_iqrnn=float(np.subtract(*np.percentile(nn, [75, 25]))),  # scipy's iqr, faster
            hrv_minnn=float(nn.min()), hrv_maxnn=float(nn.max()),
        )
    if len(nn) >= 2:
        sdnn = float(np.std(nn, ddof=1))
        out.update(
            hr_std=float(np.std(60000.0 / nn, ddof=1)), hrv_sdnn=sdnn,
            hrv_cvnn=sdnn / float(nn.mean()),
            hrv_rmssd=float(np.sqrt(np.mean(dnn**2))),
            hrv_pnn50=float(np.sum(np.abs(dnn) > 50) / len(nn) * 100),
            hrv_pnn20=float(np.sum(np.abs(dnn) > 20) / len(nn) * 100),
        )
    if len(nn) >= 3:
        out["hrv_sdsd"] = float(np.std(dnn, ddof=1))
    for name in CARDIAC_FEATURES:
        if name not in out:
            out[name] = np.nan
            reasons[name] = "too few beats detected in window"
    return out, reasons
