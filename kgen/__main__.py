"""``python -m kgen ...`` and ``torchrun ... -m kgen train ...``: the kgen command line."""

from kgen.cli_app import main

if __name__ == "__main__":
    main()
