#!/usr/bin/env bash
# Push built images under their immutable tags, never over a tag that exists.
#   scripts/push-images.sh TAG IMAGE_PREFIX SERVICE...
# The registry's answer decides: an existing tag is skipped, a tag it reports unknown is
# pushed, and any other answer (network, auth, rate limit) stops the run, so a state that
# cannot be read never turns into an overwrite.
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 TAG IMAGE_PREFIX SERVICE..." >&2; exit 2; }
tag=$1 prefix=$2
shift 2
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
done
