#!/usr/bin/env bash
# The demo (README.md): no AWS account needed. Starts moto (AWS IAM/STS double) and the
# Kubernetes test server on loopback, applies examples/quickstart, shows that a second plan is
# empty, and stops them.
# With --keep, it leaves them running and prints the `export` lines that point eksfed at them,
# so you can try `plan`, `apply`, `destroy` by hand in another shell; Ctrl-C stops them.
set -euo pipefail
keep=false
for arg in "$@"; do
  case "$arg" in
    --keep) keep=true ;;
    *) echo "usage: tests/demo.sh [--keep]" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
root=$PWD
if [ ! -x .venv/bin/moto_server ]; then
  echo "==> installing moto (AWS double) into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet 'moto[server]==5.2.5'
fi
# EKSFED_BIN_DIR: use the eksfed and kube-test-server binaries there instead of building
# (the test of this script passes the ones cargo test built).
bin=${EKSFED_BIN_DIR:-$root/target/debug}
if [ -z "${EKSFED_BIN_DIR:-}" ]; then
  echo "==> building eksfed and the test servers"
  cargo build --quiet -p eksfed -p eksfed-test-servers
fi
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MOTO_IAM_LOAD_MANAGED_POLICIES=true .venv/bin/python tests/servers/moto_server.py -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
pids+=($!)
"$bin/kube-test-server" --kubeconfig-out "$work/kubeconfig" --context demo >"$work/kube.out" 2>"$work/kube.log" &
pids+=($!)
for _ in $(seq 100); do
  if grep -q listening "$work/kube.out" 2>/dev/null && python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; then break; fi
  sleep 0.2
done
echo "==> moto on http://127.0.0.1:$port, Kubernetes test server $(cat "$work/kube.out" | sed 's/listening on //')"

export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true KUBECONFIG="$work/kubeconfig"
eksfed() { "$bin/eksfed" "$@"; }

echo; echo "==> eksfed validate examples/quickstart"
eksfed validate examples/quickstart
echo; echo "==> eksfed plan examples/quickstart"
eksfed plan examples/quickstart --no-color
echo; echo "==> eksfed apply examples/quickstart --auto-approve"
eksfed apply examples/quickstart --auto-approve --no-color
echo; echo "==> eksfed plan examples/quickstart --detailed-exitcode   (a second plan: nothing to do)"
set +e
eksfed plan examples/quickstart --no-color --detailed-exitcode
code=$?
set -e
if [ "$code" -ne 0 ]; then echo "demo: the second plan was not empty (exit $code)" >&2; exit 1; fi
if [ "$keep" = true ]; then
  echo; echo "==> the demo worked. The doubles keep running; in another shell, paste:"
  echo
  echo "export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1"
  echo "export AWS_EC2_METADATA_DISABLED=true KUBECONFIG=$KUBECONFIG"
  echo "export PATH=$bin:\$PATH"
  echo
  echo "then e.g.: eksfed plan examples/quickstart; eksfed destroy examples/quickstart"
  echo "==> press Ctrl-C to stop the servers"
  trap 'echo; echo "==> stopping the servers"; exit 0' INT TERM
  while true; do sleep 1; done
fi
echo; echo "==> the demo worked: applied, then planned again with no changes. Stopping the servers."
