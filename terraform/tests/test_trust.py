"""Every IAM role that an AWS service assumes names the account and the resource it may
assume it for (aws:SourceAccount and aws:SourceArn, the confused-deputy guard), read from the
HCL of every module and root; the services that pass no such keys are listed with the reason."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hcl2
import pytest

from terraform.tests.conftest import TERRAFORM_DIR

GUARD = {"aws:SourceAccount", "aws:SourceArn"}
# Service principals whose role trust cannot carry the guard, and why.
UNGUARDED = {
    "ec2.amazonaws.com": "EC2 passes no source keys when an instance profile's role is assumed",
    "eks.amazonaws.com": "the EKS user guide's cluster-role trust policy has none, and EKS "
    "documents no source keys for it",
}


def _text(value: str) -> str:
    return value.strip('"')


def _assume_statements(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(document name, statement) of each policy document statement that lets a service
    principal assume a role."""
    for block in hcl2.loads(path.read_text()).get("data", []):
        for kind, documents in block.items():
            if _text(kind) != "aws_iam_policy_document":
                continue
            for name, document in documents.items():
                for statement in document.get("statement", []):
                    actions = {_text(a) for a in statement.get("actions", [])}
                    if "sts:AssumeRole" in actions:
                        yield _text(name), statement


def _service_principals(statement: dict[str, Any]) -> set[str]:
    return {
        _text(identifier)
        for principal in statement.get("principals", [])
        if _text(principal["type"]) == "Service"
        for identifier in principal["identifiers"]
    }


def _files() -> list[Path]:
    return sorted(p for p in TERRAFORM_DIR.rglob("*.tf") if ".terraform" not in p.parts)


def _unguarded(path: Path) -> list[str]:
    found = []
    for name, statement in _assume_statements(path):
        services = _service_principals(statement) - set(UNGUARDED)
        keys = {_text(c["variable"]) for c in statement.get("condition", [])}
        if services and not keys >= GUARD:
            found.append(f"{name} ({', '.join(sorted(services))})")
    return found


def test_the_check_reads_every_role_trust_of_a_service() -> None:
    services = {
        service
        for path in _files()
        for _, statement in _assume_statements(path)
        for service in _service_principals(statement)
    }
    assert {
        "pods.eks.amazonaws.com",
        "vpc-flow-logs.amazonaws.com",
        "ec2.amazonaws.com",
    } <= services


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(TERRAFORM_DIR)))
def test_every_role_a_service_assumes_names_the_account_and_the_source(path: Path) -> None:
    assert _unguarded(path) == [], path.relative_to(TERRAFORM_DIR)


def test_the_check_finds_a_trust_without_the_guard(tmp_path: Path) -> None:
    tf = tmp_path / "main.tf"
    tf.write_text(
        'data "aws_iam_policy_document" "open" {\n  statement {\n    actions = ["sts:AssumeRole"]\n'
        '    principals {\n      type        = "Service"\n'
        '      identifiers = ["vpc-flow-logs.amazonaws.com"]\n    }\n'
        '    condition {\n      test     = "StringEquals"\n'
        '      variable = "aws:SourceAccount"\n      values   = ["111122223333"]\n    }\n  }\n}\n'
    )
    assert _unguarded(tf) == ["open (vpc-flow-logs.amazonaws.com)"]  # no aws:SourceArn
