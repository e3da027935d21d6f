"""Container entry point: `python3 -m servicekit.container` serves the service named by $SERVICE.

One exec-form ENTRYPOINT for every image (exec form cannot expand variables), with the
Python process as PID 1 so SIGTERM reaches uvicorn's graceful shutdown directly.

`--check` loads the baked-in model and its card, runs its warm-up prediction and builds the
app, then exits: the image build runs it, so an image whose model, card or imports are broken
fails to build, and the modules serving imports are byte-compiled into the image on the way.
"""

import os
import sys

from servicekit.definition import ServiceDefinition, load_definition


def _definition() -> ServiceDefinition:
    try:
        return load_definition(os.environ.get("SERVICE", ""))
    except (ValueError, ImportError) as exc:
        raise SystemExit(f"servicekit.container: SERVICE: {exc}") from exc


def check(definition: ServiceDefinition) -> None:
    from servicekit.api import create_app
    from servicekit.runtime import ModelRuntime
    from servicekit.settings import get_settings

    settings = get_settings(definition.name)
    runtime = ModelRuntime(definition)
    runtime.load(settings.resolved_model_path)
    if not runtime.ready:
        raise SystemExit(f"servicekit.container: {definition.name} not ready: {runtime.error}")
    if runtime.card is None:
        raise SystemExit(f"servicekit.container: {definition.name} has no MODEL_CARD.md beside "
                         f"{settings.resolved_model_path}")  # fmt: skip
    # The image has no keys (pods mount them): the check builds the app in the open mode.
    create_app(definition, settings.model_copy(update={"auth": "open"}), runtime)
    print(f"{definition.name}: model {runtime.version} loaded and warmed up")


def main(argv: list[str]) -> int:
    definition = _definition()
    if argv == ["--check"]:
        check(definition)
        return 0
    if argv:
        raise SystemExit(f"servicekit.container: unknown arguments {argv}; only --check")
    from pydantic import ValidationError

    from servicekit.errors import ConfigError
    from servicekit.serve import serve
    from servicekit.settings import settings_error

    try:
        serve(definition)
    except ConfigError as exc:  # no keys and AUTH=keys, a bad keys file
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"error: {settings_error(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
