"""PD resources: the catalog synced from provider plugins, searched live and aligned to elements.

:mod:`.providers` calls providers (all at once, each bounded by a timeout, failures pinned on
them); :mod:`.catalogs` syncs their catalogs and retires what they dropped; :mod:`.admin` is the
audited refresh (command line and mutation); :mod:`.library` reads the synced catalog; :mod:`.search`
merges live and synced answers. May import the services kernel, models, plugin types,
:mod:`..frameworks` and :mod:`..people` (the audit of admin changes).
"""
