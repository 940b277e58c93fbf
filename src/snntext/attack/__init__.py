"""The TextAttack bridge: offline resources (offline), model wrappers (wrappers), recipes (recipes),
caches shared between attacks (caching), one process's session (session), picklable jobs (job),
shards run locally or on Ray (shards), the stage (run) and paired statistics (statistics).
Imports every package below report. Call snntext.attack.offline.prepare_offline() before importing
wrappers, recipes, session or run: they import textattack, which reads NLTK data and its cache
folder at import time."""
