"""Attacks split by example into shards, run in this process or as Ray tasks, kept on disk as they finish.

A shard is a fixed run of example positions (0-9, 10-19, ...): the same positions whatever the
number of examples, so raising `attack.examples` reuses every shard already attacked. Each finished
shard is written at once (atomically) to `<stage output>/shards/<fingerprint>-<first position>.json`;
a killed stage, run again with the same inputs, attacks only the shards that are missing. The
fingerprint covers everything a result depends on (see `fingerprint`): a shard of another
configuration is never reused, and is deleted by `ShardStore.prune`. A kept file that cannot be
used (damaged, not JSON, or JSON of another shape) counts as missing: it is attacked again, and a
line on stderr says so.

Backends: `local` runs the shards one after another in this process; `ray` runs them as Ray tasks
(one CPU each, `workers` at a time) on the cluster at RAY_ADDRESS, or else on a private local
runtime that this process starts (never a cluster someone else started on the machine). A shard
that raises (or whose worker dies) is run again up to `retries` times, each retry logged and
counted; one that still fails stops the stage with its error, after every other shard has finished
and been kept. On Ctrl-C the Ray tasks under way are cancelled and the runtime shut down (the
shards finished so far are kept).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snntext.core.atomic import write_text_atomic
from snntext.core.errors import SnntextError

BACKENDS = ("local", "ray")


def plan_shards(n_examples: int, shard_size: int) -> list[list[int]]:
    """Positions 0..n-1 cut into consecutive shards of `shard_size` (the last one may be shorter)."""
    if shard_size < 1:
        raise ValueError(f"shard_size must be >= 1, got {shard_size}")
    return [list(range(start, min(start + shard_size, n_examples))) for start in range(0, n_examples, shard_size)]


def fingerprint(parts: dict) -> str:
    """sha256 of the JSON of `parts` (sorted keys): what a shard's result depends on."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def file_digest(paths: Sequence[Path]) -> str:
    """One sha256 over the given files' names and bytes (checkpoints, embedded data, source code)."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(str(path.name).encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class ShardStore:
    """The shard files of one configuration (`key`) in `folder`."""

    folder: Path
    key: str

    def path(self, shard: list[int]) -> Path:
        return Path(self.folder) / f"{self.key[:16]}-{shard[0]:06d}.json"

    def load(self, shard: list[int]) -> list[dict] | None:
        """The records of a finished shard, or None when it must (still) be attacked."""
        return self.read(shard)[0]

    def read(self, shard: list[int]) -> tuple[list[dict] | None, str | None]:
        """(records, None) for a finished shard; (None, None) when there is none, or the file is one
        of another shard size or configuration; (None, why) when the file is there but unusable:
        damaged, not JSON, or JSON of another shape (half-written files cannot exist: atomic)."""
        path = self.path(shard)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, None
        except (OSError, UnicodeDecodeError, ValueError) as err:  # JSONDecodeError is a ValueError
            return None, f"unreadable ({type(err).__name__}: {err})"
        if not isinstance(data, dict):
            return None, f"holds a JSON {_json_kind(data)}, not a shard object"
        key, positions, records = data.get("key"), data.get("positions"), data.get("records")
        if not isinstance(key, str) or not _is_positions(positions):
            return None, "has no valid `key` (text) and `positions` (list of integers)"
        if key != self.key or positions != shard:
            return None, None  # another configuration, or another shard size: not this shard
        if not isinstance(records, list) or not all(isinstance(record, dict) for record in records):
            return None, "`records` is not a list of objects"
        if len(records) != len(shard):
            return None, f"holds {len(records)} records for {len(shard)} positions"
        if any("position" in r and r["position"] != p for r, p in zip(records, shard)):
            return None, f"its records' positions are not {shard[0]}-{shard[-1]}"
        return records, None

    def save(self, shard: list[int], records: list[dict]) -> None:
        write_text_atomic(self.path(shard), json.dumps({"key": self.key, "positions": shard, "records": records}))

    def prune(self) -> int:
        """Delete shard files of any other configuration; returns how many."""
        folder = Path(self.folder)
        if not folder.is_dir():
            return 0
        stale = [p for p in folder.glob("*.json") if not p.name.startswith(self.key[:16] + "-")]
        for path in stale:
            path.unlink()
        return len(stale)


def _json_kind(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return {list: "array", str: "string", int: "number", float: "number"}.get(type(value), type(value).__name__)


def _is_positions(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(p, int) and not isinstance(p, bool) for p in value)


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class ShardRun:
    """What happened: records in position order, and how many shards were reused, attacked, retried."""

    records: list[dict]
    reused: int = 0
    attacked: int = 0
    retries: list[str] = field(default_factory=list)
    wall_s: float = 0.0


def default_workers() -> int:
    """The CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_shards(
    job,
    shards: list[list[int]],
    store: ShardStore,
    *,
    backend: str = "local",
    workers: int = 0,
    retries: int = 2,
    log: Callable[[str], None] = print,
    warn: Callable[[str], None] = _to_stderr,
) -> ShardRun:
    """Attack every shard not already in `store` with `job.run(positions) -> records`, saving each.
    A kept file that cannot be used is attacked again, with a line to `warn` (stderr)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    start = time.perf_counter()
    done: dict[int, list[dict]] = {}
    for number, shard in enumerate(shards):
        records, problem = store.read(shard)
        if records is not None:
            done[number] = records
        elif problem is not None:
            warn(f"warning: {store.path(shard)}: {problem}; attacking {_describe(shard)} again")
    todo = [number for number in range(len(shards)) if number not in done]
    run = ShardRun(records=[], reused=len(done))
    if done:
        log(f"  resuming: {len(done)} of {len(shards)} shards already attacked ({store.folder})")
    if todo:
        runner = _run_ray if backend == "ray" else _run_local
        failures = runner(
            job, shards, todo, store, done, run, workers=workers or default_workers(), retries=retries, log=log
        )
        if failures:
            first = failures[0]
            raise SnntextError(
                f"attack: {len(failures)} shard(s) failed after {retries} retries "
                f"({len(done)} of {len(shards)} kept in {store.folder}; run again to resume): "
                f"{first}"
            )
    run.records = [record for number in range(len(shards)) for record in done[number]]
    run.wall_s = round(time.perf_counter() - start, 1)
    return run


def _describe(shard: list[int]) -> str:
    return f"shard {shard[0]}-{shard[-1]}"


def _progress(total: int):
    from tqdm import tqdm

    return tqdm(total=total, desc="  shards", unit="shard", mininterval=5, disable=None)


def _run_local(job, shards, todo, store, done, run, *, workers, retries, log) -> list[str]:
    failures = []
    with _progress(len(todo)) as bar:
        for number in todo:
            for attempt in range(retries + 1):
                try:
                    records = job.run(shards[number])
                except Exception as err:  # retried, reported, never dropped
                    message = f"{_describe(shards[number])}: {type(err).__name__}: {err}"
                    if attempt == retries:
                        failures.append(message)
                        log(f"  {message} (giving up)")
                    else:
                        run.retries.append(message)
                        log(f"  {message} (retry {attempt + 1} of {retries})")
                    continue
                store.save(shards[number], records)
                done[number] = records
                run.attacked += 1
                break
            bar.update(1)
    return failures


def ray_runtime(workers: int):
    """Connect to RAY_ADDRESS's cluster, or start a private local runtime with `workers` CPUs (once
    per process). address="local": without it, ray.init() joins the latest `ray start` cluster
    recorded in the machine-wide Ray temp folder, which may be another user's (Ray 2.60's ray.init
    docstring); the local runtime is shut down with this process (or by ray.shutdown())."""
    import ray

    if not ray.is_initialized():
        src = str(Path(__file__).resolve().parents[2])
        env = {"PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)}
        for name in (
            "SNNTEXT_ROOT",
            "NLTK_DATA",
            "TA_CACHE_DIR",
            "HF_HUB_OFFLINE",
            "TRANSFORMERS_OFFLINE",
            "HF_DATASETS_OFFLINE",
            "TOKENIZERS_PARALLELISM",
            "SNNTEXT_BERT_ATTACK_MODEL",
            "SNNTEXT_PORTABLE_CPU",
        ):
            if name in os.environ:
                env[name] = os.environ[name]
        options: dict[str, Any] = dict(runtime_env={"env_vars": env}, log_to_driver=False, logging_level="ERROR")
        if os.environ.get("RAY_ADDRESS"):
            ray.init(address=os.environ["RAY_ADDRESS"], **options)
        else:
            ray.init(address="local", num_cpus=workers, include_dashboard=False, **options)
    return ray


def _run_shard_task(job, positions):
    return job.run(positions)


def _run_ray(job, shards, todo, store, done, run, *, workers, retries, log) -> list[str]:
    ray = ray_runtime(workers)
    gpus = 1.0 / workers if getattr(job, "uses_cuda", False) else 0
    task = ray.remote(num_cpus=1, num_gpus=gpus, max_retries=0)(_run_shard_task)
    job_ref = ray.put(job)
    attempts = {number: 0 for number in todo}
    pending = {task.remote(job_ref, shards[number]): number for number in todo}
    failures = []
    try:
        with _progress(len(todo)) as bar:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                number = pending.pop(ready[0])
                try:
                    records = ray.get(ready[0])
                except Exception as err:  # a task error or a dead worker: retried, reported, never dropped
                    cause = getattr(err, "cause", None) or err
                    message = f"{_describe(shards[number])}: {type(cause).__name__}: {str(cause).strip().splitlines()[-1] if str(cause).strip() else ''}"
                    if attempts[number] < retries:
                        attempts[number] += 1
                        run.retries.append(message)
                        log(f"  {message} (retry {attempts[number]} of {retries})")
                        pending[task.remote(job_ref, shards[number])] = number
                    else:
                        failures.append(message)
                        log(f"  {message} (giving up)")
                        bar.update(1)
                    continue
                store.save(shards[number], records)
                done[number] = records
                run.attacked += 1
                bar.update(1)
    except KeyboardInterrupt:  # Ctrl-C: no task left running, no worker left behind; finished shards are kept
        for ref in pending:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # finished meanwhile, or its worker already gone: nothing to stop
                pass
        ray.shutdown()  # a runtime started here: its processes end; RAY_ADDRESS's cluster: disconnect only
        raise
    return failures
