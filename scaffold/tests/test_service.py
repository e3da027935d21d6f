"""new-service and remove-service refuse before they write, and put everything back when a
step fails after writing began."""

import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from registry.services import REPO, Registry, registry
from scaffold import fit
from scaffold.infer import infer
from scaffold.service import ScaffoldError, _answers, check_name, new_service, remove_service


def copy_tree(dest: Path) -> Path:
    """The repository's files (tracked and untracked, not ignored) under `dest`."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode()  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source, target = REPO / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # as git keeps it: the link, not what it points to
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    return dest


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".venv" not in p.parts
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Red-Wine", "must be 2-31 lowercase letters and digits"),
        ("prometheus", "is taken by the platform itself"),
        ("numpy", "is taken by an installed Python package"),
        ("json", "is taken by an installed Python package"),
    ],
)
def test_a_name_that_cannot_be_a_service_is_refused(name: str, message: str) -> None:
    with pytest.raises(ScaffoldError, match=message):
        check_name(name, REPO)


def test_a_folder_that_is_not_registered_is_not_overwritten(tmp_path: Path) -> None:
    shutil.copy2(REPO / "services.toml", tmp_path / "services.toml")
    (tmp_path / "services" / "wine").mkdir(parents=True)
    with pytest.raises(ScaffoldError, match=r"services/wine exists but is not in services\.toml"):
        check_name("wine", tmp_path)


@pytest.fixture(scope="module")
def cancer_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.datasets import load_breast_cancer

    path = tmp_path_factory.mktemp("data") / "breast_cancer.csv"
    load_breast_cancer(as_frame=True).frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def wine_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.datasets import load_wine

    path = tmp_path_factory.mktemp("data") / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(path, index=False)
    return path


def test_multiclass_answers_name_the_class_the_strongest_input_moves_alone(
    wine_csv: Path,
) -> None:
    """The generated directional test needs a class whose probability an input moves one way
    whatever the other classes do: one whose weight on it no other class's weight shares the
    sign of."""
    inferred = infer(wine_csv, "target")
    strongest = yaml.safe_load(_answers("wine", wine_csv, inferred)["spec"])["strongest"]
    weights = [inferred.class_weights[c][strongest["column"]] for c in inferred.target.classes]
    mine = weights.pop(strongest["code"])
    assert mine == strongest["weight"] and abs(mine) >= 0.1
    assert all(w * mine <= 0 for w in weights)
    assert strongest["label"] == inferred.target.labels[strongest["code"]]
    assert strongest["low"] < strongest["high"]


def test_binary_answers_carry_no_multiclass_keys(cancer_csv: Path) -> None:
    """As before multiclass: a service scaffolded then compares equal on a second run."""
    spec = yaml.safe_load(_answers("cancer", cancer_csv, infer(cancer_csv, "target"))["spec"])
    assert not {"class_weights", "class_score_std"} & set(spec)
    assert not {"labels", "shares"} & set(spec["target"])
    assert set(spec["strongest"]) == {"name", "column", "weight", "low", "high"}


@pytest.mark.parametrize(("name", "csv"), [("cancer", "cancer_csv"), ("wine", "wine_csv")])
def test_a_step_that_fails_after_writing_began_leaves_every_byte_as_it_was(
    tmp_path: Path, name: str, csv: str, request: pytest.FixtureRequest
) -> None:
    """`uv lock` is the step that fails here (UV is a program that exits 1): the skeleton
    (rendered and passing ruff, binary and multiclass), services.toml and every generated
    file were written by then, and must all be undone."""
    root = copy_tree(tmp_path / "repo")
    os.symlink(REPO / ".venv", root / ".venv")  # ruff, for the skeleton; nothing installs
    before = snapshot(root)
    with pytest.raises(ScaffoldError, match=r"^uv lock failed"):
        new_service(name, request.getfixturevalue(csv), "target", root=root, uv="false",
                    train=False)  # fmt: skip
    assert not (root / "services" / name).exists()
    assert snapshot(root) == before


def test_removing_a_service_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    root = copy_tree(tmp_path / "repo")
    with pytest.raises(ScaffoldError, match=r"^services\.toml has no service 'wine'$"):
        remove_service("wine", root=root, uv="false")


def _grown(reg: Registry, count: int) -> Registry:
    extra = [replace(reg.services[-1], name=f"extra{i}") for i in range(count)]
    return Registry((*reg.services, *extra))


def test_a_fourth_service_fits_a_2_cpu_node_and_too_many_are_refused_saying_how_many_fit() -> None:
    reg = registry()
    four = fit.fit_of(_grown(reg, 1))
    assert four.fits, f"{four}"
    most = len(reg.names) + 1 + (four.budget - four.peak) // four.per_api
    too_many = fit.fit_of(_grown(reg, most - len(reg.names) + 1))
    assert not too_many.fits
    message = fit.refusal(too_many, most + 1)
    assert message.endswith(f": {most} services fit") and "\n" not in message
    assert fit.fit_of(_grown(reg, most - len(reg.names))).fits, "exactly `most` fit"
