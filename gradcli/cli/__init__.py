"""The command line: the click group and error-to-exit-code mapping (app.py), one module per command."""
