"""The product's defaults and limits, in one place: every module and page reads them here.

Change a value here and the CLI, the dashboard and the benchmarks follow. Each number has
its reason beside it.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The bundled gallery: pictures, their captions and emotions (assets/gallery/README.md).
GALLERY_DIR = PROJECT_ROOT / "assets" / "gallery"
GALLERY_IMAGES = GALLERY_DIR / "images"
GALLERY_METADATA = GALLERY_DIR / "metadata.csv"

# Maps (core.projection, core.atlas): LLE's neighbour count and regulariser.
K = 12  # neighbours of the atlas map; adapts down for small collections (see max_k)
K_RANGE = (3, 40)  # what the Atlas slider offers, before adapting to the collection
REG = 1e-3  # sklearn's default for LLE; the Atlas page offers 1e-4 ... 1e-1
REG_CHOICES = (1e-4, 1e-3, 1e-2, 1e-1)

# Placement of a sentence among pictures (core.transfer): the mood board.
BOARD_K = 8  # neighbours that reconstruct a sentence (the mood board)
BOARD_K_MAX = 16

# Picture sizes (pixels, longest side).
MAP_THUMBNAIL = 64  # a thumbnail drawn on the map
PICTURE_SIZE = 256  # a picture kept in a session for the selected item and the boards
BOARD_TILE = 96  # one tile of the mood board figure
INTAKE_THUMBNAIL = 128  # core.images.make_thumbnail's default
MAP_THUMBNAIL_LIMIT = 300  # more layout images than this make the browser sluggish

# Pixel transfer (core.recolour): results above this many pixels are scaled down to it,
# and the work runs in bands of rows, so one click's memory is bounded on any input.
MAX_RESULT_PIXELS = 24_000_000  # 6000 x 4000
BAND_ROWS = 256

# Input limits.
MAX_TEXTS = 50  # sentences on one map
MAX_SENTENCE_CHARS = 500  # one sentence typed on the Transfer page
MAX_UPLOAD_FILES = 500  # pictures in one upload (zips expanded)


def max_k(n_items: int) -> int:
    """The largest neighbour count a map of ``n_items`` points supports (at least 3)."""
    low, high = K_RANGE
    return max(low, min(high, n_items - 2))
