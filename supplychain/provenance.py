"""`python -m supplychain.provenance --service S --commit SHA --sbom FILE [--model-dir DIR]`:
the SLSA v1 provenance predicate of one service image built by the images workflow, printed as
JSON for `cosign attest --type slsaprovenance1` (scripts/sign-images.sh), which binds it to the
image's digest. It records what made the image: the workflow run (from GitHub's variables),
the commit, the inputs by sha256 (the lock, the runtime requirements, the Dockerfile, the
model files baked in), and the base image as the image's SBOM names it. Standard library only:
the signing job runs it on the runner's python3. Exit 2 with one line when a GitHub variable
or an input is missing."""

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1"
GITHUB_VARIABLES = (
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_WORKFLOW_REF",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_EVENT_NAME",
    "RUNNER_ENVIRONMENT",
)
BUILD_INPUTS = ("uv.lock", "docker/requirements-runtime.txt", "docker/Dockerfile")
MODEL_FILES = ("model.npz", "metadata.json", "MODEL_CARD.md")
# Where supplychain/sbom.py records the base image in the SBOM's subject (the OCI annotation).
BASE_IMAGE_PROPERTY = "org.opencontainers.image.base.name"


class ProvenanceError(Exception):
    """What is missing, in one line."""


def sha256(path: Path) -> str:
    if not path.is_file():
        raise ProvenanceError(f"no {path}: build the image (and `make train`) first")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def base_image(sbom: Path) -> str:
    """The base image the image's SBOM names (supplychain/sbom.py --base-image)."""
    try:
        bom = json.loads(sbom.read_text())
    except (OSError, ValueError) as exc:
        raise ProvenanceError(f"cannot read the SBOM {sbom}: {exc}") from None
    for prop in bom.get("metadata", {}).get("component", {}).get("properties", []):
        if prop.get("name") == BASE_IMAGE_PROPERTY:
            return str(prop["value"])
    raise ProvenanceError(f"the SBOM {sbom} names no base image ({BASE_IMAGE_PROPERTY})")


def github(env: dict[str, str]) -> dict[str, str]:
    missing = [name for name in GITHUB_VARIABLES if not env.get(name)]
    if missing:
        raise ProvenanceError(f"not in a GitHub Actions run: {', '.join(missing)} unset")
    return {name: env[name] for name in GITHUB_VARIABLES}


def predicate(
    service: str, commit: str, model_dir: Path, base: str, env: dict[str, str]
) -> dict[str, Any]:
    if not re.fullmatch(r"[0-9a-f]{40}", commit):
        raise ProvenanceError(f"--commit {commit!r} is not a full git commit hash")
    gh = github(env)
    repository = f"{gh['GITHUB_SERVER_URL']}/{gh['GITHUB_REPOSITORY']}"
    workflow_path, _, ref = gh["GITHUB_WORKFLOW_REF"].partition("@")
    inputs = [
        {"uri": f"git+{repository}@{ref}", "digest": {"gitCommit": commit}},
        *({"name": name, "digest": {"sha256": sha256(REPO / name)}} for name in BUILD_INPUTS),
        *(
            {
                "name": f"models/{service}/{name}",
                "digest": {"sha256": sha256(model_dir / service / name)},
            }
            for name in MODEL_FILES
        ),
        {"name": "base image", "uri": base},
    ]
    return {
        "buildDefinition": {
            "buildType": BUILD_TYPE,
            "externalParameters": {
                "workflow": {
                    "ref": ref,
                    "repository": repository,
                    "path": workflow_path.removeprefix(f"{gh['GITHUB_REPOSITORY']}/"),
                },
                "service": service,
            },
            "internalParameters": {
                "github": {
                    "event_name": gh["GITHUB_EVENT_NAME"],
                    "runner_environment": gh["RUNNER_ENVIRONMENT"],
                }
            },
            "resolvedDependencies": inputs,
        },
        "runDetails": {
            "builder": {"id": f"{gh['GITHUB_SERVER_URL']}/{gh['GITHUB_WORKFLOW_REF']}"},
            "metadata": {
                "invocationId": f"{repository}/actions/runs/{gh['GITHUB_RUN_ID']}"
                f"/attempts/{gh['GITHUB_RUN_ATTEMPT']}"
            },
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m supplychain.provenance", description=__doc__)
    parser.add_argument("--service", required=True)
    parser.add_argument("--commit", required=True)
    parser.add_argument("--model-dir", type=Path, default=REPO / "models")
    parser.add_argument("--sbom", type=Path, required=True, help="the image's SBOM")
    args = parser.parse_args(argv)
    try:
        base = base_image(args.sbom)
        found = predicate(args.service, args.commit, args.model_dir, base, dict(os.environ))
    except ProvenanceError as exc:
        print(f"provenance: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(found, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
