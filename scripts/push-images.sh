#!/usr/bin/env bash
# Push built images under their immutable tags, never over a tag that exists.
#   scripts/push-images.sh TAG IMAGE_PREFIX SERVICE...
#   DIGESTS  where the images this run pushed are listed by digest, `<service> <ref@sha256:..>`
#            per line (default reports/image-digests.txt), for scripts/sign-images.sh: a tag
#            that existed holds another build (an earlier run's), which this run's SBOM does
#            not describe, so it is not listed.
# The registry's answer decides: an existing tag is skipped, a tag it reports unknown is
# pushed, and any other answer (network, auth, rate limit) stops the run, so a state that
# cannot be read never turns into an overwrite.
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 TAG IMAGE_PREFIX SERVICE..." >&2; exit 2; }
tag=$1 prefix=$2
shift 2
DIGESTS=${DIGESTS:-reports/image-digests.txt}
mkdir -p "$(dirname "$DIGESTS")"
: >"$DIGESTS"
for service in "$@"; do
  image="$prefix/$service:$tag"
  if answer=$(docker manifest inspect "$image" 2>&1); then
    echo "$image exists; immutable tags are never pushed twice"
    continue
  fi
  if ! grep -qiE 'no such manifest|manifest unknown' <<<"$answer"; then
    echo "push-images: cannot tell whether $image exists, so it is not pushed: $answer" >&2
    exit 1
  fi
  docker push "$image"
  ref=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image" \
    | grep -m1 "^$prefix/$service@sha256:" || true)
  [[ -n $ref ]] || { echo "push-images: the registry gave $image no digest" >&2; exit 1; }
  echo "$service $ref" >>"$DIGESTS"
done
