#!/usr/bin/env bash
# The test command (README.md): installs what the tests need, then runs every test.
# - moto's server (AWS IAM/STS/EKS double) in a venv at .venv (pip, from PyPI)
# - check-jsonschema (PyPI) in the same venv: tests/cli_ci.rs validates SARIF output and the
#   example GitHub workflow with it
# - the Kubernetes and EKS test servers are built from tests/servers and started by the tests
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/moto_server ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet 'moto[server]==5.2.5'
fi
if [ ! -x .venv/bin/check-jsonschema ]; then
  .venv/bin/pip install --quiet 'check-jsonschema==0.39.0'
fi
export EKSFED_MOTO_SERVER="$PWD/.venv/bin/moto_server"
# - Mermaid's own parser (npm, pinned by tests/mermaid/package-lock.json) checks `access --format mermaid`
if [ ! -d tests/mermaid/node_modules/mermaid ]; then
  npm ci --prefix tests/mermaid --no-audit --no-fund --silent
fi
# - an IAM policy simulator nobody here wrote (npm, pinned by tests/iam-simulate/package-lock.json)
#   judges the access model and the security review (compiler/tests/iam_judge.rs)
if [ ! -d tests/iam-simulate/node_modules/@cloud-copilot/iam-simulate ]; then
  npm ci --prefix tests/iam-simulate --no-audit --no-fund --silent
fi
# - a real Kubernetes control plane (tests/cli_real_kube*.rs start it): etcd and kube-apiserver
#   built from their Go modules, pinned by tests/kube-control-plane/go.mod and go.sum (Go module
#   proxy). The first build takes minutes (README: measured); Go's build cache makes later ones
#   take seconds.
kube_bin="$PWD/target/kube-control-plane"
(cd tests/kube-control-plane && go build -o "$kube_bin/" ./etcd k8s.io/kubernetes/cmd/kube-apiserver)
export EKSFED_ETCD="$kube_bin/etcd" EKSFED_KUBE_APISERVER="$kube_bin/kube-apiserver"
# - aws-iam-authenticator's ConfigMap mapper judges the access model's aws-auth mapping
#   (tests/authn_judge.rs): tests/authn-judge, pinned by its go.mod and go.sum, cached by Go
judge_bin="$PWD/target/authn-judge"
(cd tests/authn-judge && go build -o "$judge_bin/authn-judge" .)
export EKSFED_AUTHN_JUDGE="$judge_bin/authn-judge"
# - Neovim (Debian's package) drives `eksfed lsp` with its built-in LSP client (tests/cli_lsp_nvim.rs)
if ! command -v nvim >/dev/null; then
  apt-get update -qq && apt-get install -y -qq neovim >/dev/null
fi
export EKSFED_CHECK_JSONSCHEMA="${EKSFED_CHECK_JSONSCHEMA:-$PWD/.venv/bin/check-jsonschema}"
cargo build --workspace --all-targets
cargo test --workspace -- --test-threads="${EKSFED_TEST_THREADS:-4}"
