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
LEARN_K_RANGE = (3, 80)  # the Learn page's slider: large k shows the short circuits
# LLE folds every separate group of its k-NN graph onto one spot (the bundled gallery: 232
# pictures on 3 spots at k = 8, 10 at k = 12, spread out from k = 25). Projector(auto_k=True)
# then raises k, up to this, until the map spreads; beyond it a "local" patch would be
# most of a small collection.
AUTO_K_LIMIT = 100
LEGIBLE_SPREAD = 0.5  # share of points with a place of their own that makes a map readable
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
# The sentences a first visit sees (Atlas, Transfer). The pocket model ships their vectors
# (core.pocket.encoder), so a first map needs no text tower.
ATLAS_SENTENCES = (
    "我爱你",
    "I love you",
    "our dog died this morning",
    "航空公司弄丢了我的行李",
    "好开心，终于放假了",
)
TRANSFER_SENTENCE = "我爱你"
SHIPPED_SENTENCES = tuple(dict.fromkeys((*ATLAS_SENTENCES, TRANSFER_SENTENCE)))
MAX_SENTENCE_CHARS = 500  # one sentence typed on the Transfer page
MAX_UPLOAD_FILES = 500  # pictures in one upload (zips expanded)


def max_k(n_items: int, high: int = K_RANGE[1]) -> int:
    """The largest neighbour count a slider offers for ``n_items`` points: n − 2 (LLE needs
    k below the number of distinct points), at most ``high``, and always above the
    slider's lowest k (a slider needs a range; 5 items get 3–4, fewer are refused by the
    pages before anything is fitted)."""
    low = K_RANGE[0]
    return max(low + 1, min(high, n_items - 2))
