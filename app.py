"""Emotion Atlas: the Streamlit entry point. A router and a frame, nothing more."""

from ui.frame import ATLAS_MODULES, import_page_modules, run_app

run_app()  # first: the navigation reaches the browser before the heavy imports below

from ui.warmup import start_umap_warm_up  # noqa: E402

import_page_modules(ATLAS_MODULES, status=False)  # after the page: Home's visitor reads
start_umap_warm_up()  # then, when the server is quiet: UMAP's first click finds it compiled
