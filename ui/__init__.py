"""Streamlit-only glue: cached loaders, the shared sidebar, bilingual strings."""
