"""``neptune.internal``: the few names of the Neptune client's internals that integrations
and user code import (``verify_type``, ``join_paths``, ``ContainerState``, ``require_installed``).
Nothing of nepnb's own machinery lives here."""
