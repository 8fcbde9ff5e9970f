"""drgsim's version: one place for the package, the `--version` flag and run manifests."""

__version__ = "0.1.0"
