"""The registry of services (services.toml) and everything derived from it."""

from registry.services import Registry, RegistryError, Service, load, names, registry

__all__ = ["Registry", "RegistryError", "Service", "load", "names", "registry"]
