#!/usr/bin/env bash
# Build the service images: scripts/build-images.sh [SERVICE...]  (default: every service of
# services.toml)
#   TAG           image tag (default: git short revision, or "dev")
#   IMAGE_PREFIX  repository prefix (default: [platform] image_prefix of services.toml)
#   MODEL_DIR     trained models to bake in (default: models; run `make train` first)
#   SOURCE        repository URL for the org.opencontainers.image.source label (optional)
#   SBOM_DIR      where each image's CycloneDX SBOM goes, as <service>.cdx.json (default:
#                 reports/sbom; supplychain/README.md)
#   BASE_IMAGE    base image; default: the Dockerfile's pinned public image (its `AS base` line) when it can be
#                 pulled, else a local Debian base (scripts/make-local-base.sh) with wheels
#                 downloaded on the host, so that `docker build` needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."

services=("$@")
[[ ${#services[@]} -gt 0 ]] || read -ra services <<<"$(python3 -m registry names)"
revision=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
TAG=${TAG:-${revision/unknown/dev}}
IMAGE_PREFIX=${IMAGE_PREFIX:-$(python3 -m registry platform image_prefix)}
MODEL_DIR=${MODEL_DIR:-models}
SBOM_DIR=${SBOM_DIR:-reports/sbom}
# A Python with the pinned cyclonedx-bom (uv.lock): the project's venv unless told otherwise.
SBOM_PYTHON=${SBOM_PYTHON:-.venv/bin/python}
PUBLIC_BASE=$(sed -n 's/^FROM \(.*\) AS base$/\1/p' docker/Dockerfile)
# Bump the suffix when scripts/make-local-base.sh changes: an existing base is reused.
LOCAL_BASE=mlops-local-base:bookworm-2

step() { printf '==> %s\n' "$*"; }
fail() { printf 'build-images: %s\n' "$*" >&2; exit 2; }
[[ -n $PUBLIC_BASE ]] || fail "docker/Dockerfile has no 'FROM <image> AS base' line"
[[ ${#services[@]} -gt 0 ]] || fail "no services: 'python3 -m registry names' printed nothing (needs python3 3.11+ on PATH)"

# A pip to download wheels with: uv-made venvs have none, the Makefile's .tools venv has.
find_pip() {
  local candidate
  for candidate in "${PIP:-}" .tools/bin/pip "$(command -v pip3 || true)"; do
    [[ -n $candidate && -x $candidate ]] && { echo "$candidate"; return; }
  done
  python3 -m pip --version >/dev/null 2>&1 && { echo "python3 -m pip"; return; }
  fail "pip is needed to download wheels for the offline build (run 'make setup')"
}

[[ -x ${SBOM_PYTHON%/*}/cyclonedx-py ]] || fail "no cyclonedx-py in ${SBOM_PYTHON%/*} for the images' SBOMs (run 'make setup')"
docker info >/dev/null 2>&1 || fail "no Docker engine reachable (start dockerd or Docker Desktop)"
for s in "${services[@]}"; do
  for f in model.npz metadata.json MODEL_CARD.md; do
    [[ -f $MODEL_DIR/$s/$f ]] || fail "no $f in $MODEL_DIR/$s (run 'make train')"
  done
done

wheels=docker/wheels
if [[ -z ${BASE_IMAGE:-} ]]; then
  if docker image inspect "$PUBLIC_BASE" >/dev/null 2>&1 || docker pull -q "$PUBLIC_BASE" >/dev/null 2>&1; then
    BASE_IMAGE=$PUBLIC_BASE
  else
    step "cannot pull $PUBLIC_BASE: building on a local Debian base"
    scripts/make-local-base.sh "$LOCAL_BASE"
    BASE_IMAGE=$LOCAL_BASE
  fi
fi

if [[ $BASE_IMAGE != "$PUBLIC_BASE" ]]; then
  # Wheels for the base's own Python and CPU, fetched on the host (which reaches PyPI).
  read -r pyver machine < <(docker run --rm --entrypoint python3 "$BASE_IMAGE" -c \
    'import sys, platform; print(f"{sys.version_info[0]}.{sys.version_info[1]}", platform.machine())')
  step "downloading wheels for Python $pyver on $machine into $wheels/"
  $(find_pip) download --quiet --disable-pip-version-check --only-binary=:all: \
    --python-version "$pyver" --platform "manylinux_2_28_$machine" --platform "manylinux2014_$machine" \
    --platform "manylinux_2_17_$machine" -r docker/requirements-runtime.txt -d "$wheels" \
    2> >(grep -v ' is ignored: ' >&2)
fi

# A minimal context: the same paths the Dockerfile copies from a repository checkout.
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/docker" "$context/packages/servicekit/src" "$context/models"
cp docker/requirements-runtime.txt "$context/docker/"
# Every stage builds FROM base: only the context's copy names another base image.
sed "s|^FROM .* AS base\$|FROM $BASE_IMAGE AS base|" docker/Dockerfile >"$context/docker/Dockerfile"
cp -r "$wheels" "$context/docker/wheels"
cp -r packages/servicekit/src/servicekit "$context/packages/servicekit/src/"
for s in "${services[@]}"; do
  mkdir -p "$context/services/$s/src" "$context/models/$s"
  cp -r "services/$s/src/$s" "$context/services/$s/src/"
  cp "$MODEL_DIR/$s/model.npz" "$MODEL_DIR/$s/metadata.json" "$MODEL_DIR/$s/MODEL_CARD.md" \
    "$context/models/$s/"
done
find "$context" -name __pycache__ -prune -exec rm -rf {} +

# SOURCE (the repository URL) labels the images; CI sets it, the Dockerfile has a placeholder.
source_arg=()
[[ -z ${SOURCE:-} ]] || source_arg=(--build-arg SOURCE="$SOURCE")
# The base by digest where a registry gave it one, else by its local image ID: for the SBOMs.
base_ref=$(docker image inspect --format '{{index .RepoDigests 0}}' "$BASE_IMAGE" 2>/dev/null || true)
[[ -n $base_ref ]] || base_ref="$BASE_IMAGE (local, image id $(docker image inspect --format '{{.Id}}' "$BASE_IMAGE"))"
for s in "${services[@]}"; do
  image="$IMAGE_PREFIX/$s:$TAG"
  step "building $image on $BASE_IMAGE"
  DOCKER_BUILDKIT=0 docker build --quiet -f "$context/docker/Dockerfile" \
    --build-arg SERVICE="$s" \
    --build-arg VERSION="$TAG" --build-arg REVISION="$revision" "${source_arg[@]}" \
    -t "$image" "$context" >/dev/null
  size=$(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')
  printf '    %s  %s\n' "$image" "$size"
  "$SBOM_PYTHON" -m supplychain.sbom "$image" "$SBOM_DIR/$s.cdx.json" --base-image "$base_ref" \
    || fail "no SBOM for $image (above)"
done
