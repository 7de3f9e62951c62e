"""The trained Rasa model: its fingerprint, the cache, and training when there is none."""
from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from bot import paths
from bot.nlu.code_version import code_files, digest_files

logger = logging.getLogger(__name__)

# Everything that changes what `rasa train` produces: the training inputs (under the checkout,
# or under a release's folder for a model published from the database) and the NLU code.
_TRAINING_INPUTS = ("config.yml", "domain.yml", "data/rules.yml")
_TRAINING_GLOBS = ("data/nlu/*.yml",)


class TrainingError(Exception):
    """`rasa train` failed; its output was logged."""


def fingerprint(root: Path = paths.ROOT) -> str:
    """A hash of the model's inputs: config, domain, training data (under `root`) and the NLU code."""
    digest = hashlib.sha256()
    digest.update(_rasa_version().encode())
    inputs = [root / name for name in _TRAINING_INPUTS]
    for pattern in _TRAINING_GLOBS:
        inputs.extend(sorted(root.glob(pattern)))
    digest_files(digest, inputs, root)
    digest_files(digest, code_files(), paths.ROOT)
    return digest.hexdigest()[:20]


def cache_dir() -> Path:
    """Trained models kept across clones of the repo on one machine (CI trains once)."""
    base = os.environ.get("BOT_MODEL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ubnd-zalo-faq", "models"
    )
    return Path(base)


def model_path(fp: str | None = None, models: Path = paths.MODELS) -> Path:
    return models / f"{fp or fingerprint()}.tar.gz"


def ensure_model(models: Path = paths.MODELS, root: Path = paths.ROOT,
                 progress: Callable[[str], None] | None = None, stop: threading.Event | None = None) -> Path:
    """The model for the data under `root`: from models/, else from the cache, else trained now.

    A model file is never seen half-written, whoever reads it (the model server, another
    publisher, a process started after this one was killed): each is written under a temporary
    name in its folder and renamed into place."""
    fp = fingerprint(root)
    target = model_path(fp, models)
    if target.exists():
        return target
    cached = cache_dir() / target.name
    models.mkdir(parents=True, exist_ok=True)
    if cached.exists():
        _copy_into_place(cached, target)
        logger.info("model %s taken from the cache %s", target.name, cached.parent)
        return target
    train(fp, models, root, progress, stop)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        _copy_into_place(target, cached)
    except OSError as exc:  # a read-only cache only costs a retrain next time
        logger.warning("could not cache the model in %s: %s", cached.parent, exc)
    return target


# A training's output folder, in the models folder (so that the rename into place stays on one
# file system), hidden from the model server's listing; named by the training's process.
_TRAINING_DIR = ".training-{pid}-"


def train(fp: str, models: Path = paths.MODELS, root: Path = paths.ROOT,
          progress: Callable[[str], None] | None = None, stop: threading.Event | None = None) -> Path:
    """Run `rasa train` on the training inputs under `root`; returns the model file.

    `progress` receives Rasa's progress lines (e.g. "Epochs: 40%") as training goes; training
    runs at a lower CPU priority so the bot and the web pages keep answering beside it. Setting
    `stop` ends the training (TrainingError). The training process dies with the thread that
    started it, even by `kill -9`: an orphan would go on writing this model while the
    publisher that takes over trains it again.
    """
    models.mkdir(parents=True, exist_ok=True)
    _remove_orphaned_outputs(models)
    out = Path(tempfile.mkdtemp(prefix=_TRAINING_DIR.format(pid=os.getpid()), dir=models))
    logger.info("training the model %s (a few minutes)", fp)
    try:
        process = subprocess.Popen(_train_command(fp, root, out), cwd=paths.ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace",
                                   preexec_fn=training_child(os.getpid()))
        done = threading.Event()
        if stop is not None:
            threading.Thread(target=_kill_when_stopped, args=(process, stop, done), daemon=True,
                             name=f"stop-training-{fp}").start()
        tail: list[str] = []
        assert process.stdout is not None
        try:
            for line in _lines(process.stdout):
                tail = (tail + [line])[-60:]
                if progress is not None:
                    step = _progress_step(line)
                    if step:
                        progress(step)
            returncode = process.wait()
        finally:
            done.set()
        if stop is not None and stop.is_set():
            raise TrainingError("rasa train was stopped")
        trained = out / f"{fp}.tar.gz"
        if returncode != 0 or not trained.exists():
            logger.error("rasa train failed:\n%s", "\n".join(tail))
            raise TrainingError(f"rasa train exited with {returncode}; see the log above")
        target = models / f"{fp}.tar.gz"
        os.replace(trained, target)
        return target
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _train_command(fp: str, root: Path, out: Path) -> list[str]:
    """`rasa train` writing `<out>/<fp>.tar.gz` (tests put a stand-in here)."""
    return [
        sys.executable, "-m", "rasa", "train",
        "--config", str(root / "config.yml"),
        "--domain", str(root / "domain.yml"),
        "--data", str(root / "data" / "nlu"), str(root / "data" / "rules.yml"),
        "--out", str(out),
        "--fixed-model-name", fp,
    ]


def _kill_when_stopped(process: subprocess.Popen, stop: threading.Event, done: threading.Event) -> None:
    while not done.is_set():
        if stop.wait(0.5):
            if not done.is_set():
                process.kill()
            return


def _remove_orphaned_outputs(models: Path) -> None:
    """Output folders of trainings whose process is gone (killed before it could clean up)."""
    for folder in models.glob(".training-*-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _copy_into_place(source: Path, target: Path) -> None:
    """Copy under a temporary name in the target's folder, then rename: all or nothing."""
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        shutil.copy2(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _lines(stream) -> Iterator[str]:
    """Lines of Rasa's output; its progress bars end in carriage returns, not newlines."""
    buffer = ""
    while chunk := stream.read(256):
        buffer += chunk
        *done, buffer = re.split(r"[\r\n]", buffer)
        yield from (line for line in done if line.strip())
    if buffer.strip():
        yield buffer


_EPOCHS = re.compile(r"Epochs:\s+(\d+)%")


def _progress_step(line: str) -> str | None:
    epochs = _EPOCHS.search(line)
    if epochs:
        return f"Huấn luyện: {epochs.group(1)}%"
    if "Starting to train component" in line or "Restored component" in line:
        component = line.rsplit("'", 2)[-2] if "'" in line else ""
        return f"Chuẩn bị: {component}" if component else None
    if "Your Rasa model is trained" in line:
        return "Huấn luyện xong"
    return None


# Linux's prctl(2): the signal a process gets when the thread that started it ends.
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if sys.platform == "linux" else None


def training_child(parent: int) -> Callable[[], None]:
    """A child's set-up (preexec_fn) for a training or the gate's scoring: lower priority, and killed when its parent
    (the thread that started it, in process `parent`) ends, whatever ended it. The library is
    loaded here, in the parent: loading it between fork and exec could deadlock."""
    def set_up() -> None:
        if _libc is not None:
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:  # the parent died before the line above
                os._exit(1)
        lower_priority()

    return set_up


def lower_priority() -> None:
    """For a child process (training, the gate): runs only when nothing else wants the CPU.

    SCHED_IDLE rather than a nice value alone: with nice 10 the bot's reply p50 still doubled
    while a model trained beside it (bench/publish.py); an idle-class task gets a CPU only when
    no other task wants it. On these virtual machines that did not close the gap: a busy guest
    also loses time to its host."""
    os.nice(10)
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux, or not allowed: the nice value stays
        pass


def _rasa_version() -> str:
    try:
        from importlib.metadata import version

        return version("rasa")
    except Exception:  # noqa: BLE001 - no Rasa installed still gives a stable fingerprint
        return "none"
