"""Run a service under uvicorn: pinned threads, JSON logs, graceful SIGTERM handling."""

import signal

from servicekit.definition import ServiceDefinition
from servicekit.settings import ServiceSettings, get_settings
from servicekit.threads import pin_native_threads


def serve(definition: ServiceDefinition, settings: ServiceSettings | None = None) -> None:
    settings = settings or get_settings(definition.name)
    pin_native_threads(settings.native_threads)

    import uvicorn

    from servicekit.api import create_app
    from servicekit.logging import configure_logging

    configure_logging(definition.name, settings.log_level, settings.log_json)
    # uvicorn re-raises the signal it shut down on once it is done; with these handlers in
    # place that re-raise is a no-op, so a graceful SIGTERM ends with exit code 0.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    # uvicorn turns SIGTERM into a graceful shutdown: stop accepting, finish in-flight
    # requests (up to the timeout), then run the lifespan shutdown that drops readiness.
    uvicorn.run(
        create_app(definition, settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        timeout_keep_alive=settings.keep_alive_seconds,
        server_header=False,
    )
