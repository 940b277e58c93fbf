"""One dataset's attack as a picklable job that any worker process can run shard by shard.

It holds plain data only (torch modules, arrays, settings), never a TextAttack object: a Ray
worker unpickles its task's arguments before running anything, and TextAttack must not be
imported before `prepare_offline()` has pointed it at the offline caches (see offline.py).
The worker builds its AttackSession (models wrapped, recipes built) on first use and keeps it
for the next shards of the same job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from snntext.core.config import AttackConfig

_SESSION: dict = {}  # job key -> AttackSession of this process (the latest job only)


@dataclass
class AttackJob:
    key: str  # shards.fingerprint of everything the results depend on
    language: str
    models: dict  # name (dnn, kim, snn, snn_stochastic, snn_eot) -> torch module
    embedded: dict  # {"vocab", "table", "meta"} as embed_dataset.read_embedded gives
    examples: list[tuple[str, int]]  # (text, label) per position
    indices: list[int]  # test-set row per position
    settings: AttackConfig
    cache_dir: str  # offline.prepare_offline's folder
    vectors: object | None = None  # gensim KeyedVectors: words an attack adds get their vector
    embedding: tuple | None = None  # (matrix, words, nn_matrix) for the vector-neighbour recipes
    sentence_model: str | None = None  # folder of the similarity encoder (English), or None
    wordnet_problem: str | None = None
    device: str = "cpu"
    share_caches: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def uses_cuda(self) -> bool:
        return str(self.device).startswith("cuda")

    def session(self):
        if self.key not in _SESSION:
            from snntext.attack.offline import prepare_offline

            prepare_offline(self.cache_dir)
            from snntext.attack.session import AttackSession

            _SESSION.clear()
            _SESSION[self.key] = AttackSession.from_job(self)
        return _SESSION[self.key]

    def run(self, positions: list[int]) -> list[dict]:
        """Per position: every recipe on every model (see AttackSession.attack_example)."""
        session = self.session()
        return [session.attack_example(p, self.indices[p], *self.examples[p]) for p in positions]
