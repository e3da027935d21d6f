"""`make new-service` and `make remove-service`: services in and out of the platform."""
