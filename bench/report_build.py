"""Benchmark: benchmark reports for 500 synthetic providers (issue 5).

Generates, in memory and seeded, 500 providers × 8 pathways × 4 quarters of respondents
with CTM-15, I statements and about-you answers (unit sizes vary, so some units are
suppressed), scores them with the app's own pipeline (``results_data.score_answers``) and
builds the shared benchmark bundle once. Then it times, in this process:

* the baseline: WeasyPrint rendering a trivial one-page PDF;
* one provider's full report (build, charts, PDF), target under 2 s;
* N providers' reports through the report command's worker pool (``--workers``), from
  which the time for all 500 is projected (or measured, with ``--all``), target under
  10 minutes including the shared benchmark.

Run: ``.venv/bin/python bench/report_build.py [--providers 500] [--sample 50]
[--workers 2] [--all]``. Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import instruments  # noqa: E402
from survey_app.auth.scope import peer_letter  # noqa: E402
from survey_app.reports.command import Job, build_all  # noqa: E402
from survey_app.reports.pdf import html_to_pdf, report_html, report_pdf  # noqa: E402
from survey_app.results.data import Names, merge_scored, score_answers  # noqa: E402
from survey_app.results.report import build_report  # noqa: E402
from survey_app.results.tables import Bundle  # noqa: E402

PATHWAYS = ["frail-elderly", "stroke", "hip-fracture", "copd", "heart-failure",
            "elective-orthopaedics", "cancer", "end-of-life"]
PERIODS = ["2025Q3", "2025Q4", "2026Q1", "2026Q2"]
PERIOD = "2026-Q2"
ABOUT = {"age_band": ["55-64", "65-74", "75-84", "85plus"], "sex": ["F", "M"],
         "general_health": ["EX", "VG", "G", "FA", "P"],
         "completed_by": ["PATIENT", "HELPED", "PROXY"]}
TARGET_ONE, TARGET_ALL = 2.0, 600.0


def synthetic_answers(providers: int, mean_unit: int, seed: int = 2026) -> tuple[
        dict[str, pd.DataFrame], pd.DataFrame]:
    """Return each instrument's answers table (export shape) and the sent invitations."""
    rng = np.random.default_rng(seed)
    sizes = rng.poisson(mean_unit, providers * len(PATHWAYS) * len(PERIODS))
    codes = np.repeat(np.arange(sizes.size), sizes)
    n = codes.size
    provider = codes // (len(PATHWAYS) * len(PERIODS))
    pathway = (codes // len(PERIODS)) % len(PATHWAYS)
    period = codes % len(PERIODS)
    context = pd.DataFrame({
        "response_id": np.arange(1, n + 1),
        "provider": [f"P{p:03d}" for p in provider],
        "site": [f"P{p:03d}01" for p in provider],
        "pathway": np.asarray(PATHWAYS, dtype=object)[pathway],
        "period": np.asarray(PERIODS, dtype=object)[period],
        "mode": rng.choice(["online", "paper", "kiosk"], n, p=[0.7, 0.2, 0.1]),
        "language": "en",
    })
    for column, levels in ABOUT.items():
        context[column] = rng.choice(levels, n)
    latent = rng.normal(0, 0.4, providers)[provider] + rng.normal(0, 1, n)
    tables = {}
    for instrument_id, top in (("ctm15", 4), ("i_statements", 5)):
        instrument = instruments.get_instrument(instrument_id)
        table = context.copy()
        for item in instrument.items:
            value = np.clip(np.rint(top * 0.65 + latent + rng.normal(0, 0.8, n)), 1, top)
            answer = value.astype(int).astype(str).astype(object)
            answer[rng.random(n) < 0.04] = "9"
            table[item.id] = pd.Categorical(answer)
        tables[instrument_id] = table
    invited = np.repeat(np.arange(sizes.size), np.round(sizes * 2.2).astype(int))
    invitations = pd.DataFrame({
        "provider": [f"P{p:03d}" for p in invited // (len(PATHWAYS) * len(PERIODS))],
        "site": [f"P{p:03d}01" for p in invited // (len(PATHWAYS) * len(PERIODS))],
        "pathway": np.asarray(PATHWAYS, dtype=object)[(invited // len(PERIODS)) % len(PATHWAYS)],
        "period": [f"{PERIODS[q][:4]}-{PERIODS[q][4:]}" for q in invited % len(PERIODS)],
        "mode": rng.choice(["sms", "email", "paper"], invited.size),
        "responded": rng.random(invited.size) < 0.45,
    })
    return tables, invitations


def names_for(providers: int) -> Names:
    """Return the display names of the synthetic world."""
    codes = [f"P{p:03d}" for p in range(providers)]
    return Names(
        organisation_ids={code: index + 1 for index, code in enumerate(codes)},
        organisation_names={code: f"Synthetic Trust {code}" for code in codes},
        sites={code: [(f"{code}01", f"{code} General")] for code in codes},
        pathways={p: p.replace("-", " ").capitalize() for p in PATHWAYS},
    )


def labels_for(code: str, names: Names) -> dict[str, str]:
    """Own name, peers lettered by code: as ``Scope.peer_labels`` does in the app."""
    peers = sorted(c for c in names.organisation_names if c != code)
    labels = {peer: f"Provider {peer_letter(i)}" for i, peer in enumerate(peers)}
    return labels | {code: names.organisation_names[code]}


def timed(label: str, work: object) -> tuple[float, object]:
    """Run ``work()`` and print how long it took."""
    started = time.perf_counter()
    result = work()  # type: ignore[operator]
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.2f} s", flush=True)
    return seconds, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=500)
    parser.add_argument("--mean-unit", type=int, default=30,
                        help="mean respondents per provider × pathway × quarter")
    parser.add_argument("--sample", type=int, default=50,
                        help="reports to build through the worker pool")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--all", action="store_true", help="build all providers' reports")
    args = parser.parse_args()

    tables, invitations = synthetic_answers(args.providers, args.mean_unit)
    print(f"{args.providers} providers, {len(tables['ctm15']):,} respondents, "
          f"{len(invitations):,} invitations", flush=True)
    names = names_for(args.providers)

    def benchmark() -> Bundle:
        respondents, answers = merge_scored(
            {key: score_answers(key, table) for key, table in tables.items()})
        bundle = Bundle(respondents, invitations, answers)
        bundle.compute_all(PERIOD)
        return bundle

    shared_seconds, bundle = timed("score + shared benchmark (once)", benchmark)
    assert isinstance(bundle, Bundle)

    baseline = statistics.median(
        timed("baseline: trivial one-page PDF", lambda: html_to_pdf("<h1>Report</h1>"))[0]
        for _ in range(3)
    )
    one = min(
        timed("one provider's report (P000)", lambda: report_pdf(
            build_report(bundle, names, labels_for("P000", names), "P000", PERIOD)))[0]
        for _ in range(2)
    )
    _, content = timed("  of which: report content from the bundle",
                                     lambda: build_report(bundle, names,
                                                          labels_for("P000", names),
                                                          "P000", PERIOD))
    _, html = timed("  of which: charts (matplotlib) and HTML",
                               lambda: report_html(content))
    timed("  of which: WeasyPrint layout and PDF", lambda: html_to_pdf(html))

    count = args.providers if args.all else min(args.sample, args.providers)
    with tempfile.TemporaryDirectory() as folder:
        jobs = [Job(code, PERIOD, Path(folder) / f"{code}.pdf", labels_for(code, names))
                for code in sorted(names.organisation_names)[:count]]
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        own_before = time.process_time()  # the reports themselves when --workers 1
        pool_seconds, outcomes = timed(
            f"{count} reports, {args.workers} workers",
            lambda: build_all(bundle, names, jobs, args.workers, progress=True))
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = time.process_time() - own_before
    cpu_per_report = (own + children.ru_utime + children.ru_stime - children_before.ru_utime
                      - children_before.ru_stime) / count
    failed = [o for o in outcomes if o.error]  # type: ignore[attr-defined]
    projected = shared_seconds + pool_seconds * args.providers / count

    print(f"\none report: {one:.2f} s = {one / baseline:.0f}× the trivial PDF "
          f"({baseline:.3f} s); target {TARGET_ONE:.0f} s")
    print(f"{'measured' if args.all else 'projected'} all {args.providers}: "
          f"{projected:.0f} s ({projected / 60:.1f} min) = shared benchmark "
          f"{shared_seconds:.0f} s + {pool_seconds / count:.2f} s per report with "
          f"{args.workers} workers; target {TARGET_ALL / 60:.0f} min")
    print(f"CPU per report (workers and parent): {cpu_per_report:.2f} s "
          f"({cpu_per_report / baseline:.0f}× the trivial PDF)")
    if failed:
        print(f"{len(failed)} report(s) failed: {failed[0].error}")
    return 0 if one < TARGET_ONE and projected < TARGET_ALL and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
