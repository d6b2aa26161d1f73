"""``python -m optimizer.cli``: the same as the ``bienestar`` command (handy with PYTHONPATH checkouts)."""

from optimizer.cli import main

main()
