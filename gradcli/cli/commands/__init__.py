"""One module per command; each defines ``command``.  Registered in ``gradcli.cli.COMMANDS``."""
