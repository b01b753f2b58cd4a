"""EstateFlow: property-management procedures declared as YAML, run by a generic engine.

Layers, top to bottom (each imports only from the ones below it):
``cli`` → ``web`` | ``worker`` → ``services`` → ``store`` | ``engine`` → ``definitions``
→ ``fields`` → ``rules`` → ``calendar`` → ``errors``.
"""

__version__ = "0.1.0"
