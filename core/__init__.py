"""Emotion Atlas core library: encoders, intake, cache, emotions, projections, transfer.

Never imports streamlit: pages, the CLI (``python -m core``) and tests call the same code.
"""

from pathlib import Path

import open_clip

# The project's own architectures (assets/models/configs/*.json) join open_clip's registry,
# so they load through exactly the same code as ViT-B-32.
_CONFIGS = Path(__file__).resolve().parent.parent / "assets" / "models" / "configs"
if _CONFIGS.is_dir():
    open_clip.add_model_config(_CONFIGS)
