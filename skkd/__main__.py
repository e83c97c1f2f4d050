"""Command line: ``python -m skkd`` (or the ``skkd`` console script).

Subcommands
-----------
``demo`` (the default)
    The main job: a small knowledge-distillation benchmark table on the real
    Stress-Predict sample shipped inside the package (or on ``--data-home``).
``datasets``
    One row per data set that can be loaded: windows, subjects, classes, modalities.
``benchmark NAME [ARGS...]``
    Run ``benchmarks/NAME.py`` of a source checkout with its own arguments.
``summarize FOLDER``
    Print every results table (CSV/JSON) a benchmark wrote under FOLDER.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from pathlib import Path

import pandas as pd

BENCHMARKS_DIR = Path(__file__).resolve().parents[1] / "benchmarks"


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
    _print_table(table, "skkd data sets")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from skkd._demo import run_demo

    table = run_demo(data_home=args.data_home, quick=not args.full,
                     random_state=args.random_state, verbose=args.verbose)
    shown = pd.DataFrame({
        "model": table["model"],
        "inputs": table["inputs"],
        "macro-F1": [f"{m:.3f} ± {s:.3f}" for m, s in zip(table.macro_f1_mean, table.macro_f1_std)],
        "bal. acc.": [f"{m:.3f} ± {s:.3f}" for m, s in
                      zip(table.balanced_accuracy_mean, table.balanced_accuracy_std)],
        "params": table["n_params"],
        "latency 1 window [ms]": table["latency_ms"].round(2),
        "wall [s]": table["wall_s"].round(1),
    })
    _print_table(shown, "skkd demo: " + table.attrs["title"])
    return 0


def _available_benchmarks() -> list[str]:
    if not BENCHMARKS_DIR.is_dir():
        return []
    return sorted(p.stem for p in BENCHMARKS_DIR.glob("*.py") if not p.stem.startswith("_"))


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
    return 0


def _cmd_summarize(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"results folder {folder} does not exist", file=sys.stderr)
        return 2
    files = sorted([*folder.rglob("*.csv"), *folder.rglob("*.json")])
    if not files:
        print(f"no CSV or JSON results under {folder}", file=sys.stderr)
        return 2
    for path in files:
        try:
            df = pd.read_csv(path) if path.suffix == ".csv" else pd.read_json(path)
        except ValueError as exc:
            print(f"{path}: not a results table ({exc})", file=sys.stderr)
            continue
        _print_table(df, str(path.relative_to(folder)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="skkd", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")

    demo = sub.add_parser("demo", help="KD benchmark table on the built-in real sample")
    demo.add_argument("--data-home", default=None,
                      help="run on the full Stress-Predict data in this folder")
    demo.add_argument("--full", action="store_true", help="more epochs and repeats")
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--verbose", type=int, default=0)
    demo.set_defaults(func=_cmd_demo)

    datasets = sub.add_parser("datasets", help="list the data sets that can be loaded")
    datasets.add_argument("--data-home", default=None)
    datasets.set_defaults(func=_cmd_datasets)

    bench = sub.add_parser("benchmark", help="run benchmarks/NAME.py")
    bench.add_argument("name")
    bench.add_argument("args", nargs=argparse.REMAINDER)
    bench.set_defaults(func=_cmd_benchmark)

    summ = sub.add_parser("summarize", help="print the results tables under a folder")
    summ.add_argument("folder")
    summ.set_defaults(func=_cmd_summarize)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m skkd`` and the ``skkd`` console script."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv or ["demo"])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
