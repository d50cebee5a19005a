"""Benchmark: the whole benchmark table for 1,000,000 respondents, in memory and by CLI.

500 providers × 10 pathways × 8 quarters, with case-mix adjustment on four adjusters and
funnels at every level. Part 1 times the library call ``benchmark_table`` against a plain
pandas ``groupby(...).mean()`` over the same data. Part 2 writes the data once to a seeded
scores CSV (``bench/out/``, git-ignored) and times the whole command an analyst runs,
``python -m analysis benchmark … -o …`` (start-up, reading, checking, the table,
publishing, writing), against ``pd.read_csv`` of the same file, all measured in this
process. Prints wall times, ratios and peak memory. Target (issue 4): under 15 s and under
2 GB for both. Run: ``.venv/bin/python bench/benchmark_table.py [--skip-cli]``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.benchmark import BenchmarkSpec, benchmark_table  # noqa: E402

ADJUSTERS = {
    "age_band": ["16-44", "45-64", "65-74", "75-84", "85+", None],
    "sex": ["female", "male", None],
    "general_health": ["excellent", "very good", "good", "fair", "poor"],
    "completed_by": ["patient", "patient with help", "carer or relative"],
}


def make_responses(respondents: int, providers: int, pathways: int, periods: int) -> pd.DataFrame:
    """Return a seeded synthetic scores table with provider effects and case mix."""
    rng = np.random.default_rng(20261122)
    provider = rng.integers(0, providers, respondents)
    frame = pd.DataFrame(
        {
            "provider": pd.Categorical.from_codes(
                provider, [f"P{i:03d}" for i in range(providers)]
            ),
            "pathway": pd.Categorical.from_codes(
                rng.integers(0, pathways, respondents), [f"pathway {i}" for i in range(pathways)]
            ),
            "period": pd.Categorical.from_codes(
                rng.integers(0, periods, respondents), [f"2025Q{i + 1}" for i in range(periods)]
            ),
        }
    )
    effect = rng.normal(0, 3, providers)[provider]
    score = 60 + effect + rng.normal(0, 20, respondents)
    for column, levels in ADJUSTERS.items():
        codes = rng.integers(0, len(levels), respondents)
        frame[column] = pd.Categorical(np.asarray(levels, dtype=object)[codes])
        score += codes * 1.5
    frame["score"] = np.clip(score, 0, 100)
    return frame


def main(argv: list[str] | None = None) -> int:
    """Time the baseline and the benchmark table; print the ratio and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--providers", type=int, default=500)
    parser.add_argument("--pathways", type=int, default=10)
    parser.add_argument("--periods", type=int, default=8)
    parser.add_argument("--skip-cli", action="store_true", help="time the library call only")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    responses = make_responses(args.respondents, args.providers, args.pathways, args.periods)
    print(f"generated {len(responses):,} respondents in {time.perf_counter() - start:.1f} s")

    by = ["provider", "pathway", "period"]
    start = time.perf_counter()
    baseline = responses.groupby(by, observed=True)["score"].mean()
    baseline_seconds = time.perf_counter() - start
    print(f"baseline groupby mean: {len(baseline):,} units in {baseline_seconds:.3f} s")

    spec = BenchmarkSpec(measure="score", by=tuple(by), adjust=tuple(ADJUSTERS))
    start, cpu = time.perf_counter(), time.process_time()
    result = benchmark_table(responses, spec)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"benchmark table: {len(result.table):,} rows in {seconds:.2f} s "
          f"(CPU {time.process_time() - cpu:.2f} s)")
    print(f"ratio to baseline: {seconds / baseline_seconds:.0f}x")
    print(f"peak memory (max RSS of the process): {peak_mb:,.0f} MB")
    print("bands:", result.table["band"].value_counts().to_dict())
    within = seconds < 15 and peak_mb < 2048
    if not args.skip_cli:
        within = time_command(responses, args) and within
    print("targets (< 15 s, < 2 GB):", "met" if within else "NOT met")
    return 0 if within else 1


def time_command(responses: pd.DataFrame, args: argparse.Namespace) -> bool:
    """Time ``python -m analysis benchmark`` on a scores CSV of the same data; True if in target."""
    folder = ROOT / "bench" / "out"
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / (f"benchmark_scores_{args.respondents}_{args.providers}_{args.pathways}"
                       f"_{args.periods}.csv")
    if not source.exists():
        start = time.perf_counter()
        responses.to_csv(source, index=False)
        print(f"wrote {source.relative_to(ROOT)} in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    pd.read_csv(source)
    baseline_seconds = time.perf_counter() - start
    print(f"baseline pd.read_csv of the scores CSV: {baseline_seconds:.2f} s")
    command = [sys.executable, "-m", "analysis", "benchmark", str(source),
               "--by", "provider,pathway,period", "--adjust", ",".join(ADJUSTERS),
               "-o", str(folder / "benchmark_table.csv")]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb = usage.ru_maxrss / 1024
    print(f"`python -m analysis benchmark` (whole command): {seconds:.2f} s "
          f"(CPU {usage.ru_utime + usage.ru_stime:.2f} s), ratio to read_csv "
          f"{seconds / baseline_seconds:.1f}x, peak memory {peak_mb:,.0f} MB")
    return seconds < 15 and peak_mb < 2048


if __name__ == "__main__":
    sys.exit(main())
