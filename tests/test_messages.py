"""Core's messages are codes and values: every one has a Chinese template, and no plain
English reason is raised where a user reads it."""

from __future__ import annotations

import ast
import importlib
import pickle
import string
import time
from pathlib import Path

import pytest

import core.datasets
import core.embedding
import core.emotions
import core.folders
import core.images
import core.models
import core.pocket.towers
import core.projection
import core.registry
import core.scale
import core.store
import core.texts
from core.messages import EN, Message, joined, message_of
from ui.messages_zh import ZH

CORE = Path(core.images.__file__).resolve().parent
REFUSALS = {"ImageRejected", "TextRejected", "DatasetRejected", "FolderRefused"}


def _import_every_module_that_defines_messages() -> None:
    for path in sorted(CORE.rglob("*.py")):
        if "define(" in path.read_text(encoding="utf-8") and path.name != "__main__.py":
            parts = path.relative_to(CORE.parent).with_suffix("").parts
            importlib.import_module(".".join(p for p in parts if p != "__init__"))


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def test_every_code_has_a_chinese_template_with_the_same_placeholders():
    _import_every_module_that_defines_messages()
    assert set(ZH) - set(EN) == set(), "Chinese templates without an English code"
    assert set(EN) - set(ZH) == set(), "codes without a Chinese template"
    for code, template in EN.items():
        assert _fields(ZH[code]) == _fields(template), code


def test_chinese_templates_fill_in_like_the_english_ones():
    """Each template accepts the values its English one was made from (format specs too)."""
    samples = {
        "mb": 70.5,
        "limit": 64,
        "pixels": 200_000_000,
        "count": 3,
        "rest": 5,
        "asked": 30.0,
        "used": 2.3,
        "n_samples": 8,
        "n_components": 2,
        "n_neighbors": 12,
        "minimum": 4,
        "bound": 5,
        "tokens": 90,
        "shape": (3,),
    }
    for code, template in EN.items():
        values = {field: samples.get(field, "x") for field in _fields(template)}
        assert ZH[code].format(**values), code
        assert Message(code, **values) == template.format(**values)


def test_a_message_is_its_english_text_and_keeps_its_code_through_pickle():
    message = Message("image.too_large", mb=70.0, limit=64.0)
    assert message == "the file is 70.0 MB, over the 64 MB limit"
    copy = pickle.loads(pickle.dumps(message))
    assert isinstance(copy, Message) and copy.code == "image.too_large"
    assert copy.values == {"mb": 70.0, "limit": 64.0}


def test_joined_messages_keep_each_part():
    parts = [Message("model.missing_weights", repo="a/b"), Message("model.missing_transformers")]
    together = joined(parts)
    assert together == "weights of a/b; the `transformers` package (pip install transformers)"
    assert together.code == "list.semicolons" and together.values["first"].code == parts[0].code
    assert joined([]) == "" and joined(parts[:1]) is parts[0]


def test_garbage_bytes_are_refused_with_an_image_code():
    with pytest.raises(core.images.ImageRejected) as caught:
        core.images.decode_image(b"not a picture", "x.png")
    reason = caught.value.args[0]
    assert isinstance(reason, Message) and reason.code.startswith("image.")
    assert message_of(caught.value) is reason


def test_empty_and_blank_texts_carry_messages():
    for text, code in (("", "text.empty"), ("  \u200b\n", "text.only_whitespace")):
        with pytest.raises(core.texts.TextRejected) as caught:
            core.texts.check_text(text, len, 77)
        assert isinstance(caught.value.args[0], Message) and caught.value.args[0].code == code


def test_too_large_k_is_a_projection_message():
    with pytest.raises(ValueError, match="Lower k") as caught:
        core.projection.check_params("lle", n_samples=10, n_components=2, n_neighbors=10)
    reason = caught.value.args[0]
    assert isinstance(reason, Message) and reason.code == "projection.too_many_neighbors"
    assert reason.values == {"n_samples": 10, "n_neighbors": 10}


def test_projection_notices_are_messages():
    vectors = [[float(i), float(i % 3), float(i % 5)] for i in range(8)] * 2
    projector = core.projection.Projector(method="pca").fit(vectors)
    assert [n.code for n in projector.notices_] == ["projection.duplicates"]
    assert projector.notices_[0].values == {"count": 8}


def test_folder_refusals_do_not_show_server_paths(tmp_path, monkeypatch):
    allowed = tmp_path / "pictures"
    (allowed / "joy").mkdir(parents=True)
    monkeypatch.setenv(core.folders.ROOTS_ENV, str(allowed))
    for root, relative in (
        (allowed, "../secret"),
        (allowed, "/etc"),
        (allowed, "no/such/folder"),
        (allowed, "C:\\Windows"),
        (tmp_path / "elsewhere", "joy"),
    ):
        with pytest.raises(core.folders.FolderRefused) as caught:
            core.folders.resolve_folder(root, relative)
        reason = caught.value.args[0]
        assert isinstance(reason, Message) and reason.code.startswith("folder."), reason
        assert str(tmp_path) not in reason
        assert not any(str(tmp_path) in str(value) for value in reason.values.values())
    with pytest.raises(core.folders.FolderRefused, match="'no/such' in pictures"):
        core.folders.resolve_folder(allowed, "no/such")


def test_upload_refusals_are_messages():
    sources, refused = core.datasets.expand_uploads(
        [("a.png", b"1"), ("b.png", b"2"), ("bad.zip", b"nope")], max_files=1
    )
    assert len(sources) == 1
    assert [reason.code for _, reason in refused] == ["zip.not_a_zip", "dataset.too_many_files"]
    assert refused[1][0].code == "dataset.extra_files" and refused[1][0] == "1 files"


def test_model_details_name_no_server_paths(tmp_path):
    checkpoint = tmp_path / "weights.safetensors"
    for name in (f"ViT-B-32@{checkpoint}", f"local-dir:{tmp_path}"):
        availability = core.registry.check_availability(core.registry.resolve_model(name))
        assert isinstance(availability.detail, Message)
        assert str(tmp_path) not in availability.detail, availability.detail


def _parse(path: Path) -> ast.Module:
    """Parse one source file, riding out CPython 3.11's racy AST depth counter.

    On 3.11 the counter that ``ast.parse`` checks is shared by the whole interpreter, so a
    background thread building an AST at the same moment (an import, numba in the UMAP
    warm-up) can make a correct file raise ``SystemError: AST constructor recursion depth
    mismatch`` (python/cpython#106905). A real syntax error is a ``SyntaxError`` and is not
    retried.
    """
    source = path.read_text(encoding="utf-8")
    for _ in range(4):
        try:
            return ast.parse(source, filename=str(path))
        except SystemError:
            time.sleep(0.05)
    return ast.parse(source, filename=str(path))


def _plain_refusals(path: Path) -> list[str]:
    found = []
    for node in ast.walk(_parse(path)):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
        args = node.exc.args
        if name in REFUSALS and args and isinstance(args[0], (ast.Constant, ast.JoinedStr)):
            found.append(f"{path.relative_to(CORE.parent)}:{node.lineno} raise {name}(...)")
    return found


def test_no_refusal_is_raised_with_plain_text():
    found = [line for path in sorted(CORE.rglob("*.py")) for line in _plain_refusals(path)]
    assert found == [], "raise these with a Message:\n" + "\n".join(found)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_dashboard_names_no_server_folder_in_either_language(monkeypatch, language):
    import ui.i18n

    monkeypatch.setattr(ui.i18n, "current_language", lambda: language)
    folder = "assets/models/secret_place"
    for detail in (
        Message("model.loads_from", folder=folder),
        Message("model.pocket_missing", folder=folder),
        Message("model.folder_incomplete", folder=folder, config="open_clip_config.json"),
        Message("model.checkpoint_missing", file=folder + "/w.safetensors"),
    ):
        said = ui.i18n.say(Message("model.unavailable", name="mine", detail=detail))
        assert "secret_place" not in said and said.startswith("mine"), said
        assert ("服务器" in said) == (language == "zh"), said
    # everything else is said as core says it
    plain = Message("image.too_large", mb=70.0, limit=64.0)
    assert ui.i18n.say(plain) == (
        plain if language == "en" else ZH[plain.code].format(mb=70.0, limit=64.0)
    )
