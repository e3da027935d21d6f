"""The S3 backend and its S3-native locking, for real, against moto on loopback over TLS.

bootstrap creates the state bucket; the dev root then keeps its state there; an apply that
waits at its approval prompt holds the lock, a second apply is refused with a lock error,
and succeeds once the first has finished and released it.
"""

import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry import names
from terraform.tests.conftest import Terraform, copy_terraform
from tests.helpers import free_port, venv_tool, wait_until

pytestmark = pytest.mark.slow

STATE_BUCKET = "mlops-tfstate-test"
STATE_KEY = "envs/dev/terraform.tfstate"
# Cheap parts only: moto has no EKS waiters worth the minutes, and lacks the Budgets
# DescribeSubscribersForNotification call the provider reads back (budgets are covered by
# the mock-provider tests instead).
APPLY_VARS = ("-var", "create_cluster=false", "-var", "create_budget=false")
# An apply that fails at once instead of waiting when another one holds the state lock.
NO_WAIT_APPLY = (
    "apply",
    "-auto-approve",
    "-input=false",
    "-no-color",
    "-lock-timeout=0s",
    *APPLY_VARS,
)


def _self_signed_cert(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """moto_server over TLS on a free loopback port, and the environment that points at it."""
    moto = venv_tool("moto_server")
    if moto is None:
        pytest.skip("moto_server not installed (PyPI: moto[server])")
    cert, key = _self_signed_cert(tmp_path_factory.mktemp("tls"))
    port = free_port()
    server = subprocess.Popen(
        [
            str(moto),
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
            "--ssl-cert",
            str(cert),
            "--ssl-key",
            str(key),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # AWS managed policies (AmazonSSMManagedInstanceCore, ...) exist only when asked for.
        env=os.environ | {"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
    )
    endpoint = f"https://127.0.0.1:{port}"
    try:
        import httpx

        tls = ssl.create_default_context(cafile=str(cert))
        wait_until(
            lambda: httpx.get(endpoint, verify=tls, trust_env=False).status_code == 200, 30, "moto"
        )
        yield {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_CA_BUNDLE": str(cert),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "eu-west-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


def _client(aws: dict[str, str], service: str):  # type: ignore[no-untyped-def]
    import boto3

    return boto3.client(
        service,
        endpoint_url=aws["AWS_ENDPOINT_URL"],
        verify=aws["AWS_CA_BUNDLE"],
        region_name=aws["AWS_REGION"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _instances(state: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        i["attributes"] for r in state["resources"] if r["type"] == kind for i in r["instances"]
    ]


def _document(value: str | dict[str, Any]) -> dict[str, Any]:
    """An IAM policy document as IAM returns it: boto3 decodes some into dicts, not all."""
    return json.loads(value) if isinstance(value, str) else value


def _audit_read_back(aws: dict[str, str]) -> None:
    """bootstrap's audit module as AWS (moto) holds it: a logging, validated multi-region
    trail into a bucket only it may write, and GuardDuty reading the EKS audit logs."""
    cloudtrail = _client(aws, "cloudtrail")
    (trail,) = cloudtrail.describe_trails()["trailList"]
    assert trail["Name"] == "mlops-audit"
    assert trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"]
    assert trail["IncludeGlobalServiceEvents"]
    assert cloudtrail.get_trail_status(Name=trail["Name"])["IsLogging"]
    policy = json.loads(
        _client(aws, "s3").get_bucket_policy(Bucket=trail["S3BucketName"])["Policy"]
    )
    writes = [
        s
        for s in policy["Statement"]
        if s.get("Principal") == {"Service": "cloudtrail.amazonaws.com"}
    ]
    assert len(writes) == 2
    assert all(s["Condition"]["StringEquals"]["aws:SourceArn"] == trail["TrailARN"] for s in writes)
    guardduty = _client(aws, "guardduty")
    (detector,) = guardduty.list_detectors()["DetectorIds"]
    features = guardduty.get_detector(DetectorId=detector)["Features"]
    assert {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"} in [
        {"Name": f["Name"], "Status": f["Status"]} for f in features
    ]


def _policies_read_back(state: dict[str, Any], aws: dict[str, str]) -> None:
    """The bucket and repository policies as AWS (moto) holds them after the apply. The
    mock-provider tests cannot see them: there every aws_iam_policy_document renders as "{}"."""
    s3, ecr = _client(aws, "s3"), _client(aws, "ecr")
    buckets = _instances(state, "aws_s3_bucket_policy")
    assert buckets, "the dev root applies no bucket policy"
    for bucket in buckets:
        name = bucket["bucket"]
        (statement,) = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])["Statement"]
        assert statement["Sid"] == "DenyInsecureTransport"
        assert statement["Effect"] == "Deny" and statement["Action"] == "s3:*"
        assert statement["Principal"] == {"AWS": "*"} or statement["Principal"] == "*"
        assert sorted(statement["Resource"]) == [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    repositories = _instances(state, "aws_ecr_repository")
    assert len(repositories) == len(names())  # one per service of services.toml
    for repository in repositories:
        text = ecr.get_lifecycle_policy(repositoryName=repository["name"])["lifecyclePolicyText"]
        rules = json.loads(text)["rules"]
        assert [r["selection"]["tagStatus"] for r in rules] == ["untagged", "any"]
        assert all(r["action"] == {"type": "expire"} for r in rules)
        assert rules[0]["selection"]["countNumber"] > 0 and rules[1]["selection"]["countNumber"] > 0


def test_the_network_module_applies_and_its_flow_log_role_is_least_privilege(
    terraform: Terraform, tmp_path: Path, aws: dict[str, str]
) -> None:
    """The network module alone (dev applies it only with a cluster), flow logs on."""
    network = copy_terraform(tmp_path) / "modules" / "network"
    terraform.run(network, "init", "-input=false", "-backend=false", **aws)
    # A zone the region does not have is refused against what DescribeAvailabilityZones says.
    wrong = terraform.run(
        network, "plan", "-input=false", "-no-color",
        "-var", "name=mlops-net-test",
        "-var", 'availability_zones=["eu-west-1a", "eu-west-1z"]',
        check=False, **aws,
    )  # fmt: skip
    assert wrong.returncode != 0 and '["eu-west-1z"] are not available zones' in wrong.stderr
    terraform.run(
        network,
        "apply", "-auto-approve", "-input=false",
        "-var", "name=mlops-net-test",
        "-var", "cluster_name=mlops-net-test",
        "-var", 'availability_zones=["eu-west-1a", "eu-west-1b"]',
        "-var", "nat_gateway_mode=none",
        "-var", "enable_flow_logs=true",
        **aws,
    )  # fmt: skip
    state = json.loads((network / "terraform.tfstate").read_text())
    iam = _client(aws, "iam")
    (role,) = _instances(state, "aws_iam_role")
    trust = _document(iam.get_role(RoleName=role["name"])["Role"]["AssumeRolePolicyDocument"])
    (assume,) = trust["Statement"]
    assert assume["Effect"] == "Allow" and assume["Action"] == "sts:AssumeRole"
    assert assume["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    account = _client(aws, "sts").get_caller_identity()["Account"]
    assert assume["Condition"] == {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:eu-west-1:{account}:vpc-flow-log/*"},
    }
    (inline,) = _instances(state, "aws_iam_role_policy")
    document = iam.get_role_policy(RoleName=role["name"], PolicyName=inline["name"])
    (write,) = _document(document["PolicyDocument"])["Statement"]
    assert sorted(write["Action"]) == [
        "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"
    ]  # fmt: skip
    (group,) = _instances(state, "aws_cloudwatch_log_group")
    assert write["Resource"] == f"{group['arn']}:*", "the role may write to its own log group only"

    (flow_log,) = _instances(state, "aws_flow_log")
    assert flow_log["iam_role_arn"] == role["arn"] and flow_log["traffic_type"] == "REJECT"


def test_the_addon_roles_apply_and_each_can_do_only_its_job(
    terraform: Terraform, tmp_path: Path, aws: dict[str, str]
) -> None:
    module = copy_terraform(tmp_path) / "modules" / "addon_roles"
    terraform.run(module, "init", "-input=false", "-backend=false", **aws)
    terraform.run(
        module, "apply", "-auto-approve", "-input=false",
        "-var", "cluster_name=mlops-prod", "-var", "secrets_prefix=mlops/prod/",
        **aws,
    )  # fmt: skip
    iam = _client(aws, "iam")
    account = _client(aws, "sts").get_caller_identity()["Account"]
    cluster_arn = f"arn:aws:eks:eu-west-1:{account}:cluster/mlops-prod"
    policies = {}
    for name in ("cluster-autoscaler", "external-secrets"):
        role = iam.get_role(RoleName=f"mlops-prod-{name}")["Role"]
        (trust,) = _document(role["AssumeRolePolicyDocument"])["Statement"]
        assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
        assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
        assert trust["Condition"] == {
            "ArnEquals": {"aws:SourceArn": cluster_arn},
            "StringEquals": {"aws:SourceAccount": account},
        }
        document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name)
        policies[name] = {s["Sid"]: s for s in _document(document["PolicyDocument"])["Statement"]}

    scale = policies["cluster-autoscaler"]["ScaleOnlyThisClustersGroups"]
    assert sorted(scale["Action"]) == [
        "autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"
    ]  # fmt: skip
    owned = scale["Condition"]["StringEquals"]
    assert owned == {"aws:ResourceTag/k8s.io/cluster-autoscaler/mlops-prod": "owned"}
    nodegroups = policies["cluster-autoscaler"]["ReadThisClustersNodeGroups"]["Resource"]
    assert nodegroups == f"arn:aws:eks:eu-west-1:{account}:nodegroup/mlops-prod/*/*"
    discover = policies["cluster-autoscaler"]["DiscoverGroupsAndInstanceTypes"]["Action"]
    assert all(":Describe" in a or ":Get" in a for a in discover), "only reads may be unscoped"

    (read,) = policies["external-secrets"].values()
    assert read["Resource"] == f"arn:aws:secretsmanager:eu-west-1:{account}:secret:mlops/prod/*"
    reads = ("secretsmanager:Get", "secretsmanager:Describe", "secretsmanager:List")
    assert all(a.startswith(reads) for a in read["Action"])


def test_the_deploy_path_applies_a_closed_bastion_and_a_role_only_ci_can_take(
    terraform: Terraform, tmp_path: Path, aws: dict[str, str]
) -> None:
    ec2 = _client(aws, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    cluster_sg = ec2.create_security_group(GroupName="eks-cluster", Description="x", VpcId=vpc)
    repository = "arn:aws:ecr:eu-west-1:123456789012:repository/mlops-prod/bankchurn"
    module = copy_terraform(tmp_path) / "modules" / "deploy_access"
    terraform.run(module, "init", "-input=false", "-backend=false", **aws)
    terraform.run(
        module, "apply", "-auto-approve", "-input=false",
        "-var", "cluster_name=mlops-prod", "-var", "environment=prod",
        "-var", "github_repository=your-org/mlops-platform",
        "-var", f'repository_arns=["{repository}"]',
        "-var", "create_bastion=true", "-var", f"bastion_subnet_id={subnet}",
        "-var", f"vpc_id={vpc}", "-var", f"cluster_security_group_id={cluster_sg['GroupId']}",
        **aws,
    )  # fmt: skip
    state = json.loads((module / "terraform.tfstate").read_text())
    iam = _client(aws, "iam")

    role = iam.get_role(RoleName="mlops-prod-deployer")["Role"]
    (trust,) = _document(role["AssumeRolePolicyDocument"])["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"]["Federated"].endswith(
        ":oidc-provider/token.actions.githubusercontent.com"
    )
    assert trust["Condition"]["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:your-org/mlops-platform:environment:prod",
    }
    document = iam.get_role_policy(RoleName="mlops-prod-deployer", PolicyName="deploy")
    statements = {s["Sid"]: s for s in _document(document["PolicyDocument"])["Statement"]}
    (bastion,) = _instances(state, "aws_instance")
    tunnel = statements["TunnelThroughTheBastion"]
    assert tunnel["Action"] == "ssm:StartSession" and bastion["arn"] in tunnel["Resource"]
    assert statements["PushTheEnvironmentsImages"]["Resource"].endswith(
        "repository/mlops-prod/bankchurn"
    )

    (instance,) = ec2.describe_instances(InstanceIds=[bastion["id"]])["Reservations"][0][
        "Instances"
    ]
    assert "PublicIpAddress" not in instance and instance["SubnetId"] == subnet
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert instance["IamInstanceProfile"]["Arn"].endswith("instance-profile/mlops-prod-bastion")
    (own_sg,) = _instances(state, "aws_security_group")
    assert [g["GroupId"] for g in instance["NetworkInterfaces"][0]["Groups"]] == [own_sg["id"]]
    (group,) = ec2.describe_security_groups(GroupIds=[own_sg["id"]])["SecurityGroups"]
    assert group["IpPermissions"] == [], "the bastion takes no inbound traffic"
    assert [
        (p["IpProtocol"], p["FromPort"], p["ToPort"]) for p in group["IpPermissionsEgress"]
    ] == [("tcp", 443, 443)]
    (api,) = ec2.describe_security_groups(GroupIds=[cluster_sg["GroupId"]])["SecurityGroups"]
    inbound = [
        (p["FromPort"], [g["GroupId"] for g in p["UserIdGroupPairs"]]) for p in api["IpPermissions"]
    ]
    assert inbound == [(443, [own_sg["id"]])], "the private endpoint admits the bastion on 443"


class Prompted:
    """A terraform process whose output is collected in the background while it waits."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.output = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := self.process.stdout.read(1):
            self.output += chunk


def test_state_lives_in_the_bootstrapped_bucket_and_the_lock_is_exclusive(
    terraform: Terraform, tmp_path: Path, aws: dict[str, str]
) -> None:
    s3 = _client(aws, "s3")
    workdir = copy_terraform(tmp_path)

    # 1. bootstrap: the state bucket, with local state.
    bootstrap = workdir / "bootstrap"
    terraform.run(bootstrap, "init", "-input=false", **aws)
    terraform.run(
        bootstrap,
        "apply",
        "-auto-approve",
        "-input=false",
        "-var",
        f"state_bucket_name={STATE_BUCKET}",
        "-var",
        "owner=test@example.com",
        **aws,
    )
    assert s3.get_bucket_versioning(Bucket=STATE_BUCKET)["Status"] == "Enabled"
    sse = s3.get_bucket_encryption(Bucket=STATE_BUCKET)["ServerSideEncryptionConfiguration"]
    assert sse["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=STATE_BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=STATE_BUCKET)["TagSet"]}
    assert tags == {
        "project": "mlops",
        "env": "shared",
        "owner": "test@example.com",
        "managed-by": "terraform",
    }
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=STATE_BUCKET)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # Its content is verified above; removed, the bucket can serve as a backend under moto.
    _allow_under_moto(aws, STATE_BUCKET)
    _audit_read_back(aws)

    # 2. the dev root keeps its state in the bucket.
    dev = workdir / "envs" / "dev"
    backend = [
        f"-backend-config={kv}"
        for kv in (
            f"bucket={STATE_BUCKET}",
            f"key={STATE_KEY}",
            "region=eu-west-1",
            "use_path_style=true",
        )
    ]
    terraform.run(dev, "init", "-input=false", "-reconfigure", *backend, **aws)
    terraform.run(dev, "apply", "-auto-approve", "-input=false", *APPLY_VARS, **aws)
    state = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=STATE_KEY)["Body"].read())
    types = {r["type"] for r in state["resources"]}
    assert {"aws_ecr_repository", "aws_s3_bucket_versioning"} <= types
    _policies_read_back(state, aws)
    assert not (dev / "terraform.tfstate").exists(), "state must not be kept locally"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=STATE_BUCKET)["Contents"]}
    assert f"{STATE_KEY}.tflock" not in keys, "a finished apply releases its lock"

    # 3. an apply waiting for approval holds the lock ...
    first = Prompted(
        subprocess.Popen(
            [
                terraform.binary,
                "apply",
                "-no-color",
                *APPLY_VARS,
                "-var",
                'extra_tags={"lock-test"="1"}',
            ],
            cwd=dev,
            env=terraform.env | aws | {"TF_INPUT": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    )
    try:
        wait_until(
            lambda: "Enter a value" in first.output, 300, "the first apply to ask for approval"
        )
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=STATE_BUCKET)["Contents"]}
        assert f"{STATE_KEY}.tflock" in keys

        # ... so a second apply is refused with a lock error ...
        second = terraform.run(
            dev,
            *NO_WAIT_APPLY,
            check=False,
            **aws,
        )
        assert second.returncode != 0
        assert "Error acquiring the state lock" in second.stderr + second.stdout

        # ... until the first one is approved, finishes and releases it.
        assert first.process.stdin is not None
        first.process.stdin.write("yes\n")
        first.process.stdin.flush()
        assert first.process.wait(timeout=300) == 0, first.output
    finally:
        if first.process.poll() is None:
            first.process.kill()
    time.sleep(0.5)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=STATE_BUCKET)["Contents"]}
    assert f"{STATE_KEY}.tflock" not in keys
    retried = terraform.run(
        dev,
        *NO_WAIT_APPLY,
        **aws,
    )
    assert "Apply complete!" in retried.stdout


def _local_state_root(tmp_path: Path, env: str) -> Path:
    """An environment root whose state stays in a local file (its S3 backend is overridden)."""
    root = copy_terraform(tmp_path) / "envs" / env
    (root / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    return root


OCI_MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + "0" * 64,
            "size": 2,
        },
        "layers": [],
    }
)


def _allow_under_moto(aws: dict[str, str], bucket: str) -> None:
    """moto checks bucket policies without their conditions (s3/responses.py,
    get_permission), so the TLS-only Deny would refuse every request, TLS or not: it is
    removed (after its content has been checked) before the bucket is used."""
    _client(aws, "s3").delete_bucket_policy(Bucket=bucket)


def _fill_with_data(aws: dict[str, str], state: dict[str, Any]) -> tuple[str, list[str]]:
    """Objects in the artifact bucket and an image in every repository: what an environment
    holds after a day of use. (One version per key: moto_server answers 500 to the provider's
    DeleteObjects for several versions of one key, a moto fault that real S3 does not have.)"""
    s3, ecr = _client(aws, "s3"), _client(aws, "ecr")
    (bucket,) = [b["bucket"] for b in _instances(state, "aws_s3_bucket")]
    _allow_under_moto(aws, bucket)
    for service in names():
        s3.put_object(Bucket=bucket, Key=f"models/{service}/model.joblib", Body=b"model")
    repositories = [r["name"] for r in _instances(state, "aws_ecr_repository")]
    for name in repositories:
        ecr.put_image(repositoryName=name, imageManifest=OCI_MANIFEST, imageTag="v1")
    assert len(s3.list_object_versions(Bucket=bucket)["Versions"]) == len(names())
    return bucket, repositories


def test_dev_applies_and_destroys_with_data_in_its_bucket_and_repositories(
    terraform: Terraform, tmp_path: Path, aws: dict[str, str]
) -> None:
    dev = _local_state_root(tmp_path, "dev")
    project = ("-var", "project=teardown")  # apart from the other tests' resources on this moto
    terraform.run(dev, "init", "-input=false", **aws)
    terraform.run(dev, "apply", "-auto-approve", "-input=false", *APPLY_VARS, *project, **aws)
    bucket, repositories = _fill_with_data(aws, json.loads((dev / "terraform.tfstate").read_text()))
    assert len(repositories) == len(names())  # one per service of services.toml

    terraform.run(dev, "destroy", "-auto-approve", "-input=false", *APPLY_VARS, *project, **aws)
    s3, ecr = _client(aws, "s3"), _client(aws, "ecr")
    assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    left = {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}
    assert not left & set(repositories)


def test_prod_refuses_to_destroy_its_artifacts(
    terraform: Terraform, tmp_path: Path, aws: dict[str, str]
) -> None:
    prod = _local_state_root(tmp_path, "prod")
    project = ("-var", "project=keepsafe")
    terraform.run(prod, "init", "-input=false", **aws)
    terraform.run(prod, "apply", "-auto-approve", "-input=false", *APPLY_VARS, *project, **aws)
    bucket, _ = _fill_with_data(aws, json.loads((prod / "terraform.tfstate").read_text()))
    done = terraform.run(
        prod, "destroy", "-auto-approve", "-input=false", "-no-color", *APPLY_VARS, *project,
        check=False, **aws,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Instance cannot be destroyed" in done.stderr
    s3 = _client(aws, "s3")
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    assert len(versions) == len(names()), "prod data was touched"


@pytest.mark.parametrize("force_destroy", [False, True])
def test_only_force_destroy_lets_a_bucket_with_data_be_destroyed(
    terraform: Terraform, tmp_path: Path, aws: dict[str, str], force_destroy: bool
) -> None:
    module = copy_terraform(tmp_path) / "modules" / "s3_bucket"
    flag = str(force_destroy).lower()
    variables = ("-var", f"name=forced-{flag}", "-var", f"force_destroy={flag}")
    terraform.run(module, "init", "-input=false", "-backend=false", **aws)
    terraform.run(module, "apply", "-auto-approve", "-input=false", *variables, **aws)
    bucket = f"forced-{flag}"
    _allow_under_moto(aws, bucket)
    _client(aws, "s3").put_object(Bucket=bucket, Key="a", Body=b"x")
    done = terraform.run(module, "destroy", "-auto-approve", "-input=false", "-no-color",
                         *variables, check=False, **aws)  # fmt: skip
    if force_destroy:
        assert done.returncode == 0, done.stderr
    else:
        assert done.returncode != 0 and "BucketNotEmpty" in done.stderr


def test_destroy_protection_comes_and_goes_without_replacing_the_bucket(
    terraform: Terraform, tmp_path: Path, aws: dict[str, str]
) -> None:
    """prevent_destroy adds and removes a guard beside one bucket address: protecting never
    recreates the bucket, and lifting the protection takes a deliberate state rm."""
    module = copy_terraform(tmp_path) / "modules" / "s3_bucket"
    bucket = "guarded-artifacts"

    def tf(
        command: str, *, protect: bool, force: bool = False, out: str = ""
    ) -> subprocess.CompletedProcess[str]:
        flags = ("-var", f"name={bucket}", "-var", f"prevent_destroy={str(protect).lower()}",
                 "-var", f"force_destroy={str(force).lower()}")  # fmt: skip
        extra = ("-auto-approve",) if command in ("apply", "destroy") else ("-detailed-exitcode",)
        extra += (f"-out={out}",) if out else ()
        return terraform.run(
            module, command, "-input=false", "-no-color", *extra, *flags, check=False, **aws
        )

    terraform.run(module, "init", "-input=false", "-backend=false", **aws)
    assert tf("apply", protect=False).returncode == 0
    s3 = _client(aws, "s3")
    created = {b["Name"]: b["CreationDate"] for b in s3.list_buckets()["Buckets"]}[bucket]

    # Unprotected to protected: the guard is added, the bucket is untouched.
    protect = tf("apply", protect=True)
    assert "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." in protect.stdout
    _allow_under_moto(aws, bucket)
    s3.put_object(Bucket=bucket, Key="models/model.joblib", Body=b"model")
    refused = tf("destroy", protect=True)
    assert refused.returncode != 0 and "Instance cannot be destroyed" in refused.stderr

    # The variable alone cannot lift the protection ...
    flipped = tf("plan", protect=False)
    assert flipped.returncode == 1 and "Instance cannot be destroyed" in flipped.stderr
    # ... the documented state rm of the guard can, and leaves the bucket as it is.
    terraform.run(module, "state", "rm", "terraform_data.destroy_guard[0]", **aws)
    assert tf("plan", protect=False, out="lifted.tfplan").returncode in (0, 2)
    shown = terraform.run(module, "show", "-json", "lifted.tfplan", **aws)
    actions = {
        c["address"]: c["change"]["actions"] for c in json.loads(shown.stdout)["resource_changes"]
    }
    assert actions["aws_s3_bucket.this"] == ["no-op"], "lifting the protection changed the bucket"
    # (moto's bucket policy was removed above, so the plan adds it back; nothing else moves.)
    assert {a for a, act in actions.items() if act != ["no-op"]} <= {
        "aws_s3_bucket_policy.tls_only"
    }
    assert {b["Name"]: b["CreationDate"] for b in s3.list_buckets()["Buckets"]}[bucket] == created
    assert s3.get_object(Bucket=bucket, Key="models/model.joblib")["Body"].read() == b"model"

    # Now it can be made disposable in place, and destroyed.
    disposable = tf("apply", protect=False, force=True)
    assert "1 changed, 0 destroyed." in disposable.stdout  # (and moto's policy re-added)
    _allow_under_moto(aws, bucket)
    assert tf("destroy", protect=False, force=True).returncode == 0
    assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
