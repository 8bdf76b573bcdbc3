"""Errors a user can act on. The CLI prints their message and exits non-zero, without a traceback."""


class CuratorError(Exception):
    """Base for every error whose message is meant for the user."""

    exit_code = 1


class WorkspaceNotFound(CuratorError):
    pass


class WorkspaceExists(CuratorError):
    pass


class ConfigError(CuratorError):
    pass


class StoreError(CuratorError):
    pass


class SchemaTooNew(StoreError):
    pass


class CorruptDatabase(StoreError):
    pass

