"""Stage report: reports/*.md and reports/figures/*.png from the metrics of every stage and dataset.

Reads metrics/{prepare,embed,train_dnn,convert,finetune,sweep}/<dataset>.json (with the _detail.json
beside the headline files of train_dnn, convert, finetune and attack; + the train_dnn and finetune history CSVs) for every dataset in params `datasets`, and metrics/attack/<dataset>.json
where present, and metrics/energy_grid.json and metrics/seed_study.json (scripts/run_energy_grid.py,
scripts/run_seed_study.py); the paper's own numbers come from src/snntext/report/paper.yaml. Refuses, naming
the file, before writing anything if a metrics file is missing or malformed. Writes
reports/{accuracy,energy,robustness,README}.md, reports/figures/*.png, and the numbers README.md and
docs/*.md quote from the run, between their markers (<!-- results:start --> ... <!-- results:end --> for the
README's accuracy table, <!-- generated:NAME:start --> ... <!-- generated:NAME:end --> for the others;
snntext.report.doc_blocks); a file without markers is left alone.
"""

from __future__ import annotations

from snntext.core import paths
from snntext.core.stage_script import run_stage, stage_inputs
from snntext.report.build import write_reports


def main() -> None:
    args, config = stage_inputs(__doc__.splitlines()[0], per_dataset=False)
    written = write_reports(
        list(config.run.datasets),
        config.raw,
        metrics_dir=paths.METRICS_DIR,
        reports_dir=paths.REPORTS_DIR,
        readme=paths.PROJECT_ROOT / "README.md",
        docs_dir=paths.PROJECT_ROOT / "docs",
    )
    print("report: wrote " + ", ".join(str(p.relative_to(paths.PROJECT_ROOT)) for p in written))


if __name__ == "__main__":
    run_stage(main)
