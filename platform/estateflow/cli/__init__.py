"""The ``estateflow`` command: check, schema, demo.

Layer: the top; it may import everything below it.
"""

from estateflow.cli._main import main

__all__ = ("main",)
