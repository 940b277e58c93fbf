"""What every stage and package stands on: params.yaml read and checked (config, params), the dataset
registry (registry, sources.yaml), every path (paths), the one user-facing error type (errors), atomic
writes (atomic), the device, seeds and CPU kernels (device, cpu_kernels), the stages' metrics files
(stage_metrics), the stage-script plumbing (stage_script) and DVC experiments (experiments).
Imports nothing else of snntext."""
