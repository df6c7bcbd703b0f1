"""The project's entry file: ``python -m cli ...`` from a checkout runs the ``kgen`` command line.

The app itself lives in :mod:`kgen.cli_app` (installed as the ``kgen`` script and as
``python -m kgen``); this file is not packaged, so no top-level module named ``cli`` is installed
to collide with another project's.
"""

from kgen.cli_app import app, main, run

__all__ = ["app", "main", "run"]

if __name__ == "__main__":
    main()
