"""Sphinx configuration for skkd's documentation.

Build (from the repository root)::

    .venv/bin/python -m sphinx -W --keep-going -b html docs docs/_build/html

Run the examples of the pages::

    .venv/bin/python -m sphinx -W --keep-going -b doctest docs docs/_build/doctest

The API reference documents every module of ``API_MODULES`` that imports.
A module that is absent or fails to import (for instance while it is being
written) is left out with a note on the API page instead of breaking the
build; set ``SKKD_DOCS_STRICT=1`` to make that an error.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
if (ROOT / "src" / "skkd" / "__init__.py").is_file():  # a checkout: document its code
    sys.path.insert(0, str(ROOT / "src"))

import skkd  # noqa: E402

project = "skkd"
author = "skkd developers"
copyright = "skkd developers, BSD-3-Clause"
release = version = skkd.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_api_modules.rst", ".gitignore"]
source_suffix = {".rst": "restructuredtext"}
html_theme = "alabaster"
html_static_path: list[str] = []
nitpicky = False

# -- API reference ------------------------------------------------------------
#: Public modules, in the order the API page lists them.
API_MODULES = [
    "skkd",
    "skkd.datasets",
    "skkd.compose",
    "skkd.features",
    "skkd.opportune",
    "skkd.nets",
    "skkd.estimators",
    "skkd.export",
    "skkd.baselines",
    "skkd.decision",
    "skkd.model_selection",
    "skkd.plotting",
    "skkd.utils",
]

autosummary_generate = ["_api_modules.rst"]
autosummary_ignore_module_all = False  # a module documents what its __all__ exports
autosummary_imported_members = True  # packages re-export from private submodules
autodoc_default_options = {"show-inheritance": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
add_module_names = False
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# -- examples -----------------------------------------------------------------
# Only explicit ``.. doctest::``/``.. testcode::`` blocks of the pages run; the
# ``>>>`` examples inside docstrings are shown in the API pages, not run here.
doctest_test_doctest_blocks = ""
doctest_global_setup = """
from pathlib import Path  # for :skipif: conditions on data folders
"""


def _import_error(name: str) -> str | None:
    try:
        importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - any failure leaves the module out
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


def api_modules() -> list[str]:
    """``API_MODULES`` plus those named in ``$SKKD_DOCS_EXTRA_MODULES`` (comma-separated)."""
    extra = [m.strip() for m in os.environ.get("SKKD_DOCS_EXTRA_MODULES", "").split(",")]
    return API_MODULES + [m for m in extra if m and m not in API_MODULES]


def write_api_modules(path: Path, modules: list[str]) -> dict[str, str]:
    """Write the autosummary list of the importable ``modules`` to ``path``.

    Returns the modules left out, each with its import error. With
    ``$SKKD_DOCS_STRICT`` set, a module that fails to import raises instead.
    """
    missing = {name: err for name in modules if (err := _import_error(name)) is not None}
    if missing and os.environ.get("SKKD_DOCS_STRICT"):
        raise RuntimeError(f"SKKD_DOCS_STRICT is set and modules fail to import: {missing}")
    lines = [
        ".. autosummary::",
        "   :toctree: generated",
        "   :nosignatures:",
        "",
        *(f"   {name}" for name in modules if name not in missing),
        "",
    ]
    if missing:
        lines += [
            ".. note::",
            "",
            "   Not documented in this build because they did not import:",
            "",
            *(f"   - ``{name}`` ({error.replace('`', '')})" for name, error in missing.items()),
            "",
        ]
    text = "\n".join(lines)
    if not path.is_file() or path.read_text() != text:  # unchanged: no rebuild
        path.write_text(text)
    return missing


def skip_generated_members(app, what, name, obj, skip, options):
    """Leave out members that Python or scikit-learn generate.

    ``set_fit_request`` & co. come from scikit-learn's metadata routing; the
    fields of a ``NamedTuple`` ("Alias for field number 0") are documented by
    the class's own Attributes section.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def setup(app):
    from sphinx.util import logging

    logger = logging.getLogger("skkd.docs")

    def list_api_modules(app):
        srcdir = Path(app.srcdir)
        if app.builder.name == "doctest" and (srcdir / "generated").is_dir():
            # the doctest builder only runs the pages' examples: keep the API
            # stubs of the last build instead of importing every module again
            app.config.autosummary_generate = False
            return
        missing = write_api_modules(srcdir / "_api_modules.rst", api_modules())
        for name, error in missing.items():
            logger.info("API reference: %s left out (%s)", name, error)

    # before autosummary (priority 500) reads the list to generate the stubs
    app.connect("builder-inited", list_api_modules, priority=100)
    app.connect("autodoc-skip-member", skip_generated_members)
