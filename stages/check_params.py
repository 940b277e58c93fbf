"""Stage check_params: every params.yaml key checked before any other stage starts.

Every other stage depends on its output, so a bad value (`dvc repro` with `threshold: 0`) stops the
pipeline here, in about 0.2 s, with one line naming params.yaml and the key; DVC then removes
and re-runs nothing downstream, so every output already produced stays as it was. It also refuses
dataset names that are not registry keys before DVC runs a command built from them.
Writes data/params_checked.txt, whose bytes never change (so passing the check re-runs nothing), and
only once every key has passed: the output is `persist: true` in dvc.yaml, so DVC does not delete it
before this stage runs, and a refusal leaves it (and `dvc status`) as it was. The stage tracks every
key of params.yaml through DVC's `params:` (not the file's hash, which `dvc exp show` would list).
`dvc exp run` in the workspace is different: DVC checks the workspace out before any stage runs,
this one included (docs/reproducibility.md, "What a failed run can and cannot touch").
"""

from __future__ import annotations

from snntext.core import paths
from snntext.core.atomic import write_text_atomic
from snntext.core.stage_script import run_stage, stage_inputs


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0], per_dataset=False)
    write_text_atomic(paths.PARAMS_CHECKED, "params.yaml passed every check of snntext.core.params\n")
    print(f"check_params: {config.source}: every key checked; datasets {', '.join(config.run.datasets)}")


if __name__ == "__main__":
    run_stage(main, uses_torch=False)
