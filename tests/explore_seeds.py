"""How reliably `awmc check`'s explorer finds each planted bug of tests/broken/: explore each
spec with default settings over several seeds and count the seeds that find the expected
problem. Run from the repository root:

    .venv/bin/python tests/explore_seeds.py [--seeds 10] [name ...]

tests/test_broken.py runs a few seeds of this in CI; the full figures are in the report of the
change that added them."""

from __future__ import annotations

import argparse
import time

from awmlang.runtime.explore import explore
from test_broken import BROKEN, EXPECTED  # the script's own directory, tests/, is on the path

import awmlang

EXPLORED_KINDS = ("invariant_violation", "constraint_violation", "ownership_violation", "internal_error")


def seeds_finding(name: str, seeds: range, **settings) -> tuple[list[int], float]:
    """The seeds whose exploration (default settings, else `settings`) finds the planted bug
    of `name`, and the mean seconds an exploration took."""
    kind, words = EXPECTED[name]
    env = awmlang.load(BROKEN / f"{name}.awm")
    found, start = [], time.perf_counter()
    for seed in seeds:
        finding = explore(env, seed=seed, **settings).finding
        if finding is not None and finding.kind == kind and words in finding.message:
            found.append(seed)
    return found, (time.perf_counter() - start) / len(seeds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="planted bugs (default: every one exploration finds)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--max-examples", type=int, help="call sequences per run (default: explore's)")
    args = parser.parse_args()
    settings = {"max_examples": args.max_examples} if args.max_examples else {}
    names = args.names or [n for n, (kind, _) in sorted(EXPECTED.items()) if kind in EXPLORED_KINDS]
    for name in names:
        found, seconds = seeds_finding(name, range(args.seeds), **settings)
        print(f"{name:28} {len(found):2} of {args.seeds} seeds  {seconds:5.1f} s a run  found by {found}", flush=True)


if __name__ == "__main__":
    main()
