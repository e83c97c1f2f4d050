"""Command line: ``python -m skkd`` (or the ``skkd`` console script).

Subcommands
-----------
``demo`` (the default)
    The main job: a knowledge-distillation comparison by subject on the window
    features of all 34 labelled Stress-Predict subjects shipped inside the
    package (or recomputed from ``--data-home``).
``datasets``
    One row per data set that can be loaded: windows, subjects, classes, modalities.
``benchmark NAME [ARGS...]``
    Run ``benchmarks/NAME.py`` of a source checkout with its own arguments.
``summarize PATH``
    Print every results table (CSV/JSON) a benchmark wrote under the folder
    PATH (or in the one file PATH), with the run's settings and, for
    ``--quick`` runs, a one-line caveat.

``--help`` shows plain text (``DESCRIPTION``), not this docstring.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import runpy
import sys
import textwrap
from pathlib import Path

import pandas as pd

BENCHMARKS_DIR = Path(__file__).resolve().parents[2] / "benchmarks"
#: the widest line the command line prints by itself (tables, help)
WIDTH = 100

DESCRIPTION = """\
skkd: knowledge distillation for affective computing, the scikit-learn way.

A teacher model trained on every signal a lab records (skin conductance,
temperature, pulse, movement, EEG, video...) teaches a small student model that
needs only what a wristband or a microphone records. skkd's estimators and
transformers are scikit-learn compatible (PyTorch through skorch underneath).

Without a command, `python -m skkd` runs `demo`."""

EPILOG = """\
examples:
  python -m skkd                        the demo: KD compared on 34 real subjects
  python -m skkd --quick                the same, fewer seeds and epochs (indicative only)
  python -m skkd datasets               the data sets that can be loaded here
  python -m skkd benchmark --help       the benchmark scripts, one line each
  python -m skkd benchmark kd_estimators --quick
  python -m skkd summarize results      the results tables the benchmarks wrote"""

#: printed under the table of every --quick run (one line, under WIDTH)
QUICK_CAVEAT = ("Note: a --quick run uses few subjects and epochs: its numbers are "
                "indicative only, not results.")


def _print_table(df: pd.DataFrame, title: str | None = None) -> None:
    if title:
        print(f"\n{title}")
    with pd.option_context("display.max_columns", None, "display.width", 200,
                           "display.max_colwidth", 60):
        print(df.to_string(index=False))


def _cmd_datasets(args: argparse.Namespace) -> int:
    from skkd.datasets import describe_datasets
    from skkd.datasets._home import DATA_ENV_VAR, get_data_home

    # a folder the user named (--data-home or $SKKD_DATA) must exist and hold data
    given = "--data-home" if args.data_home else (
        f"${DATA_ENV_VAR}" if os.environ.get(DATA_ENV_VAR) else None
    )
    home = get_data_home(args.data_home)
    if given and not home.is_dir():
        print(f"{given} {home}: no such folder; expected the folder that holds the "
              "data sets (stress-predict/, emodb/, ...).", file=sys.stderr)
        return 2
    table = describe_datasets(home)
    if given and len(table) == 1:  # only the built-in sample
        print(f"{given} {home}: no data set folder found in it; expected the folder "
              "that holds the data sets (stress-predict/, emodb/, ...).", file=sys.stderr)
        return 2
    print(_datasets_text(table, home))
    return 0


def _wrap(label: str, text: str, indent: int = 4) -> str:
    """``label text`` wrapped to WIDTH, continuation lines under the text."""
    head = " " * indent + f"{label:<12}"
    return textwrap.fill(str(text), width=WIDTH, initial_indent=head,
                         subsequent_indent=" " * len(head), break_on_hyphens=False)


def _text_table(df: pd.DataFrame, left=()) -> list[str]:
    """Lines of a plain table: columns in ``left`` left-aligned, others right-aligned."""
    cells = {c: [str(c)] + [str(v) for v in df[c]] for c in df.columns}
    widths = {c: max(len(v) for v in col) for c, col in cells.items()}
    return ["  ".join(cells[c][i].ljust(widths[c]) if c in left else cells[c][i].rjust(widths[c])
                      for c in df.columns).rstrip()
            for i in range(len(df) + 1)]


def _datasets_text(table: pd.DataFrame, home: Path) -> str:
    """The data sets as a narrow table plus one block of details each (WIDTH columns)."""
    summary = pd.DataFrame({
        "name": table["name"],
        "windows": table["n_windows"],
        "subjects": table["n_subjects"],
        "classes": table["n_classes"],
        "window": table["window"],
    })
    lines = ["skkd data sets: the built-in sample, and those found in", f"  {home}", "",
             *_text_table(summary, left=("name", "window"))]
    for row in table.itertuples(index=False):
        lines += ["", f"{row.name}: skkd.datasets.{row.loader}()",
                  _wrap("classes", row.class_counts),
                  _wrap("modalities", row.modalities),
                  _wrap("source", row.source)]
    return "\n".join(lines)


def _cmd_demo(args: argparse.Namespace) -> int:
    from skkd._demo import main_job

    return main_job(args.data_home, quick=args.quick, full=args.full,
                    random_state=args.random_state, verbose=args.verbose)


def _available_benchmarks() -> list[str]:
    if not BENCHMARKS_DIR.is_dir():
        return []
    return sorted(p.stem for p in BENCHMARKS_DIR.glob("*.py") if not p.stem.startswith("_"))


def _benchmark_summary(name: str) -> str:
    """First line of ``benchmarks/NAME.py``'s docstring (read, not run)."""
    try:
        doc = ast.get_docstring(ast.parse((BENCHMARKS_DIR / f"{name}.py").read_text()))
    except (OSError, SyntaxError, ValueError):
        doc = None
    return doc.strip().splitlines()[0] if doc else "(no description)"


def _benchmarks_text() -> str:
    """What ``benchmark --help`` says above its usage: every script, one line each."""
    names = _available_benchmarks()
    if not names:
        return (f"Run a benchmark script of a source checkout; none here ({BENCHMARKS_DIR} "
                "is absent: the scripts come with the repository, not the installed package).")
    width = max(len(n) for n in names) + 4
    lines = ["Run benchmarks/NAME.py of this checkout with its own arguments. The scripts",
             "print their tables and write them (CSV and JSON) to a results folder, which",
             "`python -m skkd summarize FOLDER` prints again.", "",
             "available benchmarks:"]
    for name in names:
        line = f"  {name:<{width - 2}}{_benchmark_summary(name)}"
        lines.append(line if len(line) <= WIDTH
                     else line[: WIDTH - 3].rsplit(" ", 1)[0].rstrip(" ,:;") + "...")
    return "\n".join(lines)


def _cmd_benchmark(args: argparse.Namespace) -> int:
    names = _available_benchmarks()
    if args.name not in names:
        where = f"in {BENCHMARKS_DIR}" if names else (
            f"({BENCHMARKS_DIR} is absent: benchmarks run from a source checkout)"
        )
        print(f"unknown benchmark {args.name!r}; available: {names} {where}", file=sys.stderr)
        return 2
    sys.argv = [str(BENCHMARKS_DIR / f"{args.name}.py"), *args.args]
    runpy.run_path(sys.argv[0], run_name="__main__")
    if "--quick" in args.args:
        print(QUICK_CAVEAT)
    return 0


def _cmd_summarize(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if folder.is_file() and folder.suffix in (".csv", ".json"):  # one results file
        folder, files = folder.parent, [folder]
    elif not folder.is_dir():
        print(f"results folder {folder} does not exist", file=sys.stderr)
        return 2
    else:
        files = sorted([*folder.rglob("*.csv"), *folder.rglob("*.json")])
    if not files:
        print(f"no CSV or JSON results under {folder}", file=sys.stderr)
        return 2
    tables = {}
    for path in files:
        try:
            tables[path] = _read_results(path)
        except ValueError as exc:
            print(f"{path}: not a results table ({exc})", file=sys.stderr)
    for path, (df, info) in tables.items():
        twin = path.with_suffix(".csv")
        if path.suffix == ".json" and twin in tables and _same_table(tables[twin][0], df):
            continue  # written with NAME.csv (benchmarks/_common.write_results): shown there
        title = str(path.relative_to(folder))
        if path.suffix == ".csv" and path.with_suffix(".json") in tables:
            json_df, info = tables[path.with_suffix(".json")]
            if _same_table(df, json_df):
                title += " (and .json)"
            else:
                info = {}
        _print_table(_compact(df), title)
        if info:
            print(textwrap.fill("run: " + ", ".join(f"{k}={v}" for k, v in info.items()),
                                width=WIDTH, subsequent_indent="  "))
        if _is_quick(info):
            print(QUICK_CAVEAT)
    return 0 if tables else 2


#: keys under which a results JSON keeps its rows (benchmarks/_common.write_results
#: writes ``{"info": ..., "results": [...]}``; other scripts ``rows`` or ``overall``)
_ROW_KEYS = ("results", "rows", "overall")


def _read_results(path: Path) -> tuple[pd.DataFrame, dict]:
    """A results file as ``(table, run information)``; ValueError if it holds no table."""
    if path.suffix == ".csv":
        try:
            return pd.read_csv(path), {}
        except pd.errors.EmptyDataError:
            raise ValueError("the file is empty") from None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if isinstance(payload, list) and all(isinstance(r, dict) for r in payload):
        return pd.DataFrame(payload), {}
    if isinstance(payload, dict):
        key = next((k for k in _ROW_KEYS if isinstance(payload.get(k), list)), None)
        if key is not None and all(isinstance(r, dict) for r in payload[key]):
            info = {}
            for k, v in payload.items():
                if k == key:
                    continue
                if isinstance(v, dict):
                    info.update({(ik if k in ("info", "meta") else f"{k}.{ik}"): iv
                                 for ik, iv in v.items() if not isinstance(iv, (dict, list))})
                elif not isinstance(v, list):
                    info[k] = v
            return pd.DataFrame(payload[key]), info
    raise ValueError(
        "expected a list of rows, or an object with its rows under one of "
        f"{list(_ROW_KEYS)}"
    )


def _same_table(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a.shape == b.shape and list(a.columns) == list(b.columns)


def _is_quick(info: dict) -> bool:
    return any(k.split(".")[-1] == "quick" and v is True for k, v in info.items())


def _compact(df: pd.DataFrame) -> pd.DataFrame:
    """``*_mean`` and ``*_std`` columns as one ``mean ± std`` column each."""
    out = df.copy()
    for mean in [c for c in df.columns if c.endswith("_mean")]:
        std = mean[: -len("_mean")] + "_std"
        if std in df.columns and pd.api.types.is_numeric_dtype(df[mean]) \
                and pd.api.types.is_numeric_dtype(df[std]):
            out[mean] = [f"{m:.3f} ± {s:.3f}" for m, s in zip(df[mean], df[std])]
            out = out.drop(columns=std).rename(columns={mean: mean[: -len("_mean")]})
    return out


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=28, width=WIDTH)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skkd", description=DESCRIPTION, epilog=EPILOG, formatter_class=_formatter)
    sub = parser.add_subparsers(dest="command", title="commands")

    demo = sub.add_parser("demo", help="KD comparison on 34 Stress-Predict subjects (built in)")
    demo.add_argument("--data-home", default=None,
                      help="recompute the features from the raw Stress-Predict data in this "
                           "folder instead of using the built-in ones")
    mode = demo.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true",
                      help="2 seeds and 10 epochs instead of 5 and 20 (indicative only)")
    mode.add_argument("--full", action="store_true",
                      help="leave-one-subject-out (34 folds) instead of GroupKFold(5): "
                           "about 7 times longer")
    demo.add_argument("--random-state", type=int, default=0,
                      help="first seed of the models (default: 0; the others follow it)")
    demo.add_argument("--verbose", type=int, default=0, metavar="LEVEL",
                      help="training progress: 0 (default) a progress bar; 1 also one line "
                           "per model, seed and fold; 2 also each network's epochs")
    demo.set_defaults(func=_cmd_demo)

    datasets = sub.add_parser("datasets", help="list the data sets that can be loaded")
    datasets.add_argument("--data-home", default=None,
                          help="folder holding the data sets (default: $SKKD_DATA, else "
                               "../shared/data)")
    datasets.set_defaults(func=_cmd_datasets)

    bench = sub.add_parser("benchmark", help="run benchmarks/NAME.py (--help lists them)",
                           description=_benchmarks_text(), formatter_class=_formatter)
    bench.add_argument("name", metavar="NAME", help="a benchmark listed above")
    bench.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                       help="the script's own arguments, e.g. --quick or --out FOLDER "
                            "(`benchmark NAME --help` lists them)")
    bench.set_defaults(func=_cmd_benchmark)

    summ = sub.add_parser("summarize", help="print the results tables under a folder")
    summ.add_argument("folder", metavar="PATH",
                      help="a results folder, e.g. results (the benchmarks' default), or one "
                           "results file (.csv or .json)")
    summ.set_defaults(func=_cmd_summarize)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m skkd`` and the ``skkd`` console script."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["demo", *argv]  # `python -m skkd --quick` runs the demo with --quick
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
