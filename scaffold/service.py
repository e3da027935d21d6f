"""`make new-service` and `make remove-service`: a service in, a service out, every touch point
regenerated, and nothing half-written.

Everything that can refuse (the name, the CSV, the task, the room on a small host) is checked
before the first write. The writes (the service's folder, services.toml, the generated files,
the lock) are then made under a journal of every file's previous bytes: a failing step puts
them all back and removes what was created.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from registry import entries, generate
from registry.services import REPO, RegistryError, load, parse
from registry.services import check_name as check_registry_name
from scaffold import fit
from scaffold.infer import InferError, Inferred, NumericInput, infer

TEMPLATE = Path(__file__).resolve().parent / "template"
ANSWERS = ".copier-answers.yml"


class ScaffoldError(ValueError):
    """The service cannot be added or removed; one line says why."""


def _run(args: list[str], what: str, cwd: Path) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise ScaffoldError(f"{what} failed: {last[0]}")
    return done.stdout


@contextmanager
def journal(root: Path, created: list[Path]) -> Iterator[dict[Path, bytes | None]]:
    """Record files before they change (journal[path] = old bytes, None if new); on an
    exception put every one back and remove every path in `created`."""
    saved: dict[Path, bytes | None] = {}
    try:
        yield saved
    except BaseException:
        for path, old in saved.items():
            if old is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(old)
        for path in created:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(
                missing_ok=True
            )
        raise


def _save(saved: dict[Path, bytes | None], *paths: Path) -> None:
    for path in paths:
        if path not in saved:
            saved[path] = path.read_bytes() if path.is_file() else None


def _touched(root: Path) -> list[Path]:
    """Every file a regeneration or a lock may change."""
    paths = {root / p for p in generate.expected(load(root / "services.toml"), root)}
    owned = [p for d in generate.OWNED_DIRS if (root / d).is_dir() for p in (root / d).iterdir()]
    return sorted(paths | set(owned) | {root / "uv.lock", root / "services.toml"})


def _answers(name: str, data: Path, inferred: Inferred) -> dict[str, Any]:
    spec = asdict(inferred)
    if inferred.target.task == "multiclass":
        spec["strongest"] = _strongest_class(inferred)
    else:
        # Binary and regression answers read as they did before multiclass, so a service
        # scaffolded then still compares equal on a second run.
        for key in ("class_weights", "class_score_std"):
            del spec[key]
        for key in ("labels", "shares"):
            del spec["target"][key]
        numeric = [i for i in inferred.numeric if i.column in inferred.weights]
        strongest = max(numeric, key=lambda i: abs(inferred.weights[i.column]), default=None)
        spec["strongest"] = _strongest(strongest, inferred) if strongest else None
    return {
        "name": name,
        "title": f"{name.capitalize()} prediction API",
        "task": inferred.target.task,
        "dataset": data.name,
        "target": inferred.target.name,
        "spec": yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=1000),
    }


def _strongest(i: NumericInput, inferred: Inferred) -> dict[str, Any] | None:
    weight = inferred.weights[i.column]
    # A tenth of a logit (or of the target's spread) per standard deviation is too faint to
    # assert a direction on a few thousand rows.
    scale = 1.0 if inferred.target.task == "binary" else max(inferred.noise, 1e-9)
    if abs(weight) < 0.1 * scale:
        return None
    return _moved(i, weight)


def _moved(i: NumericInput, weight: float) -> dict[str, Any] | None:
    """The input moved from its 10th to its 90th percentile (quantiles at 5 % steps), if those
    differ."""
    low, high = i.quantiles[len(i.quantiles) // 10], i.quantiles[-1 - len(i.quantiles) // 10]
    if low == high:
        return None
    return {"name": i.name, "column": i.column, "weight": weight, "low": low, "high": high}


def _strongest_class(inferred: Inferred) -> dict[str, Any] | None:
    """The numeric input and class with the largest weight that no other class's weight on
    that input shares the sign of (the one positive, or the one negative). Raising the input
    then moves that class's probability its way whatever the other scores are: the
    derivative p_k (w_k - sum_j p_j w_j) keeps w_k's sign when every other w_j is on the
    other side of zero, and the generator's rescaling of each score by a positive factor
    keeps every sign."""
    target = inferred.target
    found: list[tuple[float, NumericInput, int, float]] = []
    for i in inferred.numeric:
        weights = [inferred.class_weights[c].get(i.column, 0.0) for c in target.classes]
        for code, weight in enumerate(weights):
            alone = all(w * weight <= 0 for k, w in enumerate(weights) if k != code)
            # A tenth of a logit per standard deviation is too faint, as for binary.
            if alone and abs(weight) >= 0.1:
                found.append((abs(weight), i, code, weight))
    for _, i, code, weight in sorted(found, key=lambda f: f[0], reverse=True):
        moved = _moved(i, weight)
        if moved is not None:
            return moved | {"code": code, "label": target.labels[code]}
    return None


def check_name(name: str, root: Path) -> None:
    """Refuse a name the registry refuses, one already taken, or one that would shadow a package."""
    current = load(root / "services.toml")
    if name in current.names:
        return  # the same service again: new_service compares the answers
    try:
        check_registry_name(name)
    except RegistryError as exc:
        raise ScaffoldError(str(exc)) from None
    if (root / "services" / name).exists():
        raise ScaffoldError(
            f"services/{name} exists but is not in services.toml; move it away first"
        )
    found = importlib.util.find_spec(name) if name.isidentifier() else None
    if found is not None:
        raise ScaffoldError(
            f"name {name!r} is taken by an installed Python package ({found.origin}), "
            "which a service's package would shadow"
        )


def _relative_source(answers: Path, root: Path) -> None:
    """Record the template as a path from the repository root: the same in every clone."""
    text = answers.read_text(encoding="utf-8")
    relative = os.path.relpath(TEMPLATE, root)
    answers.write_text(text.replace(f"_src_path: {TEMPLATE}", f"_src_path: {relative}"), "utf-8")


def _ruff(root: Path, folder: Path) -> None:
    ruff = str(root / ".venv" / "bin" / "ruff")
    _run([ruff, "format", "--quiet", "--no-cache", str(folder)], "ruff format", root)
    _run([ruff, "check", "--fix", "--quiet", "--no-cache", "--output-format=concise", str(folder)],
         "ruff check", root)  # fmt: skip
    _run([ruff, "format", "--quiet", "--no-cache", str(folder)], "ruff format", root)


def _lock(root: Path, uv: str) -> None:
    _run([uv, "lock", "--quiet"], "uv lock", root)
    _run([uv, "sync", "--locked", "--all-packages", "--quiet"], "uv sync", root)


def new_service(
    name: str, data: Path, target: str, task: str | None = None, root: Path = REPO,
    uv: str = "uv", train: bool = True,
) -> list[str]:  # fmt: skip
    """Scaffold, register, regenerate, lock and (optionally) train; returns what to edit next."""
    from copier import run_copy

    check_name(name, root)
    try:
        inferred = infer(data, target, task)
    except InferError as exc:
        raise ScaffoldError(str(exc)) from None
    answers = _answers(name, data, inferred)
    folder = root / "services" / name
    registry_text = (root / "services.toml").read_text(encoding="utf-8")
    current = parse(registry_text)
    if name in current.names:
        recorded = folder / ANSWERS
        old = yaml.safe_load(recorded.read_text()) if recorded.is_file() else None
        mine = {k: v for k, v in (old or {}).items() if not k.startswith("_")}
        if mine != answers | {"spec": yaml.safe_load(answers["spec"])}:
            raise ScaffoldError(f"service {name!r} exists, scaffolded from other answers; "
                                f"`make remove-service NAME={name}` first")  # fmt: skip
    else:
        # The test session trains on generated rows: at least 2,000 (the API tests sample a
        # thousand), at most 8,000 (a quick session), the file's size between.
        rows = min(max(inferred.rows, 2_000), 8_000)
        entry = entries.render_entry(
            name, inferred.target.task, f"{inferred.target.name} from {data.name}",
            f"*{data.name}* → `{inferred.target.name}`", inferred.rows, rows,
            "Scaffolded: the registry's default range. Measure with `make capacity` and set "
            "hpa.max here.",
        )  # fmt: skip
        registry_text = entries.add(registry_text, entry)
        grown = parse(registry_text)
        room = fit.fit_of(grown, root)
        if not room.fits:
            raise ScaffoldError(fit.refusal(room, len(grown.names)))

    created = [] if folder.exists() else [folder]
    openapi = root / "docs" / "openapi" / f"{name}.json"
    with journal(root, created) as saved:
        _save(saved, *_touched(root), openapi)
        if created:  # a second run keeps the folder as it is: it may hold the user's edits
            run_copy(str(TEMPLATE), str(folder), data=answers, defaults=True, quiet=True,
                     unsafe=False)  # fmt: skip
            _relative_source(folder / ANSWERS, root)
            _ruff(root, folder)
        (root / "services.toml").write_text(registry_text, encoding="utf-8")
        grown = load(root / "services.toml")
        _save(saved, *_touched(root))
        generate.write(grown, root)
        _lock(root, uv)
        cli = root / ".venv" / "bin" / name
        openapi.write_text(_run([str(cli), "openapi"], f"{name} openapi", root))
    if train:
        out = root / "models" / name
        _run([str(root / ".venv" / "bin" / name), "train", "--data", str(data), "--out", str(out)],
             f"{name} train", root)  # fmt: skip
    return [
        f"services/{name}/src/{name}/service.py: intended_use and out_of_scope (the model card)",
        f"services/{name}/src/{name}/features.py: derived features, if any",
        f"services/{name}/src/{name}/model.py: the estimator's settings",
        f"services/{name}/src/{name}/data.py: the effects the generator plants, and their tests",
        f"services.toml: {name}'s summary, HPA range and resources (then `make generate`)",
    ]


def remove_service(name: str, root: Path = REPO, uv: str = "uv") -> None:
    """Take `name` out of the registry, its folder and contract out of the tree, regenerate."""
    text = (root / "services.toml").read_text(encoding="utf-8")
    try:
        smaller = entries.remove(text, name)
        parse(smaller)  # what is left must still be a registry
    except RegistryError as exc:
        raise ScaffoldError(str(exc)) from None
    folder = root / "services" / name
    # Out of the workspace before the lock (its members are services/*), back if a step fails.
    parked = root / f".{name}.removing"
    with journal(root, []) as saved:
        _save(saved, *_touched(root))
        if folder.is_dir():
            folder.rename(parked)
        try:
            (root / "services.toml").write_text(smaller, encoding="utf-8")
            generate.write(load(root / "services.toml"), root)
            _lock(root, uv)
        except BaseException:
            if parked.is_dir():
                parked.rename(folder)
            raise
    shutil.rmtree(parked, ignore_errors=True)
    for leftover in (root / "docs" / "openapi" / f"{name}.json", root / "data" / f"{name}.csv",
                     root / "data" / f"{name}.csv.generated.json"):  # fmt: skip
        leftover.unlink(missing_ok=True)
    shutil.rmtree(root / "models" / name, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m scaffold")
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="scaffold a service from a CSV")
    new.add_argument("--name", required=True)
    new.add_argument("--data", required=True, type=Path)
    new.add_argument("--target", required=True)
    new.add_argument("--task", choices=("binary", "multiclass", "regression"))
    new.add_argument("--no-train", action="store_true")
    remove = commands.add_parser("remove", help="remove a service")
    remove.add_argument("--name", required=True)
    args = parser.parse_args(argv)
    uv = os.environ.get("UV", "uv")
    try:
        if args.command == "new":
            edits = new_service(args.name, args.data, args.target, args.task, uv=uv,
                                train=not args.no_train)  # fmt: skip
            done = "registered, generated, locked" + ("" if args.no_train else " and trained")
            print(f"new-service: {args.name} is {done}. Yours to edit next:")
            for line in edits:
                print(f"  {line}")
        else:
            remove_service(args.name, uv=uv)
            print(f"remove-service: {args.name} removed and every touch point regenerated")
    except (ScaffoldError, RegistryError, OSError, RuntimeError) as exc:
        print(f"{args.command}-service: {exc}", file=sys.stderr)
        return 2
    return 0
