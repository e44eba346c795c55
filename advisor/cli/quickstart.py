"""Start-up shortcuts the CLI takes before anything imports pydantic (benchmarks/plan_latency.py measures them).

pydantic looks for plugins the first time it builds a validator: `pydantic.plugin._loader` imports
`importlib.metadata` (and with it email, zipfile, socket, ...: ~30 ms, 8 % of a cold `plan`) even when
PYDANTIC_DISABLE_PLUGINS tells it to load none. The advisor uses no plugins, so unless the user set the variable to
load some on purpose, the CLI turns them off and puts a loader in place that returns none; any other name asked of
it loads the real module, so a pydantic release that needs more of it still works.
"""

from __future__ import annotations

import importlib
import os
import sys
import types

LOADER = "pydantic.plugin._loader"
OFF = ("__all__", "1", "true")  # the values pydantic's own loader treats as "no plugins"


def skip_pydantic_plugin_scan() -> bool:
    """Turn pydantic's plugins off unless the user chose otherwise; True when the shortcut loader is in place."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] not in OFF or LOADER in sys.modules:
        return False
    sys.modules[LOADER] = _NoPlugins(LOADER)
    return True


class _NoPlugins(types.ModuleType):
    def get_plugins(self):  # what pydantic calls; `PYDANTIC_DISABLE_PLUGINS` is read again as the real one does
        if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in OFF:
            return ()
        return self._real().get_plugins()

    def __getattr__(self, name: str):
        if name.startswith("__"):  # the import system probing (__path__, ...): this is a plain module
            raise AttributeError(name)
        return getattr(self._real(), name)

    def _real(self):
        if sys.modules.get(LOADER) is self:
            del sys.modules[LOADER]
        return importlib.import_module(LOADER)
