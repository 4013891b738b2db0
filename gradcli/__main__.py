"""``python -m gradcli`` and the ``gradcli`` console script.

Ctrl-C is handled before anything heavy is imported: the imports of click, lark
and rich take tens of milliseconds, and a Ctrl-C among them must still be a quiet
exit 130, not a KeyboardInterrupt traceback.
"""

from gradcli.support.interrupt import exit_on_interrupt


def main() -> None:
    exit_on_interrupt()
    from gradcli.cli.app import cli_main as run

    run()


if __name__ == "__main__":
    main()
