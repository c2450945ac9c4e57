"""The ``signoff`` command line: its commands and the work behind them."""
