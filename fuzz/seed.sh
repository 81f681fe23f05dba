#!/usr/bin/env bash
# Seeds the fuzz corpus with every stack file of the fixtures and examples.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/compile
for f in ../tests/fixtures/*/*.hcl ../examples/*/*.hcl ../examples/*/*/*.hcl; do
  cp "$f" "corpus/compile/$(echo "$f" | tr '/.' '__')"
done
