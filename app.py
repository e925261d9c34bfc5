"""Emotion Atlas: the Streamlit entry point. A router and a frame, nothing more."""

from ui.frame import run_app
from ui.warmup import start_umap_warm_up

run_app()
start_umap_warm_up()  # after the page is drawn: UMAP's first click then finds it compiled
