"""Run a service under uvicorn: pinned threads, JSON logs, graceful SIGTERM handling."""

import signal

from servicekit.definition import ServiceDefinition
from servicekit.errors import ConfigError
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
    app = create_app(definition, settings)
    if settings.metrics_port is not None:
        from prometheus_client import start_http_server

        # Its own listener in a daemon thread: the API port then has no /metrics at all, so
        # no route through the ingress can reach the per-input counters.
        try:
            start_http_server(settings.metrics_port, settings.host, app.state.metrics_registry)
        except OSError as exc:
            raise ConfigError(f"METRICS_PORT {settings.metrics_port}: {exc.strerror}") from None
    # uvicorn turns SIGTERM into a graceful shutdown: stop accepting, finish in-flight
    # requests (up to the timeout), then run the lifespan shutdown that drops readiness.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=settings.graceful_shutdown_seconds,
        timeout_keep_alive=settings.keep_alive_seconds,
        server_header=False,
    )
