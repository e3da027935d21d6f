#!/usr/bin/env bash
# make hostcluster-e2e-fork: the e2e suite on the host cluster, for a fork that added a service
# with `make new-service`. In a scratch copy of this tree (.fork/, replaced on every run), it
# scaffolds the service from a CSV, then runs `make hostcluster-e2e` there with the HPA
# scale-out on the new service. The copy's report becomes .hostcluster/e2e-report-fork.json.
#   FORK_NAME (default wine), FORK_DATA (default: scikit-learn's wine data, a real public
#   dataset of three cultivars, written as a CSV: a multiclass service), FORK_TARGET (default
#   cultivar), FORK_TASK (optional)
set -Eeuo pipefail
cd "$(dirname "$0")/.."
name=${FORK_NAME:-wine}
target=${FORK_TARGET:-cultivar}
data=${FORK_DATA:-}
fork=$PWD/.fork

echo "hostcluster-e2e-fork: copying the tree to $fork"
rm -rf "$fork"
mkdir -p "$fork/.data"
git ls-files -co --exclude-standard -z | xargs -0 cp -P --parents -t "$fork"
if [[ -z $data ]]; then
  data=$fork/.data/wine.csv
  .venv/bin/python -c "import sys; from sklearn.datasets import load_wine; \
load_wine(as_frame=True).frame.rename(columns={'target': 'cultivar'}).to_csv(sys.argv[1], \
index=False)" "$data"
fi
[[ -f $data ]] || { echo "hostcluster-e2e-fork: FORK_DATA=$data is not a file" >&2; exit 2; }

started=$SECONDS
make -C "$fork" --no-print-directory setup
make -C "$fork" --no-print-directory new-service NAME="$name" DATA="$(realpath "$data")" \
  TARGET="$target" ${FORK_TASK:+TASK="$FORK_TASK"}
echo "hostcluster-e2e-fork: $name added in $((SECONDS - started))s"
E2E_SCALED_SERVICE=$name make -C "$fork" --no-print-directory hostcluster-e2e
mkdir -p .hostcluster
cp "$fork/.hostcluster/e2e-report.json" .hostcluster/e2e-report-fork.json
echo "hostcluster-e2e-fork: report .hostcluster/e2e-report-fork.json"
