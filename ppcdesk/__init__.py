"""ppcdesk: a local-first desk for pay-per-call publishers and buyers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ppcdesk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

APP_NAME = "ppcdesk"
