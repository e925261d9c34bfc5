"""Safe image intake and text intake on a generated corpus of good and bad inputs."""

from __future__ import annotations

import re

import numpy as np
import pytest
from make_corpus import EXPECTED, corpus_bytes
from PIL import Image

from core.images import (
    ImageRejected,
    decode_image,
    load_image_file,
    make_thumbnail,
    thumbnail_png,
)
from core.texts import TextRejected, check_text

GOOD = sorted(name for name, expected in EXPECTED.items() if expected == "ok")
BAD = sorted(name for name, expected in EXPECTED.items() if expected != "ok")


@pytest.mark.parametrize("name", GOOD)
def test_good_files_decode_to_rgb(corpus, name):
    item = load_image_file(corpus[name])
    assert item.image.mode == "RGB"
    assert item.image.width >= 1 and item.image.height >= 1
    assert re.fullmatch(r"[0-9a-f]{64}", item.sha256)


@pytest.mark.parametrize("name", BAD)
def test_bad_files_are_refused_with_their_reason(corpus, name):
    with pytest.raises(ImageRejected, match=EXPECTED[name]):
        load_image_file(corpus[name])


def test_format_is_decided_by_content_not_name():
    data = corpus_bytes()
    assert decode_image(data["renamed_png.jpg"]).source_format == "PNG"
    with pytest.raises(ImageRejected, match="text file"):
        decode_image(data["notes_as_image.jpg"])


def test_exif_orientation_is_applied():
    item = decode_image(corpus_bytes()["rotated_exif6.jpg"])
    assert item.image.size == (40, 80)  # stored 80×40, orientation 6 turns it upright


def test_sixteen_bit_greys_are_rescaled_not_clipped():
    # 4000 / 65535 of full scale is dark grey; a naive convert() would give white (255).
    pixel = decode_image(corpus_bytes()["deep_16bit.png"]).image.getpixel((5, 5))
    assert pixel == (16, 16, 16)


def test_transparency_becomes_white_and_colours_survive():
    picture = decode_image(corpus_bytes()["palette_alpha.png"]).image
    assert picture.getpixel((2, 2)) == (200, 30, 30)
    assert picture.getpixel((30, 2)) == (255, 255, 255)


def test_cmyk_is_converted_to_the_same_colour():
    red, green, blue = decode_image(corpus_bytes()["cmyk.jpg"]).image.getpixel((10, 10))
    assert red > 200 and green < 60 and blue < 60


def test_animated_gif_keeps_first_frame_and_says_so():
    item = decode_image(corpus_bytes()["animated.gif"])
    assert item.image.getpixel((0, 0)) == (255, 0, 0)
    assert "first frame" in item.note


def test_pillow_bomb_limit_is_untouched(corpus):
    assert Image.MAX_IMAGE_PIXELS == 89_478_485
    with pytest.raises(ImageRejected):
        load_image_file(corpus["bomb_40000x40000.png"])
    assert Image.MAX_IMAGE_PIXELS == 89_478_485


def test_image_just_over_the_warning_limit_is_refused(monkeypatch):
    # A real picture over the limit, scaled down by lowering the limit for this test.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50 * 50)
    data = corpus_bytes()["photo.jpg"]  # 96×64 = 6,144 pixels: above 2,500, below 2×
    with pytest.raises(ImageRejected, match="6,144 pixels"):
        decode_image(data)


def test_missing_file_is_a_reason_not_a_crash(tmp_path):
    with pytest.raises(ImageRejected, match="could not read"):
        load_image_file(tmp_path / "nope.png")


def test_thumbnails_keep_aspect_and_bound_size():
    picture = Image.new("RGB", (400, 100), (1, 2, 3))
    thumb = make_thumbnail(picture, 128)
    assert thumb.size == (128, 32)
    assert picture.size == (400, 100)
    assert Image.open(__import__("io").BytesIO(thumbnail_png(picture))).size == (128, 32)


def _count_tokens(text: str) -> int:
    return len(text.split()) + 2


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\x00\x00", "\u200b \u200b"])
def test_empty_texts_are_refused(text):
    with pytest.raises(TextRejected, match="empty|whitespace"):
        check_text(text, _count_tokens, 77)


def test_long_text_is_kept_and_flagged():
    item = check_text("love " * 200, _count_tokens, 77)
    assert item.truncated and item.tokens == 202
    assert "truncated" in item.note


def test_control_characters_are_removed_scripts_kept():
    item = check_text("我爱你\x00 I love you 😍\x07", _count_tokens, 77)
    assert item.text == "我爱你  I love you 😍"
    assert not item.truncated


def test_real_tokenizer_flags_overlong_text(tiny_encoder):
    short = check_text("我爱你", tiny_encoder.count_tokens, tiny_encoder.context_length)
    long = check_text("joy " * 100, tiny_encoder.count_tokens, tiny_encoder.context_length)
    assert not short.truncated
    assert long.truncated and long.tokens > tiny_encoder.context_length


def test_decoding_is_deterministic():
    data = corpus_bytes()["photo.jpg"]
    first = np.asarray(decode_image(data).image)
    second = np.asarray(decode_image(data).image)
    assert np.array_equal(first, second)
