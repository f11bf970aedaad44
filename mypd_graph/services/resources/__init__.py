"""PD resources: the district's library synced from provider plugins, searched and aligned to elements.

May import the services kernel, models, plugin types and :mod:`..frameworks`.
"""
