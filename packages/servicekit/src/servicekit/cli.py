"""Per-service command line: `<service> generate | train | drift | serve | openapi`.

Errors a user can fix (missing file, bad CSV, wrong columns) end with exit code 2 and one
line on stderr that says what is wrong. `drift` exits 1 when an input has drifted.
"""

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from servicekit.artifacts import MODEL_FILE
from servicekit.definition import ServiceDefinition
from servicekit.drift import PSI_THRESHOLD
from servicekit.errors import ArtifactError, ConfigError, DataError


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def build_parser(definition: ServiceDefinition) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=definition.name, description=definition.title)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a seeded synthetic dataset with the real header")
    gen.add_argument("--rows", type=_at_least(100), default=10_000)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--out", type=Path, default=Path("data") / f"{definition.name}.csv")

    train = sub.add_parser("train", help="train, evaluate, track in MLflow, write the artifact")
    train.add_argument("--data", type=Path, default=Path("data") / f"{definition.name}.csv")
    train.add_argument("--out", type=Path, default=Path("models") / definition.name)
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--cv-folds", type=_at_least(2), default=5)
    train.add_argument("--experiment", default=definition.name, help="MLflow experiment name")
    train.add_argument("--no-mlflow", action="store_true", help="skip MLflow tracking")

    drift = sub.add_parser(
        "drift",
        help="PSI per input of a CSV against the model's training reference; exit 1 on drift",
    )
    drift.add_argument("--current", type=Path, required=True, help="CSV of recent inputs")
    drift.add_argument("--model", type=Path, default=Path("models") / definition.name / MODEL_FILE)
    drift.add_argument("--out", type=Path, default=Path("reports") / "drift" / definition.name)
    drift.add_argument("--threshold", type=_positive, default=PSI_THRESHOLD,
                       help="PSI over which an input is drifted (default %(default)s)")  # fmt: skip

    serve = sub.add_parser("serve", help="serve the API (settings from the environment)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    sub.add_parser("openapi", help="print the OpenAPI document the API serves (settings as serve)")
    return parser


def run(definition: ServiceDefinition, argv: Sequence[str] | None = None) -> int:
    args = build_parser(definition).parse_args(argv)
    try:
        if args.command == "generate":
            from servicekit.training.data import write_generated

            path = write_generated(definition, args.rows, args.seed, args.out)
            print(f"wrote {args.rows} rows to {path}")
        elif args.command == "train":
            from servicekit.training.train import TrainConfig, train

            train(
                definition,
                TrainConfig(
                    data=args.data,
                    out_dir=args.out,
                    seed=args.seed,
                    cv_folds=args.cv_folds,
                    experiment=args.experiment,
                    track=not args.no_mlflow,
                ),
            )
        elif args.command == "drift":
            from servicekit.training import drift_report

            return drift_report.run(definition, args.model, args.current, args.out, args.threshold)
        elif args.command == "openapi":
            print(json.dumps(_openapi(definition), indent=2))
        else:
            from servicekit.serve import serve
            from servicekit.settings import ServiceSettings

            overrides = {k: v for k in ("host", "port") if (v := getattr(args, k)) is not None}
            serve(definition, ServiceSettings(service_name=definition.name, **overrides))
    except (DataError, ArtifactError, FileNotFoundError, ConfigError) as exc:
        print(f"{definition.name} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:  # a setting from the environment out of range
        from servicekit.settings import settings_error

        print(f"{definition.name} {args.command}: error: {settings_error(exc)}", file=sys.stderr)
        return 2
    return 0


def _openapi(definition: ServiceDefinition) -> dict[str, Any]:
    from servicekit.api import create_app
    from servicekit.api.docs import openapi_document
    from servicekit.settings import ServiceSettings

    # The lifespan never runs, so no model is loaded: the document does not depend on one. It
    # is the contract of a keyed service (AUTH=keys, the default): the key only declares that.
    settings = ServiceSettings(service_name=definition.name, api_key="declares-the-key-scheme")
    return openapi_document(create_app(definition, settings))


def entrypoint(definition: ServiceDefinition) -> Callable[[], None]:
    """The console-script `main` of a service package."""

    def main() -> None:
        sys.exit(run(definition))

    return main
