#!/usr/bin/env python
"""Benchmark our Vietnamese pipeline and decision against two baselines, in one run.

Systems:
  ours   config.yml (normalizer, underthesea tokens, folded view, n-grams, logistic regression) + bot.decision
  stock  Rasa's stock pipeline (WhitespaceTokenizer + CountVectorsFeaturizer + DIETClassifier,
         default settings but for --stock-epochs) answering its top intent above Rasa's default
         fallback threshold of 0.3
  fuzzy  rapidfuzz: the label of the nearest training question (WRatio >= 75), else hand off

Sets: ../shared/eval/dev.jsonl, data/eval/holdout.yml (our own held-out questions: citizens'
hard styles and portal questions the catalogue does not cover), data/eval/near_misses.yml (cases
of a FAQ's topic that its answer does not cover, by class), data/eval/formal.yml (portal and
headline style, two questions in one), data/eval/unseen.yml and unseen2.yml (written blind; their
errors were looked at later, docs/nlu.md says when), unseen3.yml and unseen4.yml (written blind; their errors were read from 2026-12-06's fourth session), unseen5.yml and unseen6.yml (written blind; their errors read from the fifth and sixth sessions), unseen7.yml (written blind; its errors read from the seventh session), unseen8.yml, unseen9.yml and unseen10.yml (written blind; their errors read from the eighth and ninth sessions) unseen11.yml and unseen12.yml (written blind; their errors read from the tenth session), unseen13.yml (written blind, scored in aggregate only in the tenth session; its errors read from the eleventh), unseen14.yml (written blind, scored in aggregate only in the eleventh session; its errors read from the twelfth) unseen15.yml (written blind, scored in aggregate only in the twelfth session; its errors read from the thirteenth) unseen16.yml (written blind, scored in aggregate only in the thirteenth session; its errors read from the fourteenth) and unseen17.yml (written blind, never looked at; scored in aggregate only) and data/gate/questions.yml (the publish gate's), each scored
by the model trained on all data; a stratified k-fold cross-validation of the training questions
(each fold trains every system on the other folds); and --leave-faqs-out K: the FAQs in K groups,
each group's near misses scored by our model trained without that group's `not_covered` questions.

  python bench/nlu_eval.py [--folds 3] [--stock-epochs 20] [--systems ours,stock,fuzzy]
                           [--cv-systems ours,fuzzy] [--skip-dev] [--skip-cv] [--dump FILE]
                           [--sets dev,holdout,near_misses,formal,unseen,gate] [--leave-faqs-out K]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from bot import cross_validation  # noqa: E402
from bot.decision import load_thresholds  # noqa: E402
from bot import intents  # noqa: E402
from bot.faq.knowledge_base import (  # noqa: E402
    NOT_COVERED, TRAINING_STYLES, KnowledgeBase, faq_id_of, load_knowledge_base,
)
from bot.faq.training_data import hand_written_examples  # noqa: E402
from bot.nlu.linear_classifier import FOLDS, LinearIntentClassifier  # noqa: E402
from bot.understanding import Understanding  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
HOLDOUT = ROOT / "data" / "eval" / "holdout.yml"
NEAR_MISSES = ROOT / "data" / "eval" / "near_misses.yml"
FORMAL = ROOT / "data" / "eval" / "formal.yml"
# the blind sets, oldest first: unseen.yml, unseen2.yml … (which were read and when: the docstring)
UNSEEN_SETS = ("unseen",) + tuple(f"unseen{n}" for n in range(2, 18))
GATE = ROOT / "data" / "gate" / "questions.yml"
STOCK_CONFIG = ROOT / "bench" / "stock_config.yml"
RASA_FALLBACK_THRESHOLD = 0.3  # FallbackClassifier's default


@dataclass(frozen=True)
class Example:
    text: str
    expect: str  # faq id | handoff | out_of_scope | smalltalk:<intent>
    style: str
    intent: str = ""
    group: str = ""  # a near miss's class
    faq: str = ""  # the FAQ a near miss is near
    part: str = ""  # a set's own sections (unseen2.yml: near_miss, formal, chat, portal)


@dataclass(frozen=True)
class Prediction:
    decision: str
    faq_id: str | None
    intent: str | None
    latency_ms: float


# ---------------------------------------------------------------- data

def expectation(intent: str) -> str:
    """As the gate expects, naming the smalltalk intent (dev.jsonl does)."""
    kind = cross_validation.expectation(intent)
    return f"smalltalk:{intent}" if kind == "smalltalk" else kind


def training_examples(kb: KnowledgeBase) -> list[Example]:
    out = []
    for faq in kb.faqs.values():
        out.append(Example(faq.question, faq.id, "catalogue", faq.intent))
        for style in TRAINING_STYLES:
            out.extend(Example(q, faq.id, style, faq.intent) for q in faq.questions.get(style, ()))
        out.extend(Example(q, "handoff", NOT_COVERED, intents.NOT_COVERED, faq=faq.id) for q in faq.near_misses)
    for intent, examples in hand_written_examples().items():
        out.extend(Example(t, expectation(intent), expectation(intent).split(":")[0], intent) for t in examples)
    return out


def dev_examples(path: Path) -> list[Example]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Example(r["text"], r["expect"], r.get("style", "?")) for r in rows]


def yaml_examples(path: Path) -> list[Example]:
    """data/eval/holdout.yml and data/gate/questions.yml: text, expect and (holdout) style."""
    import yaml

    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]
    out = []
    for r in rows:
        expect = str(r["expect"])
        # The gate says "smalltalk" without the intent: any smalltalk intent counts there.
        out.append(Example(str(r["text"]), "smalltalk:" if expect == "smalltalk" else expect, str(r.get("style", "?")),
                           group=str(r.get("class", "")), faq=str(r.get("faq", "")), part=str(r.get("part", ""))))
    return out


def stratified_folds(examples: list[Example], k: int, seed: int = 13) -> list[list[Example]]:
    by_label: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        by_label[e.intent].append(e)
    folds: list[list[Example]] = [[] for _ in range(k)]
    rng = random.Random(seed)
    offset = 0
    for label in sorted(by_label):
        items = sorted(by_label[label], key=lambda e: e.text)
        rng.shuffle(items)
        for i, e in enumerate(items):
            folds[(i + offset) % k].append(e)
        offset += len(items)
    return folds


def write_nlu(examples: list[Example], path: Path) -> None:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for e in examples:
        by_intent[e.intent].append(" ".join(e.text.split()))
    lines = ['version: "3.1"\n', "nlu:\n"]
    for intent in sorted(by_intent):
        lines.append(f"- intent: {intent}\n  examples: |\n")
        lines.extend(f"    - {t}\n" for t in dict.fromkeys(by_intent[intent]))
    path.write_text("".join(lines), encoding="utf-8")


def kb_without(kb: KnowledgeBase, held_out: set[str]) -> KnowledgeBase:
    """The knowledge base minus held-out questions, so the fuzzy signal cannot see them."""
    faqs = {
        fid: replace(faq, questions={s: tuple(q for q in qs if q not in held_out) for s, qs in faq.questions.items()})
        for fid, faq in kb.faqs.items()
    }
    return replace(kb, faqs=faqs)


# ---------------------------------------------------------------- systems

def train_nlu(config: Path, nlu: Path, out: Path) -> tuple[Path, float]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config), "--nlu", str(nlu),
         "--out", str(out), "--fixed-model-name", "model"],
        cwd=ROOT, capture_output=True, text=True,
    )
    if result.returncode != 0:
        sys.exit(f"rasa train nlu failed for {config}:\n{result.stderr[-3000:]}")
    return out / "model.tar.gz", time.perf_counter() - started


def config_with(source: Path, component: str, settings: dict, path: Path) -> Path:
    """A copy of a Rasa config with one component's settings changed (a text replacement once
    missed the YAML's indentation, and the stock model trained Rasa's default 300 epochs for hours)."""
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    (step,) = [step for step in config["pipeline"] if step["name"] == component]
    step.update(settings)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


class OursSystem:
    def __init__(self, model: Path, kb: KnowledgeBase) -> None:
        from bot.nlu_model import NluModel

        self.nlu = NluModel(model)
        self.understanding = Understanding(kb, load_thresholds())
        self.rankings: list[dict] = []  # for --dump: re-deciding with other thresholds needs no retraining

    def predict(self, text: str) -> Prediction:
        started = time.perf_counter()
        ranking = self.nlu.rank(text)
        d = self.understanding.decide(text, ranking)
        elapsed = (time.perf_counter() - started) * 1000
        self.rankings.append({"text": text, "ranking": [[s.name, s.confidence] for s in ranking]})
        return Prediction(d.kind, d.faq_id, d.intent, elapsed)


class StockSystem:
    def __init__(self, model: Path) -> None:
        from bot.nlu_model import NluModel

        self.nlu = NluModel(model)

    def predict(self, text: str) -> Prediction:
        started = time.perf_counter()
        ranking = self.nlu.rank(text)
        top = ranking[0] if ranking else None
        if top is None or top.confidence < RASA_FALLBACK_THRESHOLD:
            kind, faq_id, intent = "handoff", None, top.name if top else None
        else:
            kind, faq_id, intent = _kind_of(top.name), faq_id_of(top.name), top.name
        return Prediction(kind, faq_id, intent, (time.perf_counter() - started) * 1000)


class FuzzySystem:
    def __init__(self, train: list[Example], threshold: float = 75) -> None:
        self.texts = [e.text.lower() for e in train]
        self.intents = [e.intent for e in train]
        self.threshold = threshold

    def predict(self, text: str) -> Prediction:
        started = time.perf_counter()
        hit = process.extractOne(text.lower(), self.texts, scorer=fuzz.WRatio)
        if hit is None or hit[1] < self.threshold:
            kind, faq_id, intent = "handoff", None, None
        else:
            intent = self.intents[hit[2]]
            kind, faq_id = _kind_of(intent), faq_id_of(intent)
        return Prediction(kind, faq_id, intent, (time.perf_counter() - started) * 1000)


def _kind_of(intent: str) -> str:
    """The decision a baseline's top intent stands for."""
    return "answer" if faq_id_of(intent) else cross_validation.expectation(intent)


# ---------------------------------------------------------------- scoring (as ../shared/eval/score.py)

def score(examples: list[Example], predictions: list[Prediction]) -> dict[str, str]:
    styles: dict[str, Counter] = defaultdict(Counter)
    groups: dict[str, Counter] = defaultdict(Counter)
    tot: Counter = Counter()
    parts: dict[str, Counter] = defaultdict(Counter)
    for e, p in zip(examples, predictions):
        answered = p.decision == "answer"
        if e.expect.startswith("smalltalk:"):
            kind, ok = "smalltalk", p.decision == "smalltalk" and (p.intent or "").endswith(e.expect.split(":", 1)[1])
            wrong = answered
        elif e.expect in ("handoff", "out_of_scope"):
            kind, ok, wrong = "safe", not answered, answered
            if e.group:
                groups[e.group]["n"] += 1
                groups[e.group]["ok"] += ok
        else:
            kind, ok, wrong = "faq", answered and p.faq_id == e.expect, answered and p.faq_id != e.expect
            styles[e.style]["n"] += 1
            styles[e.style]["ok"] += ok
        tot[kind + "_n"] += 1
        tot[kind + "_ok"] += ok
        tot["wrong"] += wrong
        tot["n"] += 1
        if e.part:
            for key, value in ((kind + "_n", 1), (kind + "_ok", ok), ("wrong", wrong), ("n", 1)):
                parts[e.part][key] += value
    pct = lambda a, b: f"{100 * a / b:5.1f}% ({a}/{b})" if b else "-"
    rows = {"FAQ answered right, all": pct(tot["faq_ok"], tot["faq_n"])}
    for style in sorted(styles):
        rows[f"  style {style}"] = pct(styles[style]["ok"], styles[style]["n"])
    rows["answered wrongly (of all)"] = pct(tot["wrong"], tot["n"])
    rows["handoff/out-of-scope not answered"] = pct(tot["safe_ok"], tot["safe_n"])
    for group in sorted(groups):
        rows[f"  class {group}"] = pct(groups[group]["ok"], groups[group]["n"])
    rows["smalltalk right"] = pct(tot["smalltalk_ok"], tot["smalltalk_n"])
    for part in sorted(parts):
        c = parts[part]
        rows[f"part {part}: FAQ right"] = pct(c["faq_ok"], c["faq_n"])
        rows[f"part {part}: kept"] = pct(c["safe_ok"], c["safe_n"])
        rows[f"part {part}: answered wrongly"] = pct(c["wrong"], c["n"])
    lat = sorted(p.latency_ms for p in predictions)
    rows["latency p50 / p95 (ms)"] = f"{statistics.median(lat):.1f} / {lat[int(0.95 * (len(lat) - 1))]:.1f}"
    return rows


def print_table(title: str, columns: dict[str, dict[str, str]]) -> None:
    names = list(columns)
    keys = list(dict.fromkeys(k for col in columns.values() for k in col))
    width = max(len(k) for k in keys) + 2
    print(f"\n## {title}\n")
    print("| " + " | ".join(["metric".ljust(width)] + [n.ljust(22) for n in names]) + " |")
    print("|" + "|".join(["-" * (width + 2)] + ["-" * 24 for _ in names]) + "|")
    for k in keys:
        print("| " + " | ".join([k.ljust(width)] + [columns[n].get(k, "-").ljust(22) for n in names]) + " |")
    sys.stdout.flush()


# ---------------------------------------------------------------- runs

def evaluate(systems: list[str], train: list[Example], test: list[Example], kb: KnowledgeBase,
             workdir: Path, stock_epochs: int, ours_model: Path | None = None,
             dump: Path | None = None) -> dict[str, dict[str, str]]:
    nlu_file = workdir / "nlu.yml"
    write_nlu(train, nlu_file)
    columns: dict[str, dict[str, str]] = {}
    for name in systems:
        seconds = None
        if name == "ours":
            model = ours_model
            if model is None:
                # This benchmark cross-validates by itself: the model's own folds would only cost time.
                classifier = f"{LinearIntentClassifier.__module__}.{LinearIntentClassifier.__name__}"
                config = config_with(ROOT / "config.yml", classifier, {FOLDS: 0}, workdir / "config.yml")
                model, seconds = train_nlu(config, nlu_file, workdir / "ours")
            system = OursSystem(model, kb)
        elif name == "stock":
            config = config_with(STOCK_CONFIG, "DIETClassifier", {"epochs": stock_epochs}, workdir / "stock_config.yml")
            model, seconds = train_nlu(config, nlu_file, workdir / "stock")
            system = StockSystem(model)
        else:
            started = time.perf_counter()
            system = FuzzySystem(train)
            seconds = time.perf_counter() - started
        predictions = [system.predict(e.text) for e in test]
        if dump is not None and isinstance(system, OursSystem):
            with dump.open("a", encoding="utf-8") as f:
                for e, r in zip(test, system.rankings):
                    f.write(json.dumps({**r, "expect": e.expect, "style": e.style, "set": workdir.name},
                                       ensure_ascii=False) + "\n")
        columns[name] = score(test, predictions)
        columns[name]["training time (s)"] = f"{seconds:.0f}" if seconds is not None else "cached"
        print(f"  {name}: done", file=sys.stderr)
    return columns


def merge(fold_columns: list[dict[str, dict[str, str]]]) -> dict[str, dict[str, str]]:
    """Sum the counts of every fold (cells are 'x% (a/b)'); latency and time from the folds' values."""
    merged: dict[str, dict[str, str]] = {}
    for name in fold_columns[0]:
        merged[name] = {}
        # a group of FAQs may lack a class or a style the others have
        keys = dict.fromkeys(key for fc in fold_columns for key in fc[name])
        for key in keys:
            cells = [fc[name][key] for fc in fold_columns if key in fc[name]]
            if "(" in cells[0]:
                a = sum(int(c.split("(")[1].split("/")[0]) for c in cells)
                b = sum(int(c.split("/")[1].rstrip(")")) for c in cells)
                merged[name][key] = f"{100 * a / b:5.1f}% ({a}/{b})" if b else "-"
            else:
                merged[name][key] = " | ".join(cells) if key.startswith("latency") else ", ".join(cells)
    return merged


def leave_faqs_out(examples: list[Example], near_misses: list[Example], kb: KnowledgeBase, workdir: Path,
                   groups: int) -> dict[str, dict[str, str]]:
    """Our model trained without one group of FAQs' not_covered questions scores that group's
    held-out near misses: does the answerability check hold on FAQs whose near misses it never saw?"""
    ids = list(kb.faqs)
    per_group = []
    for g in range(groups):
        unseen = set(ids[g::groups])
        train = [e for e in examples if not (e.intent == intents.NOT_COVERED and e.faq in unseen)]
        test = [e for e in near_misses if e.faq in unseen]
        if not test:
            continue
        group_dir = workdir / f"faqs{g}"
        group_dir.mkdir()
        unseen_kb = replace(kb, faqs={fid: replace(f, questions={**f.questions, NOT_COVERED: ()}) if fid in unseen else f
                                      for fid, f in kb.faqs.items()})
        per_group.append(evaluate(["ours"], train, test, unseen_kb, group_dir, 0))
        print(f"FAQ group {g + 1}/{groups} done", file=sys.stderr)
    return merge(per_group)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--stock-epochs", type=int, default=20)
    parser.add_argument("--systems", default="ours,stock,fuzzy")
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--skip-dev", action="store_true", help="no held-out set, only the cross-validation")
    parser.add_argument("--sets", default=",".join(("dev", "holdout", "near_misses", "formal", *UNSEEN_SETS, "points16", "gate")),
                        help="held-out sets scored by the model trained on all data")
    parser.add_argument("--leave-faqs-out", type=int, default=0, metavar="K",
                        help="score each of K groups of FAQs' held-out near misses with our model trained without "
                             "those FAQs' not_covered questions")
    parser.add_argument("--cv-systems", help="systems for the cross-validation (default: --systems); "
                        "the stock pipeline takes ~25 min a fold on 2 cores")
    parser.add_argument("--dump", type=Path, help="write our rankings of every evaluated message here (JSON lines)")
    args = parser.parse_args()
    systems = args.systems.split(",")
    kb = load_knowledge_base()
    examples = training_examples(kb)
    print(f"training examples: {len(examples)} ({sum(1 for e in examples if faq_id_of(e.intent))} FAQ questions, "
          f"{len(kb.faqs)} FAQs); stock DIET epochs: {args.stock_epochs}")

    from bot.model import ensure_model

    with tempfile.TemporaryDirectory() as tmp:
        held_out = {"dev": (args.dev, dev_examples), "holdout": (HOLDOUT, yaml_examples),
                    "near_misses": (NEAR_MISSES, yaml_examples), "formal": (FORMAL, yaml_examples),
                    **{name: (ROOT / "data" / "eval" / f"{name}.yml", yaml_examples) for name in (*UNSEEN_SETS, "points16")},
                    "gate": (GATE, yaml_examples)}
        wanted = [] if args.skip_dev else [n for n in args.sets.split(",") if held_out[n][0].exists()]
        if wanted:
            started = time.perf_counter()
            ours_model = ensure_model() if "ours" in systems else None
            print(f"  ours: model ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        for name in wanted:
            path, load = held_out[name]
            set_dir = Path(tmp) / name
            set_dir.mkdir()
            columns = evaluate(systems, examples, load(path), kb, set_dir, args.stock_epochs, ours_model,
                               dump=args.dump)
            print_table(f"{path.name} (trained on all training data)", columns)
        if args.leave_faqs_out:
            print_table(f"data/eval/near_misses.yml, each FAQ's near misses unseen ({args.leave_faqs_out} groups of FAQs)",
                        leave_faqs_out(examples, yaml_examples(NEAR_MISSES), kb, Path(tmp), args.leave_faqs_out))
        if not args.skip_cv:
            folds = stratified_folds(examples, args.folds)
            per_fold = []
            for i, held_out in enumerate(folds):
                train = [e for j, fold in enumerate(folds) if j != i for e in fold]
                fold_dir = Path(tmp) / f"fold{i}"
                fold_dir.mkdir()
                fold_kb = kb_without(kb, {e.text for e in held_out})
                cv_systems = args.cv_systems.split(",") if args.cv_systems else systems
                per_fold.append(evaluate(cv_systems, train, held_out, fold_kb, fold_dir, args.stock_epochs,
                                         dump=args.dump))
                print(f"fold {i + 1}/{args.folds} done", file=sys.stderr)
            print_table(f"{args.folds}-fold cross-validation of the training questions", merge(per_fold))
    return 0


if __name__ == "__main__":
    sys.exit(main())
