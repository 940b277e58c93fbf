"""The report: reports/*.md and reports/figures/*.png from the metrics files of a run.

`snntext.report.build.write_reports` reads and checks every metrics file first (metrics), so a missing
or malformed file stops it before anything is written; then it renders the Markdown (one module per
document: accuracy, energy, robustness, run_readme) and the figures (figures), each file written
atomically, and rewrites the numbers README.md and docs/*.md quote from the run between their markers
(doc_blocks).
Imports every package below cli (attack only for its statistics, which import no TextAttack).
"""
