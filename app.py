"""Emotion Atlas: the Streamlit entry point. A router and a frame, nothing more."""

from ui.frame import run_app

run_app()  # first: the navigation reaches the browser before the heavy imports below

from ui.warmup import start_umap_warm_up  # noqa: E402 - imported after the page on purpose

start_umap_warm_up()  # after the page is drawn: UMAP's first click then finds it compiled
