"""What terraform/ pins, for the tests elsewhere that must agree with it."""

import re
from pathlib import Path

TERRAFORM_DIR = Path(__file__).resolve().parents[1]


def eks_kubernetes_version() -> str:
    """The Kubernetes minor version (e.g. "1.35") that modules/eks gives a cluster by default."""
    variables = (TERRAFORM_DIR / "modules" / "eks" / "variables.tf").read_text()
    found: list[str] = re.findall(
        r'variable "kubernetes_version" \{.*?default\s*=\s*"(\d+\.\d+)"', variables, re.S
    )
    (version,) = found
    return version
