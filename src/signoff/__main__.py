"""``python -m signoff``: the same command line as ``signoff`` (``signoff.cli.main``)."""

from signoff.cli.main import main

if __name__ == "__main__":
    main()
