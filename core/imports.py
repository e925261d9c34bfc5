"""One lock for imports of heavy packages made while a server runs.

Two threads importing scikit-learn, pandas, plotly or torch at once can see each other's
half-made modules (seen on a fresh dashboard server: plotly's ``add_annotation`` raised
AttributeError; narwhals' import deadlocked). Whoever imports such packages after start-up
(the dashboard's first page runs, its warm-up, the pocket model's image tower) holds
:data:`IMPORTING` meanwhile. Re-entrant: an import under it may lead to another.
"""

from __future__ import annotations

import threading

IMPORTING = threading.RLock()
