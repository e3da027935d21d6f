#!/usr/bin/env bash
# Print an image tag that changes exactly when an image's inputs change: the committed and
# uncommitted sources the images are built from (tracked and untracked files alike) and the
# trained models.   scripts/image-tag.sh PREFIX [MODEL_DIR]   ->   PREFIX-<12 hex>
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:?usage: image-tag.sh PREFIX [MODEL_DIR]}
model_dir=${2:-models}
inputs=(docker packages services scripts/build-images.sh scripts/make-local-base.sh)
# macOS has shasum, not sha256sum.
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }
ls "$model_dir"/*/metadata.json >/dev/null 2>&1 || { echo "image-tag: no models in $model_dir (run 'make train')" >&2; exit 2; }
digest=$({
  git rev-parse "HEAD:docker" "HEAD:packages" "HEAD:services"
  git diff HEAD -- "${inputs[@]}"
  git ls-files --others --exclude-standard -z -- "${inputs[@]}" | sort -z | xargs -0 -I{} bash -c 'sha256() { command -v sha256sum >/dev/null && sha256sum "$@" || shasum -a 256 "$@"; }; sha256 "$1"' _ {}
  cat "$model_dir"/*/metadata.json
} | sha256 | cut -c1-12)
echo "$prefix-$digest"
