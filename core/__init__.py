"""Emotion Atlas core library: encoders, intake, cache, emotions, projections, transfer.

Never imports streamlit: pages, the CLI (``python -m core``) and tests call the same code.
Importing the package itself is cheap: torch and open_clip load with the modules that use
them (``core.registry`` adds the project's own architectures to open_clip's registry), so
a process that only projects vectors never pays for them.
"""
