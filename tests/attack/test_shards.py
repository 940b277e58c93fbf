"""Shards: planned by position, kept on disk, resumed, retried; Ray gives the serial run's results."""

from __future__ import annotations

import json
import sys
import types

import pytest

from snntext.attack import shards as shards_module
from snntext.attack.shards import ShardStore, plan_shards, run_shards
from snntext.core.errors import SnntextError

from .conftest import EXAMPLES, TinySpiking, job_parts


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
    store.save([0, 1], [{"x": 1}, {"x": 2}])
    assert store.load([0, 1]) == [{"x": 1}, {"x": 2}]
    assert store.load([2, 3]) is None
    assert ShardStore(tmp_path, "b" * 64).load([0, 1]) is None
    other = ShardStore(tmp_path, "b" * 64)
    other.save([0, 1], [{"x": 3}, {"x": 4}])
    assert store.prune() == 1 and store.load([0, 1]) == [{"x": 1}, {"x": 2}] and other.load([0, 1]) is None


def test_store_redoes_a_damaged_or_mismatched_file(tmp_path):
    store = ShardStore(tmp_path, "c" * 64)
    store.path([0]).write_text("{not json")
    assert store.load([0]) is None
    store.path([0]).write_text(json.dumps({"key": "c" * 64, "positions": [0, 1], "records": []}))
    assert store.load([0]) is None  # the positions differ: another shard size
    assert store.read([0]) == (None, None)  # ... which is no damage: redone without a warning


KEY = "c" * 64
BAD_SHARDS = {  # file text -> what read() says is wrong with it
    "{not json": "unreadable (JSONDecodeError",
    "[]": "holds a JSON array, not a shard object",
    "null": "holds a JSON null, not a shard object",
    json.dumps({"records": "garbage"}): "has no valid `key` (text) and `positions` (list of integers)",
    json.dumps({"key": KEY, "positions": "0-1", "records": []}): "has no valid `key`",
    json.dumps({"key": KEY, "positions": [0, 1], "records": "garbage"}): "`records` is not a list of objects",
    json.dumps({"key": KEY, "positions": [0, 1], "records": [1, 2]}): "`records` is not a list of objects",
    json.dumps({"key": KEY, "positions": [0, 1], "records": [{"position": 0}]}): "holds 1 records for 2 positions",
    json.dumps({"key": KEY, "positions": [0, 1], "records": [{}, {}, {}]}): "holds 3 records for 2 positions",
    json.dumps({"key": KEY, "positions": [0, 1], "records": [{"position": 1}, {"position": 0}]}): (
        "its records' positions are not 0-1"
    ),
}


@pytest.mark.parametrize("text", BAD_SHARDS)
def test_a_kept_shard_of_the_wrong_shape_is_redone_with_a_warning(tmp_path, text, capsys):
    store = ShardStore(tmp_path, KEY)
    store.save([2, 3], [{"position": 2, "value": "kept"}, {"position": 3, "value": "kept"}])
    kept = store.path([2, 3]).read_bytes()
    store.path([0, 1]).write_text(text)
    records, problem = store.read([0, 1])
    assert records is None and problem.startswith(BAD_SHARDS[text])
    job = RecordingJob()
    run = run_shards(job, plan_shards(4, 2), store, log=lambda *_: None)
    assert job.calls == [[0, 1]] and (run.reused, run.attacked) == (1, 1)
    assert [r["value"] for r in run.records] == [0, 1, "kept", "kept"]
    assert store.load([0, 1]) == [{"position": 0, "value": 0}, {"position": 1, "value": 1}]
    assert store.path([2, 3]).read_bytes() == kept
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err == f"warning: {store.path([0, 1])}: {problem}; attacking shard 0-1 again\n"


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


# --- Ray: a private runtime, and Ctrl-C leaves nothing running (a stand-in module: no runtime started) ---


class FakeRay(types.ModuleType):
    """What _run_ray and ray_runtime call; wait() raises KeyboardInterrupt as Ctrl-C in the driver does."""

    def __init__(self):
        super().__init__("ray")
        self.calls: list = []
        self.refs = 0

    def is_initialized(self):
        return False

    def init(self, **kwargs):
        self.calls.append(("init", kwargs))

    def remote(self, **_options):
        ray = self

        class Task:
            @staticmethod
            def remote(*_args):
                ray.refs += 1
                return f"ref{ray.refs}"

        return lambda function: Task

    def put(self, value):
        return "job"

    def wait(self, refs, num_returns):
        raise KeyboardInterrupt

    def cancel(self, ref, force):
        self.calls.append(("cancel", ref, force))

    def shutdown(self):
        self.calls.append(("shutdown",))


@pytest.fixture
def fake_ray(monkeypatch):
    ray = FakeRay()
    monkeypatch.setitem(sys.modules, "ray", ray)
    return ray


def test_ray_starts_a_private_local_runtime_unless_ray_address_is_set(fake_ray, monkeypatch):
    """Without address="local", ray.init() joins the latest `ray start` cluster recorded in the
    machine-wide Ray temp folder (Ray 2.60), which may be another user's."""
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    shards_module.ray_runtime(3)
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.7:6379")
    shards_module.ray_runtime(3)
    (_, local), (_, remote) = fake_ray.calls
    assert local["address"] == "local" and local["num_cpus"] == 3 and local["include_dashboard"] is False
    assert remote["address"] == "10.0.0.7:6379" and "num_cpus" not in remote


def test_ctrl_c_in_a_ray_run_cancels_its_tasks_and_shuts_the_runtime_down(fake_ray, monkeypatch, tmp_path):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    store = ShardStore(tmp_path, "5" * 64)
    store.save([0, 1], [{"position": 0}, {"position": 1}])
    with pytest.raises(KeyboardInterrupt):
        run_shards(RecordingJob(), plan_shards(6, 2), store, backend="ray", workers=2, log=lambda *_: None)
    assert fake_ray.calls[1:] == [("cancel", "ref1", True), ("cancel", "ref2", True), ("shutdown",)]
    assert store.load([0, 1]) == [{"position": 0}, {"position": 1}]  # what was finished is kept


# --- a real attack job, serial and on a local Ray runtime ---


@pytest.fixture(scope="module")
def tiny_job_parts(offline_resources, tiny_pipeline):
    from snntext.attack.recipes import build_word_embedding, minilm_path

    table = build_word_embedding(tiny_pipeline["vectors"], pool=100)
    words = [table._index2word[i] for i in range(len(table._index2word))]
    parts = job_parts(
        tiny_pipeline,
        offline_resources,
        list(EXAMPLES) * 2,
        models=("dnn", "snn", "snn_stochastic"),
        recipes=("deepwordbug", "textfooler"),
    )
    return {**parts, "embedding": (table.embedding_matrix, words, table.nn_matrix), "sentence_model": minilm_path()}


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
