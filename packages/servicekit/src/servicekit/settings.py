"""Runtime configuration, read from the environment (the Kubernetes ConfigMap/Secret)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit.artifacts import MODEL_FILE

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class ServiceSettings(BaseSettings):
    """Settings shared by every service; each service gets its defaults from its name."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    service_name: str = Field(default="service", description="Set by the service, not the env.")
    model_dir: Path = Field(default=Path("models"), description="Root of trained artifacts.")
    model_path: Path | None = Field(
        default=None, description="Explicit served model; default MODEL_DIR/<service>/model.npz."
    )
    log_level: LogLevel = "INFO"
    log_json: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Serve /metrics on this port of HOST instead of on PORT: a port no ingress "
        "route reaches, which only Prometheus may scrape (the NetworkPolicies). Unset: on PORT.",
    )
    max_batch_size: int = Field(default=1000, ge=1, le=100_000)
    native_threads: int = Field(default=1, ge=1, le=64)
    graceful_shutdown_seconds: int = Field(default=20, ge=0, le=600)
    # Longer than any proxy in front keeps an idle connection to us (Traefik here: 60 s; AWS
    # ALB: 60 s): the proxy, not the app, must close an idle connection, or a request sent
    # just as the app closes it gets a 502.
    keep_alive_seconds: int = Field(default=75, ge=1, le=3600)
    cpu_request_millicores: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000,
        description="This pod's CPU request (Kubernetes downward API, divisor 1m), published as "
        "pod_cpu_request_cores so dashboards show CPU as the HPA sees it, in every overlay.",
    )
    # Fail closed: with AUTH=keys (the default) the process refuses to start without a key;
    # AUTH=open is the explicit dev mode (make serve, compose, the unit tests).
    auth: Literal["keys", "open"] = "keys"
    api_keys_file: Path | None = Field(
        default=None,
        description="One `<client> <sha256 of key>` per line (servicekit.keys); re-read when it "
        "changes, so keys rotate without a restart.",
    )
    api_key: SecretStr | None = Field(
        default=None, description="One more key, client name `default` (simple setups, tests)."
    )
    max_body_bytes: int | None = Field(
        default=None,
        ge=1024,
        le=256 * 1024 * 1024,
        description="Largest request body; default 1 KiB per MAX_BATCH_SIZE row, at least 64 KiB.",
    )
    max_in_flight: int = Field(
        default=32,
        ge=1,
        le=10_000,
        description="Predictions served at once; more get a fast 503 with Retry-After.",
    )
    docs: bool = Field(
        default=True, description="Serve /docs (Swagger UI, its assets from a CDN); off in prod."
    )

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_none(cls, value: object) -> object:
        # An empty Secret value (the placeholder in git) means "no key", not "the empty key".
        return None if value in ("", None) else value

    @model_validator(mode="after")
    def _ports_differ(self) -> "ServiceSettings":
        if self.metrics_port == self.port:
            raise ValueError(f"METRICS_PORT {self.metrics_port} is PORT too; give it its own port")
        return self

    @property
    def body_limit(self) -> int:
        return self.max_body_bytes or max(64 * 1024, self.max_batch_size * 1024)

    @property
    def resolved_model_path(self) -> Path:
        return self.model_path or self.model_dir / self.service_name / MODEL_FILE


@lru_cache
def get_settings(service_name: str) -> ServiceSettings:
    """Cached per service; tests call `get_settings.cache_clear()` or pass settings explicitly."""
    return ServiceSettings(service_name=service_name)


def settings_error(exc: ValidationError) -> str:
    """One line for a setting the environment gave out of range: its variable and why."""
    first = exc.errors()[0]
    # A check across settings (a model validator) has no field and names its variables itself.
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{str(first['loc'][0]).upper()}: {message}" if first["loc"] else message
