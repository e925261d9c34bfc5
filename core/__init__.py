"""Emotion Atlas core library: encoders, intake, cache, emotions, projections, transfer.

Never imports streamlit: pages, the CLI (``python -m core``) and tests call the same code.
Importing the package itself is cheap: torch and open_clip load with the modules that use
them (``core.registry.open_clip_module`` adds the project's own architectures to
open_clip's registry on first use), so a process that only projects vectors, or reads
sentences with the pocket model (``core.pocket.encoder``), never pays for them.
"""
