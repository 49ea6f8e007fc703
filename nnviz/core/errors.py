"""Exceptions the core raises for a user's mistake or bad input.

Each message says what happened and what to do; the CLI prints it as one line, the window
shows it in a message box. Anything else escaping the core is a bug.
"""

from __future__ import annotations


class RunInterrupted(Exception):
    """A trainer's stop flag was set during a long evaluation (the window is closing): not an error,
    so it is no NnvizError; the worker that set the flag just ends."""


class NnvizError(Exception):
    """Base class of every error caused by the user's input or files."""


class DatasetError(NnvizError):
    """A data set is missing, unreadable, truncated or malformed."""


class ModelFileError(NnvizError):
    """A model file cannot be read or does not match its architecture."""


class ConfigError(NnvizError):
    """A setting or configuration file is invalid; the message names the field."""


class ExportError(NnvizError):
    """A figure could not be written."""
