"""Moving from the current platform: importing a capx-backend ``dumpdata`` export into CapX.

The export is one JSON array of ``{"model", "pk", "fields"}`` objects (``manage.py dumpdata --all
--natural-foreign``). Production files are about 200 MB, so the file is streamed, twice:

1. :mod:`.scan` reads every row once, checks its shape and every reference (a malformed file is
   refused before anything is written, naming the row), and keeps in memory only what later steps
   look up: the small tables (capacities, organizations, badges, partners...) and a compact entry
   per account (:mod:`.index`).
2. :mod:`.plan` matches that index against CapX (capacities, territories, organizations, badges,
   people), renumbers CapX rows the old platform lacks above its highest ids (:mod:`.ids`), and
   writes the small tables.
3. :mod:`.stream` reads the file again and writes the per-person rows (profiles, languages,
   saved items, badges, events, reports, messages, applications) in batches.

Every imported row is recorded with its old model and id (``imported_row``, :mod:`.records`; a
streamed batch as the range of its keys) in the batch that wrote it; the caller commits after each
batch. A second run therefore changes nothing,
and a run that stopped resumes. :mod:`.report` counts what happened to every row read; the mapping
rules live in :mod:`.mapping`. Nothing here reads the request; services flush, the CLI commits.
"""
