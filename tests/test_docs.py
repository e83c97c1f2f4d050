"""The documentation builds with warnings as errors, and the examples in it run.

The HTML build and the doctest run are the README's commands
(``python -m sphinx -W --keep-going -b html|doctest docs ...``), run on a copy of
``docs/`` in a temporary folder so that the files Sphinx generates
(``generated/``, ``_api_modules.rst``) never land in the working tree.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sphinx  # noqa: F401 - the docs need Sphinx (the ``test`` extra installs it)

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
#: one guide per experiment, each with examples on synthetic data that always run
EXPERIMENT_PAGES = ["opportune", "cross_modal", "privileged_audio", "speech_emotion",
                    "semi_supervised"]
PAGES = ["index", "getting_started", "data_model", "own_e4", "own_recordings", "datasets",
         "baselines", "evaluation", "when_kd_helps", "signal_quality",
         *EXPERIMENT_PAGES, "export", "distributed", "api"]
#: a module that does not exist: the build must note it, not fail on it
MISSING_MODULE = "skkd._module_that_docs_tests_pretend_exists"
#: data folders the guarded examples read (relative to the repository root)
S02 = REPO / ".." / "shared" / "data" / "stress-predict" / "Raw_data" / "S02"
EMODB = REPO / ".." / "shared" / "data" / "emodb"
EXAMPLE_DIRECTIVES = {"doctest", "testcode", "testoutput", "testsetup", "testcleanup"}


def _sphinx(builder: str, src: Path, out: Path, doctrees: Path, **env: str):
    """Run ``python -m sphinx -W --keep-going`` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder,
         "-d", str(doctrees), str(src), str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, **env},
    )


def _api_modules() -> list[str]:
    """``API_MODULES`` as written in docs/conf.py (read without running it)."""
    tree = ast.parse((DOCS / "conf.py").read_text())
    for node in tree.body:
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(target, ast.Name) and target.id == "API_MODULES":
            return ast.literal_eval(node.value)
    raise AssertionError("docs/conf.py defines no API_MODULES list")


def _load_conf():
    spec = importlib.util.spec_from_file_location("skkd_docs_conf", DOCS / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """HTML build of a copy of docs/, with one module in the API list that does not exist."""
    root = tmp_path_factory.mktemp("docs")
    src = root / "src"
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("_build", "generated", "_api_modules.rst"))
    result = _sphinx("html", src, root / "html", root / "doctrees",
                     SKKD_DOCS_EXTRA_MODULES=MISSING_MODULE)
    return root, result


def test_html_builds_without_warnings(built):
    root, result = built
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    for page in PAGES:
        assert (root / "html" / f"{page}.html").is_file(), page


def test_getting_started_shows_the_readme_commands():
    readme = (REPO / "README.md").read_text()
    commands = re.findall(r"```bash\n(.*?)\n```", readme, re.S)
    assert len(commands) >= 2, "README.md should show its set-up commands in bash blocks"
    page = (DOCS / "getting_started.rst").read_text()
    for command in commands[:2]:
        assert f"   {command}\n" in page, f"docs/getting_started.rst lacks: {command}"


def _public_names(module: str) -> list[str]:
    """Names in the module's ``__all__`` (read without importing it when it is a literal)."""
    path = REPO.joinpath("src", *module.split("."))
    source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            try:
                return list(ast.literal_eval(node.value))
            except ValueError:  # computed __all__: ask the module itself
                return list(importlib.import_module(module).__all__)
    return []


def test_api_reference_has_a_page_per_public_object(built):
    root, _ = built
    generated = root / "html" / "generated"
    documented = (root / "src" / "_api_modules.rst").read_text().split(".. note::")[0]
    for name in _api_modules():
        if f"   {name}\n" not in documented:  # did not import: see the note test
            continue
        assert (generated / f"{name}.html").is_file(), name
        package = REPO.joinpath("src", *name.split("."))
        for attr in _public_names(name):
            if attr.startswith("__") or (package / attr).is_dir() or (package / f"{attr}.py").is_file():
                continue  # dunders and submodules get no page of their own
            assert (generated / f"{name}.{attr}.html").is_file(), f"no API page for {name}.{attr}"
    text = (generated / "skkd.datasets.read_empatica_e4.html").read_text()
    assert "E4Recording" in text and "Examples" in text  # numpy sections rendered


def test_a_module_that_does_not_import_is_noted_not_fatal(built):
    root, _ = built  # --keep-going: the page is written even if other pages warn
    api = (root / "html" / "api.html").read_text()
    assert MISSING_MODULE in api and "did not import" in api
    assert not (root / "html" / "generated" / f"{MISSING_MODULE}.html").exists()


def test_examples_in_the_pages_run(built):
    root, _ = built  # reuses the HTML build's doctrees (a failed page is reported above)
    result = _sphinx("doctest", root / "src", root / "doctest", root / "doctrees",
                     SKKD_DOCS_EXTRA_MODULES=MISSING_MODULE)
    report = (root / "doctest" / "output.txt").read_text()
    assert result.returncode == 0, report[-6000:] + result.stderr[-3000:]
    ran = {doc: sum(int(n) for n in re.findall(r"^(\d+) tests in \d+ items", body, re.M))
           for doc, body in re.findall(r"^Document: (\w+)\n-+\n(.*?)(?=^Document: |\Z)",
                                       report, re.M | re.S)}
    for page in ["getting_started", "data_model", "datasets", "baselines", "evaluation",
                 *EXPERIMENT_PAGES]:
        assert ran.get(page, 0) > 0, f"no example of {page}.rst ran:\n{report}"
    if S02.is_dir():  # the E4 page's examples are guarded by this folder
        assert ran.get("own_e4", 0) > 0, f"own_e4.rst examples were skipped:\n{report}"
    if EMODB.is_dir():  # the speech page's EmoDB examples (doctest group "emodb")
        assert re.search(r"^\s+[1-9]\d* tests in emodb$", report, re.M), (
            f"speech_emotion.rst EmoDB examples were skipped:\n{report}")


def test_every_example_is_in_a_doctest_directive():
    """``>>>`` outside ``.. doctest::`` would be shown but never run (see conf.py)."""
    stray = []
    for path in sorted(DOCS.glob("*.rst")):
        directive, indent = None, -1
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.lstrip()
            width = len(line) - len(stripped)
            if stripped and width <= indent:
                directive, indent = None, -1
            match = re.match(r"\.\. ([\w-]+)::", stripped)
            if match:
                directive, indent = match.group(1), width
            elif stripped.startswith(">>>") and directive not in EXAMPLE_DIRECTIVES:
                stray.append(f"{path.name}:{number}")
    assert not stray, f"examples outside a doctest directive: {stray}"


def test_api_modules_cover_every_public_module():
    """A new public module is listed in conf.API_MODULES (or re-exported by a listed parent)."""
    listed = set(_api_modules())
    unlisted = []
    for path in sorted((REPO / "src" / "skkd").rglob("*.py")):
        parts = path.relative_to(REPO / "src").with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts):
            continue
        name = ".".join(parts)
        parent = name.rpartition(".")[0]
        if name in listed or (
            parent in listed and set(_public_names(name)) <= set(_public_names(parent))
        ):
            continue
        unlisted.append(name)
    assert not unlisted, f"add to API_MODULES in docs/conf.py: {unlisted}"


def test_api_list_leaves_out_modules_that_do_not_import(tmp_path, monkeypatch):
    conf = _load_conf()
    target = tmp_path / "_api_modules.rst"
    missing = conf.write_api_modules(target, ["skkd.datasets", MISSING_MODULE])
    assert list(missing) == [MISSING_MODULE]
    assert missing[MISSING_MODULE].startswith("ModuleNotFoundError")
    listing, note = target.read_text().split(".. note::")
    assert "   skkd.datasets\n" in listing and MISSING_MODULE not in listing
    assert MISSING_MODULE in note
    monkeypatch.setenv("SKKD_DOCS_STRICT", "1")
    with pytest.raises(RuntimeError, match=MISSING_MODULE):
        conf.write_api_modules(target, ["skkd.datasets", MISSING_MODULE])


def test_every_real_api_module_made_it_into_the_build(built):
    """Only the deliberately missing module may be left out of the API reference."""
    root, result = built
    assert result.returncode == 0
    listing = (root / "src" / "_api_modules.rst").read_text()
    listed, _, note = listing.partition(".. note::")
    for module in _load_conf().API_MODULES:
        assert f"   {module}\n" in listed, f"{module} was left out of the API reference: {note}"


# --------------------------------------------------------------------------- the recipe
RECIPE = DOCS / "own_recordings.rst"
STRESS_PREDICT = REPO / ".." / "shared" / "data" / "stress-predict"


def _recipe_script() -> str:
    """The ``.. code-block:: python`` blocks of own_recordings.rst, in order, as one script."""
    blocks = re.findall(r"^\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)",
                        RECIPE.read_text(), re.M)
    assert len(blocks) >= 4, "own_recordings.rst should hold its script in python blocks"
    return "\n".join(textwrap.dedent(block) for block in blocks)


def _e4_csv(path: Path, values, fs: float, start: float) -> None:
    lines = [f"{start:.6f}", f"{fs:.6f}", *(f"{v:.6f}" for v in values)]
    path.write_text("\n".join(lines) + "\n")


def _sample_as_stress_predict(root: Path) -> None:
    """The built-in sample written out in Stress-Predict's layout under ``root``.

    Raw_data/SXX/EDA.csv and TEMP.csv in the E4 format and the per-second label
    file; the sample holds S02, S10 and S20, so the recipe's "new subject" S03
    is a stand-in: S20's recording under another name.
    """
    from importlib import resources

    import numpy as np
    import pandas as pd

    rows = []
    source = resources.files("skkd.datasets") / "data" / "stress_predict_sample.npz"
    with resources.as_file(source) as path, np.load(path) as npz:
        for subject, stored in [("S02", "S02"), ("S10", "S10"), ("S20", "S20"), ("S03", "S20")]:
            folder = root / "Raw_data" / subject
            folder.mkdir(parents=True)
            for name in ("eda", "temp"):
                _e4_csv(folder / f"{name.upper()}.csv", npz[f"{stored}/{name}"],
                        float(npz[f"{stored}/{name}_fs"]), float(npz[f"{stored}/{name}_start"]))
            if subject == stored:
                labels = npz[f"{stored}/labels"]
                t = int(npz[f"{stored}/label_t0"]) + np.arange(len(labels))
                rows.append(pd.DataFrame({"Participant": int(subject[1:]), "HR": 70.0,
                                          "respr": 15.0, "Time(sec)": t[labels >= 0],
                                          "Label": labels[labels >= 0]}))
    (root / "Processed_data").mkdir()
    pd.concat(rows).to_csv(root / "Processed_data" / "Improved_All_Combined_hr_rsp_binary.csv",
                           index=False)


def test_the_sample_written_as_e4_folders_reads_back(tmp_path):
    """The stand-in the recipe test uses where ../shared/data is absent is sound."""
    from importlib import resources

    import numpy as np
    import pandas as pd

    from skkd.datasets import load_e4_folder, read_empatica_e4

    root = tmp_path / "stress-predict"
    _sample_as_stress_predict(root)
    source = resources.files("skkd.datasets") / "data" / "stress_predict_sample.npz"
    with resources.as_file(source) as path, np.load(path) as npz:
        rec = read_empatica_e4(root / "Raw_data" / "S10")
        assert sorted(rec.signals) == ["eda", "temp"]
        np.testing.assert_allclose(rec["eda"].data[:, 0], npz["S10/eda"], atol=1e-6)
        assert rec["temp"].start == float(npz["S10/temp_start"])
        n_labelled = sum(int((npz[f"{s}/labels"] >= 0).sum()) for s in ("S02", "S10", "S20"))
    per_second = pd.read_csv(root / "Processed_data" / "Improved_All_Combined_hr_rsp_binary.csv")
    assert len(per_second) == n_labelled
    assert sorted(per_second["Participant"].unique()) == [2, 10, 20]
    data = load_e4_folder(root / "Raw_data", signals=("eda",))
    assert sorted(set(data.groups)) == ["S02", "S03", "S10", "S20"]


def test_own_recordings_recipe_runs_as_a_script(tmp_path):
    """The recipe page, copied block by block into a script, runs end to end.

    On the Stress-Predict folders of ../shared/data where present (the issue's
    acceptance run), else on the built-in sample written out as E4 folders in
    the same layout, so the page is checked on every machine.
    """
    work = tmp_path / "work"
    work.mkdir()
    if STRESS_PREDICT.is_dir():
        (tmp_path / "shared").symlink_to((REPO / ".." / "shared").resolve())
    else:
        _sample_as_stress_predict(tmp_path / "shared" / "data" / "stress-predict")
    script = work / "recipe.py"
    script.write_text(_recipe_script())
    (tmp_path / "tmp").mkdir()
    result = subprocess.run(
        [sys.executable, str(script)], cwd=work, capture_output=True, text=True, timeout=600,
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp"), "PYTHONWARNINGS": "default"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    out = result.stdout
    assert "subject      start        end    label" in out  # the intervals table
    assert "Modalities(n_windows=" in out and "eda=(1, 240), temp=(1, 240))" in out
    for alpha in ("0.0", "0.5"):
        assert f"student, alpha={alpha}: balanced accuracy per held-out subject [" in out
    assert re.search(r"Modalities\(n_windows=\d+, eda=\(1, 240\)\) \d+ of \d+ windows predicted "
                     r"stress, starting at minutes \[", out), out
    assert "not writable" not in result.stderr  # torch's warning on read-only arrays
    saved = list((tmp_path / "tmp").glob("skkd-recipe-*/stress_student.joblib"))
    assert len(saved) == 1
    assert list((tmp_path / "tmp").glob("skkd-recipe-*/feature-cache/joblib"))  # the cache


def test_groups_reach_the_student_inside_a_pipeline_with_routing():
    """What the recipe relies on: the student asks for groups + cross_validate(params=...).

    skkd's networks request ``groups`` by default under routing; one that
    declines them (``set_fit_request(groups=False)``) has them refused.
    """
    import numpy as np
    import sklearn
    from sklearn.model_selection import GroupKFold, cross_validate
    from sklearn.pipeline import Pipeline

    from skkd.compose import ModalityTransformer
    from skkd.datasets import load_stress_predict_sample
    from skkd.estimators import DistilledStudentClassifier, TeacherClassifier
    from skkd.features import WindowStatistics

    data = load_stress_predict_sample(step_s=60)
    net = dict(max_epochs=2, module__width=8, random_state=0, device="cpu")

    def model(request: bool):
        student = DistilledStudentClassifier(TeacherClassifier(**net), student_inputs=["eda"],
                                             teacher_cv=2, **net)
        student.set_fit_request(groups=request)
        features = ModalityTransformer({"eda": WindowStatistics(), "temp": WindowStatistics()},
                                       output="dict")
        return Pipeline([("features", features), ("student", student)])

    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_validate(model(True), data.X, data.y, cv=GroupKFold(n_splits=3),
                                params={"groups": data.groups}, error_score="raise")
        assert len(scores["test_score"]) == 3
        # groups arrive: one subject in every window makes cross-fitting by subject fail
        one = np.full(len(data.y), "S02", dtype=object)
        with pytest.raises(ValueError, match="needs at least 2 groups"):
            model(True).fit(data.X, data.y, groups=one)
        with pytest.raises(Exception, match="groups"):  # declined: routing refuses it
            model(False).fit(data.X, data.y, groups=data.groups)
