"""skkd: knowledge distillation for affective computing, the scikit-learn way.

A rich *teacher* sees every signal a lab records; a small *student* learns from it
and needs only what a wearable or a microphone gives at prediction time.

>>> import skkd
>>> isinstance(skkd.__version__, str)
True
"""

from skkd._modalities import Modalities

__version__ = "0.1.0"

__all__ = ["Modalities", "__version__"]
