"""Shards: planned by position, kept on disk, resumed, retried; Ray gives the serial run's results."""

from __future__ import annotations

import json
import sys

import pytest

from snntext.attack.shards import ShardStore, plan_shards, run_shards
from snntext.core.errors import SnntextError

from .conftest import EXAMPLES, TinySpiking


class RecordingJob:
    """Records per position; fails on the positions in `fail` (forever, or once when `marker` is set)."""

    def __init__(self, fail=(), marker=None):
        self.fail, self.marker, self.calls = set(fail), marker, []

    def run(self, positions):
        self.calls.append(list(positions))
        if self.fail & set(positions):
            if self.marker is None or not self.marker.exists():
                if self.marker is not None:
                    self.marker.write_text("failed once")
                raise RuntimeError(f"boom at {sorted(self.fail & set(positions))}")
        return [{"position": p, "value": p * p} for p in positions]


def test_shards_are_fixed_runs_of_positions():
    assert plan_shards(7, 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert plan_shards(7, 3)[:2] == plan_shards(12, 3)[:2]  # more examples keep the shards already made
    with pytest.raises(ValueError, match="shard_size"):
        plan_shards(3, 0)


def test_store_keeps_a_shard_only_for_its_configuration(tmp_path):
    store = ShardStore(tmp_path, "a" * 64)
    store.save([0, 1], [{"x": 1}])
    assert store.load([0, 1]) == [{"x": 1}]
    assert store.load([2, 3]) is None
    assert ShardStore(tmp_path, "b" * 64).load([0, 1]) is None
    other = ShardStore(tmp_path, "b" * 64)
    other.save([0, 1], [{"x": 2}])
    assert store.prune() == 1 and store.load([0, 1]) == [{"x": 1}] and other.load([0, 1]) is None


def test_store_redoes_a_damaged_or_mismatched_file(tmp_path):
    store = ShardStore(tmp_path, "c" * 64)
    store.path([0]).write_text("{not json")
    assert store.load([0]) is None
    store.path([0]).write_text(json.dumps({"key": "c" * 64, "positions": [0, 1], "records": []}))
    assert store.load([0]) is None  # the positions differ: another shard size


def test_local_run_resumes_from_the_shards_kept(tmp_path):
    store = ShardStore(tmp_path, "d" * 64)
    store.save([2, 3], [{"position": 2, "value": "kept"}, {"position": 3, "value": "kept"}])
    job = RecordingJob()
    run = run_shards(job, plan_shards(5, 2), store, log=lambda *_: None)
    assert job.calls == [[0, 1], [4]]
    assert [r["position"] for r in run.records] == [0, 1, 2, 3, 4] and run.records[2]["value"] == "kept"
    assert (run.reused, run.attacked) == (1, 2)
    assert store.load([4]) == [{"position": 4, "value": 16}]


def test_a_failing_shard_is_retried_and_reported(tmp_path):
    job = RecordingJob(fail={3}, marker=tmp_path / "marker")
    run = run_shards(job, plan_shards(6, 2), ShardStore(tmp_path / "s", "e" * 64), retries=2, log=lambda *_: None)
    assert len(run.records) == 6 and len(run.retries) == 1 and "shard 2-3" in run.retries[0]
    assert job.calls.count([2, 3]) == 2


def test_a_shard_failing_every_retry_stops_the_run_and_keeps_the_others(tmp_path):
    store = ShardStore(tmp_path, "f" * 64)
    job = RecordingJob(fail={3})
    with pytest.raises(SnntextError, match=r"1 shard\(s\) failed after 1 retries .*shard 2-3: RuntimeError: boom"):
        run_shards(job, plan_shards(6, 2), store, retries=1, log=lambda *_: None)
    assert job.calls.count([2, 3]) == 2
    assert store.load([0, 1]) is not None and store.load([4, 5]) is not None and store.load([2, 3]) is None
    # run again once the cause is gone: only the missing shard is attacked
    fixed = RecordingJob()
    run = run_shards(fixed, plan_shards(6, 2), store, log=lambda *_: None)
    assert fixed.calls == [[2, 3]] and len(run.records) == 6


# --- a real attack job, serial and on a local Ray runtime ---


@pytest.fixture(scope="module")
def tiny_job_parts(offline_resources, tiny_pipeline):
    from snntext.attack.recipes import build_word_embedding, minilm_path
    from snntext.core.config import AttackConfig

    table = build_word_embedding(tiny_pipeline["vectors"], pool=100)
    words = [table._index2word[i] for i in range(len(table._index2word))]
    snn = TinySpiking(tiny_pipeline["dnn"]).eval()
    settings = AttackConfig(
        examples=len(EXAMPLES),
        recipes=("deepwordbug", "textfooler"),
        models=("dnn", "snn", "snn_stochastic"),
        similarity=0.5,
        batch_size=16,
        timesteps=8,
        seed=3,
    )
    embedded = tiny_pipeline["embedded"]
    return dict(
        language="en",
        models={"dnn": tiny_pipeline["dnn"], "snn": snn, "snn_stochastic": snn},
        embedded={k: embedded[k] for k in ("vocab", "table", "meta")},
        examples=list(EXAMPLES) * 2,
        indices=list(range(2 * len(EXAMPLES))),
        settings=settings,
        cache_dir=str(offline_resources.nltk_data.parent),
        vectors=tiny_pipeline["vectors"],
        embedding=(table.embedding_matrix, words, table.nn_matrix),
        sentence_model=minilm_path(),
        wordnet_problem=offline_resources.wordnet_problem,
    )


def _without_times(records):
    out = json.loads(json.dumps(records))
    for record in out:
        for per_recipe in record["cells"].values():
            for cell in per_recipe.values():
                cell.pop("wall_s")
    return out


@pytest.fixture(scope="module")
def ray_runtime():
    ray = pytest.importorskip("ray")
    from snntext.attack.shards import ray_runtime as start

    # The tiny stand-in models live in the tests' conftest, which Ray workers cannot import: ship by value.
    ray.cloudpickle.register_pickle_by_value(sys.modules[TinySpiking.__module__])
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield start(2)
    ray.shutdown()


def test_ray_run_equals_the_serial_run(tiny_job_parts, ray_runtime, tmp_path):
    from snntext.attack.job import AttackJob
    from snntext.attack.run import summarise

    serial = run_shards(
        AttackJob(key="tiny-serial", **tiny_job_parts),
        plan_shards(6, 6),
        ShardStore(tmp_path / "serial", "1" * 64),
        backend="local",
        log=lambda *_: None,
    )
    sharded = run_shards(
        AttackJob(key="tiny-sharded", **tiny_job_parts),
        plan_shards(6, 2),
        ShardStore(tmp_path / "ray", "2" * 64),
        backend="ray",
        workers=2,
        log=lambda *_: None,
    )
    assert _without_times(sharded.records) == _without_times(serial.records)
    _, outcomes, _ = summarise(serial.records)
    assert set(outcomes) == {"dnn", "snn", "snn_stochastic"} and len(outcomes["dnn"]["textfooler"]) == 6
    # the same example twice (positions 0 and 3 hold EXAMPLES[0], at other test rows) is attacked alike
    # by the deterministic models, whatever shard and worker it lands on
    assert outcomes["dnn"]["textfooler"][:3] == outcomes["dnn"]["textfooler"][3:]


def test_sharing_work_between_attacks_keeps_every_outcome(tiny_job_parts, tmp_path):
    from snntext.attack.job import AttackJob
    from snntext.attack.run import summarise

    runs = {}
    for share in (True, False):
        job = AttackJob(key=f"tiny-share-{share}", share_caches=share, **tiny_job_parts)
        run = run_shards(job, plan_shards(6, 3), ShardStore(tmp_path / str(share), "3" * 64), log=lambda *_: None)
        runs[share] = summarise(run.records)
    (shared_metrics, shared_codes, _), (plain_metrics, plain_codes, _) = runs[True], runs[False]
    assert shared_codes == plain_codes
    assert (
        shared_metrics["dnn"]["textfooler"]["queries"] < plain_metrics["dnn"]["textfooler"]["queries"]
        or shared_metrics["dnn"]["deepwordbug"]["queries"] < plain_metrics["dnn"]["deepwordbug"]["queries"]
    )


def test_a_ray_shard_that_fails_once_is_retried(ray_runtime, tmp_path):
    job = RecordingJob(fail={1}, marker=tmp_path / "marker")
    run = run_shards(
        job,
        plan_shards(4, 2),
        ShardStore(tmp_path / "s", "4" * 64),
        backend="ray",
        workers=2,
        retries=1,
        log=lambda *_: None,
    )
    assert [r["value"] for r in run.records] == [0, 1, 4, 9] and len(run.retries) == 1
    assert "RuntimeError" in run.retries[0] and "boom" in run.retries[0]
