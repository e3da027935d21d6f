"""Domain errors. Central handlers in `servicekit.api.handlers` map them to HTTP."""


class ServiceError(Exception):
    """Base for errors that carry an HTTP status and a stable machine-readable code."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelNotReadyError(ServiceError):
    status_code = 503
    code = "model_not_ready"


class NotFoundError(ServiceError):
    status_code = 404
    code = "not_found"


class ArtifactError(Exception):
    """A model artifact is missing, unreadable or does not belong to this service."""


class DataError(Exception):
    """Training data cannot be used; the message says what is wrong in one line."""


class ConfigError(ValueError):
    """The settings cannot give a safe service; the message says what to set."""
