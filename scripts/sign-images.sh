#!/usr/bin/env bash
# Sign pushed images and attach what they hold and where they came from:
#   scripts/sign-images.sh TAG IMAGE_PREFIX SERVICE...
# For each image: its digest in the registry; a cosign signature; its SBOM
# (SBOM_DIR/<service>.cdx.json, written by build-images.sh) and its SLSA provenance
# (python -m supplychain.provenance) as signed attestations; then all three verified against
# the identity that signed them. Prints and writes (DIGESTS) each image by digest, which is
# what a deploy pins (kustomize edit set image NAME=REF).
#   COMMIT        the commit the images were built from (40 hex digits)
#   SBOM_DIR      default reports/sbom
#   MODEL_DIR     the models baked in, for the provenance (default: models)
#   DIGESTS       default reports/image-digests.txt
#   COSIGN        the cosign binary (default: cosign on PATH)
#   Keyless (GitHub Actions with id-token: write): the run's OIDC token gets a short-lived
#   certificate from Sigstore's Fulcio, every signature is logged in Rekor, and verification
#   requires VERIFY_IDENTITY (the workflow's ref, as GitHub puts it in the certificate) and
#   the GitHub OIDC issuer.
#   With SIGN_KEY=<cosign.key> (COSIGN_PASSWORD for it) instead: a key pair, nothing sent to a
#   transparency log, verified with the .pub beside it (a local registry; see supplychain/README.md).
#   COSIGN_REGISTRY_FLAGS  extra registry flags for every cosign call (--allow-http-registry)
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { printf 'sign-images: %s\n' "$*" >&2; exit 2; }
[[ $# -ge 3 ]] || fail "usage: scripts/sign-images.sh TAG IMAGE_PREFIX SERVICE..."
tag=$1 prefix=$2
shift 2
COSIGN=${COSIGN:-cosign}
SBOM_DIR=${SBOM_DIR:-reports/sbom}
DIGESTS=${DIGESTS:-reports/image-digests.txt}
[[ ${COMMIT:-} =~ ^[0-9a-f]{40}$ ]] || fail "COMMIT must be the 40-digit commit the images were built from"
command -v "$COSIGN" >/dev/null || fail "no cosign ($COSIGN): go install github.com/sigstore/cosign/v3/cmd/cosign@<version>"
read -ra registry_flags <<<"${COSIGN_REGISTRY_FLAGS:-}"
if [[ -n ${SIGN_KEY:-} ]]; then
  [[ -f $SIGN_KEY && -f ${SIGN_KEY%.key}.pub ]] || fail "SIGN_KEY=$SIGN_KEY: need the key and ${SIGN_KEY%.key}.pub beside it"
  sign=(--key "$SIGN_KEY" --use-signing-config=false --tlog-upload=false)
  verify=(--key "${SIGN_KEY%.key}.pub" --insecure-ignore-tlog=true)
else
  [[ -n ${VERIFY_IDENTITY:-} ]] || fail "keyless signing needs VERIFY_IDENTITY (the workflow's https://github.com/OWNER/REPO/.github/workflows/FILE@REF)"
  sign=()
  verify=(--certificate-identity "$VERIFY_IDENTITY" --certificate-oidc-issuer https://token.actions.githubusercontent.com)
fi
for service in "$@"; do
  [[ -f $SBOM_DIR/$service.cdx.json ]] || fail "no SBOM $SBOM_DIR/$service.cdx.json: build the images first (make images)"
done

# The base image by digest where a registry gave it one (a local base has only its ID).
base=$(sed -n 's/^FROM \(.*\) AS base$/\1/p' docker/Dockerfile)
base_ref=$(docker image inspect --format '{{index .RepoDigests 0}}' "$base" 2>/dev/null || true)
base_ref=${base_ref:-$base}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$DIGESTS")"
: >"$work/digests"
for service in "$@"; do
  image=$prefix/$service:$tag
  # A pull sets the registry's digest on the local image (also for a tag pushed earlier).
  docker pull -q "$image" >/dev/null || fail "cannot pull $image: push it first (scripts/push-images.sh)"
  ref=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image" \
    | grep -m1 "^$prefix/$service@sha256:" || true)
  [[ -n $ref ]] || fail "the registry gave $image no digest"
  .venv/bin/python -m supplychain.provenance --service "$service" --commit "$COMMIT" \
    --model-dir "${MODEL_DIR:-models}" --base-image "$base_ref" >"$work/$service.provenance.json"
  printf '==> %s\n' "$ref"
  "$COSIGN" sign --yes "${sign[@]}" "${registry_flags[@]}" "$ref"
  "$COSIGN" attest --yes "${sign[@]}" "${registry_flags[@]}" --type cyclonedx \
    --predicate "$SBOM_DIR/$service.cdx.json" "$ref"
  "$COSIGN" attest --yes "${sign[@]}" "${registry_flags[@]}" --type slsaprovenance1 \
    --predicate "$work/$service.provenance.json" "$ref"
  # What a consumer checks: the signature, and each attestation by its type.
  "$COSIGN" verify "${verify[@]}" "${registry_flags[@]}" "$ref" >/dev/null
  for type in cyclonedx slsaprovenance1; do
    "$COSIGN" verify-attestation "${verify[@]}" "${registry_flags[@]}" --type "$type" "$ref" >/dev/null
  done
  printf '    signed; SBOM and provenance attested; all three verified\n'
  echo "$ref" >>"$work/digests"
done
mv "$work/digests" "$DIGESTS"
echo "image digests: $DIGESTS"
