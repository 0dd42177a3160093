"""Regenerate the simulated Ausländerbehörde samples in this folder (issue #4).

    .venv/bin/python sample_logs/make_abh_samples.py

The same as these commands (see README.md here for what is true in each file):

    ist-analyse simulate --scenario baseline --start 2024-01-01 --months 12 --seed 2024 \\
        --scale 0.25 -o sample_logs/abh_baseline_2024.xes.gz
    ist-analyse simulate --scenario checklist --start 2024-01-01 --months 12 \\
        --change 2024-07-01 --seed 2024 --scale 0.25 -o sample_logs/abh_checklist_2024.csv
    ist-analyse simulate --scenario checklist --start 2024-01-01 --months 12 \\
        --change 2024-07-01 --seed 2024 --scale 0.25 -o sample_logs/abh_checklist_2024.parquet

The CSV and the Parquet file hold the same simulated log and share one ground truth file.
"""

from __future__ import annotations

from pathlib import Path

from ist_analyse.simulate import simulate

HERE = Path(__file__).resolve().parent

RUNS = (
    ("baseline", None, "abh_baseline_2024.xes.gz"),
    ("checklist", "2024-07-01", "abh_checklist_2024.csv"),
    ("checklist", "2024-07-01", "abh_checklist_2024.parquet"),
)


def main() -> None:
    for scenario, change, name in RUNS:
        res = simulate(scenario, "2024-01-01", 12, change=change, seed=2024, scale=0.25,
                       output=HERE / name, progress=False)
        exp = res.truth["export"]
        print(f"{name}: {exp['cases']} cases, {exp['events']} events, "
              f"{exp['open_cases']} open at the export date ({res.seconds:.1f} s)")


if __name__ == "__main__":
    main()
