"""`dvc repro` with independent stages at the same time, recorded as `dvc repro` records them.

Built on DVC's own pieces, not a second pipeline definition: DVC's stage graph and its plan
(`plan_repro`, the order `dvc repro` runs in), its test of whether a stage changed, its
run-cache, the command line and environment it gives a stage (`dvc.stage.run`), and its
save, commit and lock-file dump. Only the waiting differs: a stage starts as soon as every
stage it depends on is done, up to `jobs` at a time. The repository's lock is held for the
whole run (DVC itself lets go of it while a command runs), so a second `pipeline repro` or
`dvc repro` stops on it instead of racing this one.

A stage is recorded (saved, committed, its run cached) the moment its command succeeds; its
dvc.lock entry is written in plan order, so a new dvc.lock lists its stages as `dvc repro`
would. A failed stage stops the stages that depend on it; the others go on and are recorded,
and the failed stage's last recorded outputs stay in the cache (`dvc checkout` restores them).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import PipelineError

if TYPE_CHECKING:
    from dvc.stage import Stage

# What a run reports, stage by stage (Event.kind); the command decides how each reads.
RUNNING, UNCHANGED, CACHED = "running", "unchanged", "cached"
COMMAND, OUTPUT, DONE = "command", "output", "done"  # a command line, a line it printed, success
FAILED, NOT_RUN, INTERRUPTED = "failed", "not_run", "interrupted"
LOCK_HELD = (
    "another dvc or pipeline command holds this repository's lock (.dvc/tmp/lock): wait for it "
    "to finish (if none runs, a killed one left the lock: remove .dvc/tmp/lock)"
)
STOP_GRACE_SECONDS = 10  # after Ctrl-C, how long a stage may take to stop before it is killed


@dataclass(frozen=True)
class Event:
    """Something the run did. `text` is the command line, the line of output, why a stage
    failed (`code` its exit code; None when DVC refused it), the failed stage upstream, or
    the stages stopped. `alone`: no other stage may run beside this one (one job)."""

    kind: str
    stage: str = ""
    text: str = ""
    code: int | None = None
    seconds: float = 0.0
    alone: bool = True


@dataclass
class Outcome:
    """What a run did, stage by stage, by name."""

    ran: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)  # restored from DVC's run-cache
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # stage: why
    not_run: dict[str, str] = field(default_factory=dict)  # stage: the failed stage upstream

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass
class _Running:
    stage: Stage
    commands: list[str]
    kwargs: dict  # how DVC starts a stage's command: its cwd and environment
    started: float
    process: subprocess.Popen | None = None  # the command running now
    code: int | None = None
    stopping: bool = False
    tail: list[str] = field(default_factory=list)  # its last output lines, for the error


def reproduce(
    root: Path | None = None,
    targets: list[str] | None = None,
    *,
    jobs: int | None = None,
    force: bool = False,
    report: Callable[[Event], None],
) -> Outcome:
    """Reproduce `targets` (default: every stage of dvc.yaml) up to `jobs` stages at a time
    (default: the machine's cores, at most the graph's width), in the repository at `root`
    (default: the one around the working directory). Each thing it does goes to `report`, one
    event at a time: the command decides what a person sees."""
    from dvc.exceptions import DvcException
    from dvc.lock import LockError
    from dvc.repo import Repo, lock_repo
    from dvc.repo.reproduce import collect_stages, get_active_graph, plan_repro

    try:
        # scm_context stages dvc.lock for git afterwards, as dvc repro does (core.autostage)
        with (
            Repo(os.fspath(root) if root else None) as repo,
            lock_repo(repo),
            repo.scm_context(),
        ):
            graph = get_active_graph(repo.index.graph)
            plan = plan_repro(graph, collect_stages(repo, targets or ["dvc.yaml"]))
            jobs = jobs or min(len(os.sched_getaffinity(0)), width(graph))
            return _Scheduler(graph, plan, jobs=max(1, jobs), force=force, report=report).run()
    except LockError:
        raise PipelineError(LOCK_HELD) from None
    except DvcException as error:  # a dvc.yaml DVC cannot read, a missing dependency, ...
        raise PipelineError(f"dvc: {error}") from None


def width(graph) -> int:
    """How many stages with a command could run at once: the most at one depth, a stage's
    depth being the longest chain of stages it waits for."""
    depth: dict = {}

    def depth_of(stage) -> int:
        if stage not in depth:
            depth[stage] = 1 + max((depth_of(up) for up in graph.successors(stage)), default=-1)
        return depth[stage]

    per_depth = Counter(depth_of(stage) for stage in graph if stage.cmd)
    return max(per_depth.values(), default=1)


class _Scheduler:
    def __init__(self, graph, plan: list[Stage], *, jobs: int, force: bool, report) -> None:
        self.graph, self.plan, self.jobs, self.force = graph, plan, jobs, force
        self.report_lock = threading.Lock()
        self.report = report
        self.planned = set(plan)
        self.pending = list(plan)
        self.running: dict[Stage, _Running] = {}
        self.finished: queue.Queue[Stage] = queue.Queue()
        self.done: set[Stage] = set()  # ran, restored or unchanged: what depends on it may go
        self.to_dump: list[Stage] = []  # recorded, waiting for their turn in dvc.lock
        self.outcome = Outcome()

    def _tell(self, kind: str, stage: Stage | None = None, **details) -> None:
        event = Event(kind, _name(stage) if stage else "", alone=self.jobs == 1, **details)
        with self.report_lock:  # one event at a time: the stages' threads report too
            self.report(event)

    def upstream(self, stage: Stage) -> list[Stage]:
        return [up for up in self.graph.successors(stage) if up in self.planned]

    def run(self) -> Outcome:
        try:
            while self.pending or self.running:
                while self._start_next():
                    pass
                if self.running:
                    self._finish(self._next_finished())
        except KeyboardInterrupt:
            self._stop_all()
            raise
        finally:
            self._dump_ready(final=True)
        return self.outcome

    def _start_next(self) -> bool:
        """Start (or settle) the first pending stage, in plan order, that may go now."""
        for stage in self.pending:
            upstream = self.upstream(stage)
            failed = next((up for up in upstream if _name(up) in self._stopped), None)
            if failed is not None:
                self.pending.remove(stage)
                self.outcome.not_run[_name(stage)] = _name(failed)
                self._tell(NOT_RUN, stage, text=_name(failed))
                return True
            if not all(up in self.done for up in upstream):
                continue
            if _has_a_cmd_to_run(stage) and len(self.running) >= self.jobs:
                continue  # no free slot: a stage without a command may still settle
            self.pending.remove(stage)
            self._start(stage, upstream)
            return True
        return False

    @property
    def _stopped(self) -> set[str]:
        return set(self.outcome.failed) | set(self.outcome.not_run)

    def _start(self, stage: Stage, upstream: list[Stage]) -> None:
        from dvc.repo.reproduce import _reproduce_stage
        from dvc.stage.cache import RunCacheNotFoundError

        if not _has_a_cmd_to_run(stage):  # a `dvc add`ed source or a frozen stage: DVC's own way
            try:
                _reproduce_stage(stage, upstream=upstream, force=self.force)
            except Exception as error:  # DVC's own error, reported as the stage's failure
                self.outcome.failed[_name(stage)] = str(error)
                self._tell(FAILED, stage, text=str(error))
                return
            self.done.add(stage)
            return
        if not self.force and not stage.changed(False, upstream):
            self._tell(UNCHANGED, stage)
            self.outcome.unchanged.append(_name(stage))
            self.done.add(stage)
            return
        stage.remove_outs(ignore_remove=False, force=False)
        if not self.force:
            try:
                stage.repo.stage_cache.restore(stage)
            except RunCacheNotFoundError:
                stage.save_deps()
            else:
                self._tell(CACHED, stage)
                self._record(stage)
                self.outcome.cached.append(_name(stage))
                return
        self._launch(stage)

    def _launch(self, stage: Stage) -> None:
        from dvc.stage.run import _enforce_cmd_list, prepare_kwargs

        kwargs = prepare_kwargs(stage)
        # Stages at once share the cores: one OpenMP thread each, unless this one runs alone
        # (nothing else running and nothing else ready to start). Alone at its start means
        # alone to its end: only a finished stage makes another ready. OpenMP threads spin
        # while they wait, so two stages of two threads on two cores slow each other badly.
        if "OMP_NUM_THREADS" not in os.environ and (self.running or self._another_ready(stage)):
            kwargs["env"]["OMP_NUM_THREADS"] = "1"
        self._tell(RUNNING, stage)
        running = _Running(stage, _enforce_cmd_list(stage.cmd), kwargs, time.monotonic())
        self.running[stage] = running
        threading.Thread(target=self._execute, args=(running,), daemon=True).start()

    def _another_ready(self, stage: Stage) -> bool:
        return any(
            other is not stage
            and _has_a_cmd_to_run(other)
            and all(up in self.done for up in self.upstream(other))
            for other in self.pending
        )

    def _execute(self, running: _Running) -> None:
        """Run a stage's commands one after another, as DVC does, in the shell DVC uses,
        reporting their output line by line."""
        from dvc.stage.run import _make_cmd, get_executable

        try:
            for command in running.commands:
                self._tell(COMMAND, running.stage, text=command)
                running.process = subprocess.Popen(
                    _make_cmd(get_executable(), command),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                    start_new_session=True,  # Ctrl-C reaches the stages through us, in turn
                    **running.kwargs,
                )
                assert running.process.stdout is not None
                for line in running.process.stdout:
                    line = line.rstrip("\n")
                    running.tail = [*running.tail[-19:], line]
                    self._tell(OUTPUT, running.stage, text=line)
                running.code = running.process.wait()
                if running.code != 0 or running.stopping:
                    break
        except OSError as error:  # the shell could not start
            running.code, running.tail = 127, [str(error)]
        finally:
            self.finished.put(running.stage)

    def _next_finished(self) -> Stage:
        while True:  # a timeout, so Ctrl-C is seen while waiting
            try:
                return self.finished.get(timeout=0.2)
            except queue.Empty:
                continue

    def _finish(self, stage: Stage) -> None:
        running = self.running.pop(stage)
        seconds = time.monotonic() - running.started
        code = running.code
        if code != 0:
            why = _last_words(running.tail) or f"exited with {code}"
            self.outcome.failed[_name(stage)] = why
            self._tell(FAILED, stage, text=why, code=code)
            return
        self._record(stage)
        self.outcome.ran.append(_name(stage))
        self._tell(DONE, stage, seconds=seconds)

    def _record(self, stage: Stage) -> None:
        """What `dvc repro` does after a command: save deps and outs (and the run-cache),
        commit the outs to the cache; the lock entry follows in plan order."""
        no_cache_outs = any(
            not out.use_cache for out in stage.outs if not (out.is_metric or out.is_plot)
        )
        stage.save(run_cache=not no_cache_outs)
        stage.commit()
        self.done.add(stage)
        self.to_dump.append(stage)
        self._dump_ready()

    def _dump_ready(self, final: bool = False) -> None:
        """Write the lock entries of recorded stages whose turn in the plan has come: every
        stage planned before them is settled (or, at the end, whatever was recorded)."""
        settled = self.done | {s for s in self.plan if _name(s) in self._stopped}
        for stage in self.plan:
            if stage in self.to_dump:
                stage.dump(update_pipeline=False)
                self.to_dump.remove(stage)
            elif stage not in settled and not final:
                return

    def _stop_all(self) -> None:
        """Ctrl-C: stop every running stage (SIGINT, then SIGKILL after a grace period)."""
        names = ", ".join(_name(stage) for stage in self.running) or "nothing"
        for running in self.running.values():
            running.stopping = True
            _signal(running.process, signal.SIGINT)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while self.running and time.monotonic() < deadline:
            try:
                self.running.pop(self.finished.get(timeout=0.2), None)
            except queue.Empty:
                continue
        for running in self.running.values():
            _signal(running.process, signal.SIGKILL)
        self._tell(INTERRUPTED, text=names)
        self.running.clear()


def _signal(process: subprocess.Popen | None, sig: int) -> None:
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.killpg(process.pid, sig)


def _has_a_cmd_to_run(stage: Stage) -> bool:
    return bool(stage.cmd) and not stage.frozen


def _name(stage: Stage) -> str:
    return stage.addressing


def _last_words(lines: list[str]) -> str:
    """The stage's own message: its last non-empty output line."""
    said = [line.strip() for line in lines if line.strip()]
    return said[-1] if said else ""
