"""gradcli: a command-line gradient calculator and path-sum explainer."""

__version__ = "0.1.0"
