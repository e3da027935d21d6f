"""Fixtures the registry's tests share with other suites."""

from terraform.tests.conftest import terraform

__all__ = ["terraform"]  # the installed CLI, offline providers when the machine has a mirror
