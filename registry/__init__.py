"""The registry of services (services.toml) and everything derived from it."""

from registry.services import (
    Platform,
    Registry,
    RegistryError,
    Service,
    load,
    names,
    platform,
    registry,
)

__all__ = [
    "Platform",
    "Registry",
    "RegistryError",
    "Service",
    "load",
    "names",
    "platform",
    "registry",
]
