"""bot.model.train with a stand-in for `rasa train`: the model file appears whole or not at all,
the training process dies with the process that started it (even by kill -9), a stop ends it,
and the output of a training whose process was killed is cleaned up by the next one."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from bot import model

# The stand-in: writes the model in pieces into its --out folder, with pauses; its pid first.
FAKE_RASA = textwrap.dedent("""
    import os, sys, time
    out, fp, pid_file, pieces, pause, code = sys.argv[1:7]
    if pid_file != "-":
        open(pid_file + ".tmp", "w").write(str(os.getpid()))
        os.replace(pid_file + ".tmp", pid_file)
    print("Starting to train component 'LinearIntentClassifier'", flush=True)
    with open(os.path.join(out, fp + ".tar.gz"), "wb") as f:
        for _ in range(int(pieces)):
            f.write(b"x" * 1000)
            f.flush()
            time.sleep(float(pause))
    print("Your Rasa model is trained", flush=True)
    sys.exit(int(code))
""")


@pytest.fixture
def fake_rasa(tmp_path, monkeypatch):
    """Set how the stand-in behaves: {"pieces", "pause", "code", "pid_file"}."""
    script = tmp_path / "fake_rasa.py"
    script.write_text(FAKE_RASA, encoding="utf-8")
    behaviour = {"pieces": 3, "pause": 0.0, "code": 0, "pid_file": "-"}

    def command(fp: str, root: Path, out: Path) -> list[str]:
        return [sys.executable, str(script), str(out), fp, str(behaviour["pid_file"]), str(behaviour["pieces"]),
                str(behaviour["pause"]), str(behaviour["code"])]

    monkeypatch.setattr(model, "_train_command", command)
    return behaviour


def _gone(pid: int) -> bool:
    """No such process, or a zombie nobody reaped yet (it runs nothing any more)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_the_model_file_appears_whole_and_only_once_training_succeeded(fake_rasa, tmp_path):
    models = tmp_path / "models"
    fake_rasa.update(pieces=20, pause=0.02)
    target = models / "abc123.tar.gz"
    seen: list[int] = []
    watching = threading.Event()

    def watch() -> None:  # what a reader of models/ (the model server) sees meanwhile
        while not watching.is_set():
            if target.exists():
                seen.append(target.stat().st_size)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    steps: list[str] = []
    try:
        assert model.train("abc123", models, tmp_path, steps.append) == target
    finally:
        watching.set()
        watcher.join()
    assert target.read_bytes() == b"x" * 20_000
    assert set(seen) <= {20_000}  # never a part of it
    assert steps == ["Chuẩn bị: LinearIntentClassifier", "Huấn luyện xong"]
    assert [p.name for p in models.iterdir()] == ["abc123.tar.gz"]  # its output folder is gone


def test_a_failed_training_leaves_no_model_file(fake_rasa, tmp_path):
    models = tmp_path / "models"
    fake_rasa.update(code=1)
    with pytest.raises(model.TrainingError, match="exited with 1"):
        model.train("abc123", models, tmp_path)
    assert list(models.iterdir()) == []


def test_a_stop_ends_the_training(fake_rasa, tmp_path):
    fake_rasa.update(pieces=1, pause=60, pid_file=str(tmp_path / "child.pid"))
    stop = threading.Event()
    errors: list[Exception] = []

    def training() -> None:
        try:
            model.train("abc123", tmp_path / "models", tmp_path, stop=stop)
        except model.TrainingError as exc:
            errors.append(exc)

    thread = threading.Thread(target=training)
    thread.start()
    assert _wait_for(lambda: (tmp_path / "child.pid").exists())
    child = int((tmp_path / "child.pid").read_text())
    started = time.monotonic()
    stop.set()
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - started < 5
    assert [str(e) for e in errors] == ["rasa train was stopped"]
    assert _gone(child)
    assert list((tmp_path / "models").iterdir()) == []


# A publisher stand-in: trains with the stand-in `rasa train` from a worker thread, as the
# publisher does (asyncio.to_thread), until it is killed.
PARENT = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from bot import model
    script, models, pid_file = sys.argv[1:4]
    model._train_command = lambda fp, root, out: [sys.executable, script, str(out), fp, pid_file, "1", "120", "0"]
    worker = threading.Thread(target=model.train, args=("abc123", Path(models), Path(models)))
    worker.start()
    worker.join()
""")


def test_a_training_dies_with_its_publisher_killed_by_sigkill_and_the_next_cleans_its_output(fake_rasa, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    script = tmp_path / "fake_rasa.py"
    pid_file = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(script), str(models), str(pid_file)],
                              cwd=model.paths.ROOT)
    try:
        assert _wait_for(pid_file.exists, 30), "the stand-in training never started"
        child = int(pid_file.read_text())
        assert not _gone(child)
        left = list(models.glob(".training-*"))
        assert [p.name.split("-")[1] for p in left] == [str(parent.pid)]

        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)

        assert _wait_for(lambda: _gone(child), 10), "the training outlived its publisher"
        assert not (models / "abc123.tar.gz").exists()
        assert left[0].exists()  # nobody cleaned up after the killed publisher...
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()

    fake_rasa.update(pieces=1)
    model.train("abc123", models, tmp_path)  # ...until the next training
    assert [p.name for p in models.iterdir()] == ["abc123.tar.gz"]


def test_a_model_taken_from_the_cache_is_copied_whole(fake_rasa, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("BOT_MODEL_CACHE", str(cache))
    monkeypatch.setattr(model, "fingerprint", lambda root=None: "abc123")
    models = tmp_path / "models"
    trained = model.ensure_model(models, tmp_path)
    assert (cache / "abc123.tar.gz").read_bytes() == trained.read_bytes() == b"x" * 3000
    trained.unlink()

    assert model.ensure_model(tmp_path / "other", tmp_path).read_bytes() == b"x" * 3000
    assert [p.name for p in (tmp_path / "other").iterdir()] == ["abc123.tar.gz"]
    assert [p.name for p in cache.iterdir()] == ["abc123.tar.gz"]
