"""Student-score importer for delimited files.

A skeleton for now: the importer contract and the presets (NWEA MAP Growth, CAASPP CERS and TOMS,
i-Ready) are built under issue 3. It is installed and discovered like any other plugin so that the
plugin path is exercised from day one.
"""
