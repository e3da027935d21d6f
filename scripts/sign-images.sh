#!/usr/bin/env bash
# Sign the images a push listed, and attach what they hold and where they came from:
#   scripts/sign-images.sh [DIGESTS]   (default reports/image-digests.txt, from push-images.sh)
# DIGESTS has one `<service> <image>@sha256:<digest>` per line. For each image, by digest: a
# cosign signature; its SBOM (SBOM_DIR/<service>.cdx.json, from build-images.sh) and its SLSA
# provenance (python -m supplychain.provenance) as signed attestations; then all three
# verified against the identity that signed them. No docker: cosign talks to the registry.
#   COMMIT        the commit the images were built from (40 hex digits)
#   SBOM_DIR      default reports/sbom
#   MODEL_DIR     the models baked in, for the provenance (default: models)
#   PYTHON        runs supplychain.provenance (standard library only; default: python3)
#   COSIGN        the cosign binary (default: cosign on PATH)
#   Keyless (GitHub Actions with id-token: write): the run's OIDC token gets a short-lived
#   certificate from Sigstore's Fulcio, every signature is logged in Rekor, and verification
#   requires VERIFY_IDENTITY (the workflow's ref, as GitHub puts it in the certificate) and
#   the GitHub OIDC issuer.
#   With SIGN_KEY=<cosign.key> (COSIGN_PASSWORD for it) instead: a key pair, nothing sent to a
#   transparency log, verified with the .pub beside it (a local registry: supplychain/README.md).
#   COSIGN_REGISTRY_FLAGS  extra registry flags for every cosign call (--allow-http-registry)
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { printf 'sign-images: %s\n' "$*" >&2; exit 2; }
[[ $# -le 1 ]] || fail "usage: scripts/sign-images.sh [DIGESTS]"
digests=${1:-reports/image-digests.txt}
COSIGN=${COSIGN:-cosign}
PYTHON=${PYTHON:-python3}
SBOM_DIR=${SBOM_DIR:-reports/sbom}
[[ ${COMMIT:-} =~ ^[0-9a-f]{40}$ ]] || fail "COMMIT must be the 40-digit commit the images were built from"
[[ -f $digests ]] || fail "no $digests: push the images first (scripts/push-images.sh writes it)"
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
while read -r service ref; do
  [[ $ref =~ @sha256:[0-9a-f]{64}$ ]] || fail "$digests: '$service $ref' is not '<service> <image>@sha256:<digest>'"
  [[ -f $SBOM_DIR/$service.cdx.json ]] || fail "no SBOM $SBOM_DIR/$service.cdx.json: build the images first (make images)"
done <"$digests"
[[ -s $digests ]] || echo "sign-images: $digests lists no image: this run pushed none (its tags existed)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The list on fd 3: nothing in the loop can read it from stdin.
while read -r service ref <&3; do
  "$PYTHON" -m supplychain.provenance --service "$service" --commit "$COMMIT" \
    --sbom "$SBOM_DIR/$service.cdx.json" --model-dir "${MODEL_DIR:-models}" >"$work/provenance.json"
  printf '==> %s\n' "$ref"
  "$COSIGN" sign --yes "${sign[@]}" "${registry_flags[@]}" "$ref"
  "$COSIGN" attest --yes "${sign[@]}" "${registry_flags[@]}" --type cyclonedx \
    --predicate "$SBOM_DIR/$service.cdx.json" "$ref"
  "$COSIGN" attest --yes "${sign[@]}" "${registry_flags[@]}" --type slsaprovenance1 \
    --predicate "$work/provenance.json" "$ref"
  # What a consumer checks: the signature, and each attestation by its type.
  "$COSIGN" verify "${verify[@]}" "${registry_flags[@]}" "$ref" >/dev/null
  for type in cyclonedx slsaprovenance1; do
    "$COSIGN" verify-attestation "${verify[@]}" "${registry_flags[@]}" --type "$type" "$ref" >/dev/null
  done
  printf '    signed; SBOM and provenance attested; all three verified\n'
done 3<"$digests"
