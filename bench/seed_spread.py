#!/usr/bin/env python
"""How much another training seed moves the model on the same data: the noise the publish gate
and every before/after comparison of bench/nlu_eval.py have to live with.

Trains the checkout's data with --seeds seeds (the config's random_seed, then the next ones; the
first is the cached starter model), decides the gate's held-back questions and the holdout with
each, and prints each seed's score and how many decisions differ between each pair of seeds.

  python bench/seed_spread.py [--seeds 2] [--parallel]
"""
from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import paths  # noqa: E402
from bot.decision import Decision  # noqa: E402
from bot.faq import gate  # noqa: E402
from bot.faq.knowledge_base import load_knowledge_base  # noqa: E402
from bot.faq.release import export_release, reseed  # noqa: E402
from bot.model import ensure_model  # noqa: E402

HOLDOUT = ROOT / "data" / "eval" / "holdout.yml"


def train_seed(n: int, workdir: Path) -> tuple[Path, float]:
    """The model of the checkout's data with the n-th seed (1: as configured), and its training time."""
    if n == 1:
        return ensure_model(), 0.0
    target = workdir / f"seed{n}"
    export_release(load_knowledge_base(), target)
    reseed(target, n)
    started = time.monotonic()
    return ensure_model(workdir / "models", target), time.monotonic() - started


def correct(questions: list[gate.GateQuestion], decided: list[Decision]) -> int:
    """Judged as the publish gate judges."""
    return sum(gate.outcome(q, d.kind, d.faq_id)[0] for q, d in zip(questions, decided))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--parallel", action="store_true", help="train the extra seeds side by side")
    args = parser.parse_args()
    sets = {"gate": gate.load_questions(), "holdout": gate.load_questions(HOLDOUT)}
    with tempfile.TemporaryDirectory() as tmp:
        seeds = range(1, args.seeds + 1)
        with ThreadPoolExecutor(max_workers=args.seeds if args.parallel else 1) as pool:
            trained = list(pool.map(lambda n: train_seed(n, Path(tmp)), seeds))
        everything = [q for qs in sets.values() for q in qs]
        decided = {}
        for n, (model, _) in zip(seeds, trained):
            each = iter(gate.decide_all(model, paths.DATA, everything))  # the model loaded once per seed
            decided[n] = {name: [next(each) for _ in qs] for name, qs in sets.items()}
    print(f"{'seed':<6}" + "".join(f"{name + ' right':>18}" for name in sets) + f"{'training (s)':>14}")
    for n, (_, seconds) in zip(seeds, trained):
        row = "".join(f"{correct(qs, decided[n][name]):>12}/{len(qs):<5}" for name, qs in sets.items())
        print(f"{n:<6}{row}{(f'{seconds:.0f}' if seconds >= 1 else 'cached'):>14}")
    print("\ndecisions that differ between two seeds")
    for a, b in itertools.combinations(seeds, 2):
        differ = {name: sum((x.kind, x.faq_id) != (y.kind, y.faq_id) for x, y in zip(decided[a][name], decided[b][name])) for name in sets}
        print(f"  seeds {a} and {b}: " + ", ".join(f"{name} {count}/{len(sets[name])}" for name, count in differ.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
