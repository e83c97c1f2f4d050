"""A folder named ``skkd`` beside a user's script (a clone) never shadows the package.

The package lives under ``src/``, so an editable install puts ``src`` on the
path and a clone folder (which has no ``__init__.py`` at its root) is at most a
namespace portion, which a regular package always beats.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import skkd

REPO = Path(__file__).resolve().parents[1]


def test_a_clone_folder_named_skkd_does_not_shadow_the_package(tmp_path):
    clone = tmp_path / "skkd"
    (clone / "src" / "skkd").mkdir(parents=True)
    (clone / "README.md").write_text("a clone of skkd\n", encoding="utf-8")
    script = tmp_path / "use_skkd.py"
    script.write_text("import skkd\nprint(skkd.Modalities.__name__, skkd.__file__)\n",
                      encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    name, path = out.stdout.split()
    assert name == "Modalities"
    assert Path(path).resolve() == Path(skkd.__file__).resolve()


def test_the_package_sits_under_src():
    assert (REPO / "src" / "skkd" / "__init__.py").is_file()
    assert not (REPO / "skkd").exists()
