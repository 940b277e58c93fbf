"""The TextAttack bridge: offline resources, model wrappers, recipes and the attack run.

Order matters: call `snntext.attack.offline.prepare_offline()` before importing
`wrappers`, `recipes` or `run` (they import textattack, which reads NLTK data and its cache
folder at import time).
"""
