"""The trained Rasa model: its fingerprint, the cache, and training when there is none."""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot import paths

logger = logging.getLogger(__name__)

# Everything that changes what `rasa train` produces.
_FINGERPRINTED = ("config.yml", "domain.yml", "data/rules.yml", "data/slang.yml")
_FINGERPRINTED_GLOBS = ("data/nlu/*.yml", "bot/nlu/*.py", "bot/text/*.py")


class TrainingError(Exception):
    """`rasa train` failed; its output was logged."""


def fingerprint(root: Path = paths.ROOT) -> str:
    """A hash of the model's inputs: config, domain, training data and the NLU code."""
    files = [root / name for name in _FINGERPRINTED]
    for pattern in _FINGERPRINTED_GLOBS:
        files.extend(sorted(root.glob(pattern)))
    digest = hashlib.sha256()
    digest.update(_rasa_version().encode())
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:20]


def cache_dir() -> Path:
    """Trained models kept across clones of the repo on one machine (CI trains once)."""
    base = os.environ.get("BOT_MODEL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ubnd-zalo-faq", "models"
    )
    return Path(base)


def model_path(fp: str | None = None, models: Path = paths.MODELS) -> Path:
    return models / f"{fp or fingerprint()}.tar.gz"


def ensure_model(models: Path = paths.MODELS) -> Path:
    """The model for the current data: from models/, else from the cache, else trained now."""
    fp = fingerprint()
    target = model_path(fp, models)
    if target.exists():
        return target
    cached = cache_dir() / target.name
    models.mkdir(parents=True, exist_ok=True)
    if cached.exists():
        shutil.copy2(cached, target)
        logger.info("model %s taken from the cache %s", target.name, cached.parent)
        return target
    train(fp, models)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, cached)
    except OSError as exc:  # a read-only cache only costs a retrain next time
        logger.warning("could not cache the model in %s: %s", cached.parent, exc)
    return target


def train(fp: str, models: Path = paths.MODELS, config: Path = paths.CONFIG_FILE) -> Path:
    """Run `rasa train` for the current data; returns the model file."""
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(config),
        "--domain", str(paths.DOMAIN_FILE),
        "--data", str(paths.NLU_DIR), str(paths.RULES_FILE),
        "--out", str(models),
        "--fixed-model-name", fp,
    ]
    logger.info("training the model %s (a few minutes)", fp)
    result = subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True)
    target = models / f"{fp}.tar.gz"
    if result.returncode != 0 or not target.exists():
        logger.error("rasa train failed:\n%s\n%s", result.stdout[-4000:], result.stderr[-4000:])
        raise TrainingError(f"rasa train exited with {result.returncode}; see the log above")
    return target


def _rasa_version() -> str:
    try:
        from importlib.metadata import version

        return version("rasa")
    except Exception:  # noqa: BLE001 - no Rasa installed still gives a stable fingerprint
        return "none"
