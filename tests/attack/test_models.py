"""The attacked models: every name attack.models allows is loaded and wrapped, and its results are summarised.

snn is the fine-tuned SNN on frozen spike noise, snn_stochastic the same net with one fresh spike draw
per query (attack.spike_samples), snn_eot the adaptive attack on it: every query scored as the mean of
attack.eot_draws draws (expectation over transformation).
"""

from __future__ import annotations

import json

import pytest

from snntext.core.config import ATTACK_MODELS, AttackConfig

from .conftest import EXAMPLES
from .conftest import job_parts as attack_job_parts


def test_every_attack_model_has_a_checkpoint_and_every_spiking_one_a_wrapper(offline_resources):
    from snntext.attack.run import MODEL_FILES
    from snntext.attack.session import SPIKING_MODELS, STOCHASTIC_MODELS

    assert set(MODEL_FILES) == set(ATTACK_MODELS)
    assert set(STOCHASTIC_MODELS) < set(SPIKING_MODELS) <= set(ATTACK_MODELS)
    assert {MODEL_FILES[name] for name in SPIKING_MODELS} == {"snn.pt"}  # one net, wrapped three ways


def test_spike_draws_per_query(offline_resources):
    from snntext.attack.session import spike_draws

    settings = AttackConfig(
        examples=1, recipes=("pwws",), models=("snn_stochastic", "snn_eot"), similarity=0.8, spike_samples=2
    )
    assert settings.eot_draws == 8  # the default
    assert spike_draws("snn_eot", settings) == 8 and spike_draws("snn_stochastic", settings) == 2


@pytest.fixture(scope="module")
def job_parts(offline_resources, tiny_pipeline):
    return attack_job_parts(
        tiny_pipeline,
        offline_resources,
        EXAMPLES,
        models=("dnn", "snn", "snn_stochastic", "snn_eot"),
        recipes=("deepwordbug",),  # needs neither the vector neighbours nor the sentence encoder
        spike_samples=1,
        eot_draws=3,
    )


def test_session_wraps_each_spiking_model_its_own_way(job_parts):
    from snntext.attack.job import AttackJob
    from snntext.attack.session import AttackSession
    from snntext.attack.wrappers import DNNWrapper, SNNWrapper

    session = AttackSession.from_job(AttackJob(key="models-wrap", **job_parts))
    wrappers = session.wrappers
    assert isinstance(wrappers["dnn"], DNNWrapper)
    snn, plain, eot = wrappers["snn"], wrappers["snn_stochastic"], wrappers["snn_eot"]
    assert all(isinstance(w, SNNWrapper) for w in (snn, plain, eot))
    assert not snn.stochastic and snn.noise is not None and snn.noise.shape == (8, 12, 10)  # T, max_len, D
    assert plain.stochastic and plain.spike_samples == 1 and plain.noise is None
    assert eot.stochastic and eot.spike_samples == 3 and eot.noise is None
    assert snn.deterministic and not plain.deterministic and not eot.deterministic  # no score memo for these


def _without_times(records):
    out = json.loads(json.dumps(records))
    for record in out:
        for per_recipe in record["cells"].values():
            for cell in per_recipe.values():
                cell.pop("wall_s")
    return out


def test_snn_eot_is_attacked_reproducibly_and_summarised_like_the_others(job_parts):
    from snntext.attack.job import AttackJob
    from snntext.attack.run import summarise, throughput, under_attack_means
    from snntext.attack.statistics import pooled_statistics, recipe_statistics

    runs = [AttackJob(key=f"models-run-{i}", **job_parts).run([0, 1, 2]) for i in range(2)]
    assert _without_times(runs[0]) == _without_times(runs[1])  # seeded per example and recipe
    records = runs[0]
    models, outcomes, tables = summarise(records)
    assert set(models) == set(outcomes) == {"dnn", "snn", "snn_stochastic", "snn_eot"}
    assert len(outcomes["snn_eot"]["deepwordbug"]) == 3
    assert "snn_eot__deepwordbug" in tables
    assert set(under_attack_means(models)) == set(throughput(models)) == set(models)
    stats = recipe_statistics(outcomes, reference="dnn", seed=0, resamples=50)
    assert "snn_eot" in stats["recipes"]["deepwordbug"]["vs_reference"]
    pooled = pooled_statistics({"tiny": outcomes}, reference="dnn", seed=0, resamples=50)
    assert "snn_eot" in pooled["vs_reference"]
