#!/usr/bin/env bash
# Creates .venv with the pinned stack; idempotent and fast when already set up
# (a stamp file records the hash of requirements.txt and this script).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${SNNTEXT_VENV:-.venv}
stamp="$VENV/.snntext-setup"
want=$(cat requirements.txt scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
# WordNet 3.0 for the PWWS attack (Debian packages; needs root). Without them PWWS is reported unavailable.
if command -v apt-get >/dev/null 2>&1 && [ ! -f /usr/share/wordnet/index.sense ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq --no-install-recommends wordnet-base wordnet-sense-index) \
      || echo "setup: could not install WordNet (wordnet-base, wordnet-sense-index); the PWWS attack will be unavailable" >&2
  else
    echo "setup: not root, WordNet not installed; the PWWS attack will be unavailable" >&2
  fi
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
pip="$VENV/bin/pip --disable-pip-version-check -q"
$pip install torch==2.13.0            # the local CPU wheel; must come before anything that depends on torch
$pip install -r requirements.txt
$pip install --no-deps spikingjelly==2.0.0
$pip install --no-deps -e .       # snntext itself, editable: gives the `snntext` command (predict, export)
echo "$want" > "$stamp"
