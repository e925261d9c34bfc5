"""Command line: ``python -m core models | embed | download``.

Every failure a user can cause ends in one sentence on stderr and a non-zero exit code,
never a traceback: 2 for a bad request (unknown model, model not available offline),
1 when nothing could be embedded.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from core import defaults

EXIT_NOTHING_EMBEDDED = 1
EXIT_BAD_REQUEST = 2


def _progress_printer(label: str):
    def report(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{label}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr)

    return report


def _cache(args: argparse.Namespace):
    """The embedding cache the command asked for, or None (no cache) with a one-line note
    when that folder cannot be used: an unusable cache never fails the work."""
    from core.embedding import usable_cache

    if getattr(args, "no_cache", False):
        return None
    cache, reason = usable_cache(args.cache_dir)
    if cache is None:
        print(f"note: {reason}", file=sys.stderr)
    return cache


def command_models(args: argparse.Namespace) -> int:
    from core.registry import list_presets, text_tower_of

    rows = list_presets()
    if args.json:
        for spec, availability in rows:
            record = {
                "name": spec.name,
                "status": availability.status,
                "usable": availability.usable,
                "download_mb": availability.download_mb,
                "multilingual": spec.multilingual,
                "text_tower": text_tower_of(spec),
                "detail": availability.detail,
            }
            print(json.dumps(record, ensure_ascii=False))
        return 0
    width = max(len(spec.name) for spec, _ in rows)
    for spec, availability in rows:
        mark = "ready" if availability.usable else availability.status
        print(f"{spec.name:<{width}}  {mark:<8}  {spec.label}")
        if text_tower_of(spec) or not availability.usable:
            print(f"{'':<{width}}            {availability.detail}")
    if args.all:
        from core.registry import open_clip_module

        open_clip = open_clip_module()
        print("\nopen_clip architectures (use ARCH/TAG, ARCH@FILE or ARCH@random):")
        print("  " + ", ".join(open_clip.list_models()))
    return 0


def command_embed(args: argparse.Namespace) -> int:
    from core.embedding import embed_paths, embed_texts
    from core.export import embeddings_npz, write_file
    from core.models import load_encoder
    from core.store import StoreWriter, is_store

    if not args.paths and not args.texts:
        print("Nothing to embed: give image files or folders, or --texts.", file=sys.stderr)
        return EXIT_BAD_REQUEST
    if args.engine == "ray":
        from core.scale import require_ray

        require_ray()  # no Ray: say how to install it before any model is loaded
    encoder = load_encoder(args.model, allow_download=args.allow_download, speedup=args.speedup)
    cache = _cache(args)
    writer = StoreWriter(args.out, encoder.model_id, encoder.dim) if is_store(args.out) else None
    store = {"sink": writer.write, "skip": writer.written} if writer else {}
    if writer is not None and writer.reused:
        print(f"note: {writer.reused} items kept from an unfinished run", file=sys.stderr)
    if args.engine == "ray":
        from core.scale import embed_paths_on_ray

        result = embed_paths_on_ray(
            args.paths,
            encoder,
            args.model,
            cache=cache,
            progress=_progress_printer("images"),
            address=args.address,
            workers=args.workers,
            batch_size=args.batch_size,
            speedup=args.speedup,
            gpus_per_worker=args.gpus_per_worker,
            **store,
        )
    else:
        result = embed_paths(
            args.paths,
            encoder,
            cache=cache,
            batch_size=args.batch_size,
            progress=_progress_printer("images"),
            **store,
        )
    if args.texts:
        texts = embed_texts(args.texts, encoder, cache=cache, progress=_progress_printer("texts"))
        if writer is not None:
            writer.write(texts)
        result = result + texts
    for name, reason in result.rejected:
        print(f"refused {name}: {reason}", file=sys.stderr)
    for name, note in zip(result.names, result.notes, strict=True):
        if note:
            print(f"note {name}: {note}", file=sys.stderr)
    reused = writer.reused if writer is not None else 0
    if len(result) == 0 and not reused:
        print(f"Nothing could be embedded: {result.summary()}.", file=sys.stderr)
        return EXIT_NOTHING_EMBEDDED
    if writer is not None:
        writer.close()
    else:
        write_file(args.out, embeddings_npz(result))
    kept = f", {reused} kept from an unfinished run" if reused else ""
    print(f"{result.summary()}{kept} with {encoder.model_id} (dim {encoder.dim}) → {args.out}")
    return 0


def command_download(args: argparse.Namespace) -> int:
    from core.models import download_weights
    from core.registry import check_availability, resolve_model

    spec = resolve_model(args.model)
    availability = check_availability(spec)
    if availability.usable:
        print(f"{spec.name} is already available: {availability.detail}")
        return 0
    if availability.status != "download":
        print(f"{spec.name}: {availability.detail}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    path = download_weights(spec)
    print(f"Downloaded {spec.name} to {path}")
    return 0


def _load_images(paths):
    from core.images import ImageRejected, iter_files, load_image_file

    pictures, refused = [], []
    for path in iter_files(paths):
        try:
            pictures.append(load_image_file(path))
        except ImageRejected as error:
            refused.append((str(path), str(error)))
    for name, reason in refused:
        print(f"refused {name}: {reason}", file=sys.stderr)
    return pictures


def _rounded(labels, values) -> dict[str, float]:
    return {label: round(float(value), 4) for label, value in zip(labels, values, strict=True)}


def _pictures(paths, encoder, cache):
    """Pictures of ``paths``: ``.parquet`` stores are read as they are (their pictures
    embedded by ``python -m core embed``), everything else is embedded now."""
    from core.embedding import embed_paths
    from core.messages import Message
    from core.store import is_store, read_store

    stores = [path for path in paths if is_store(path)]
    result = embed_paths(
        [path for path in paths if not is_store(path)],
        encoder,
        cache=cache,
        progress=_progress_printer("images"),
    )
    for path in stores:
        stored = read_store(path, kinds=("image",))
        if len(stored) and stored.model_id != encoder.model_id:
            raise ValueError(
                Message(
                    "store.other_model", path=path, stored=stored.model_id, current=encoder.model_id
                )
            )
        stored.model_id = encoder.model_id
        stored.rejected = []  # the store's own refusals were reported when it was written
        result = result + stored
    return result


def _embed_request(args: argparse.Namespace, paths, texts):
    """Label set, encoder and embeddings (refusals printed) for the emotions/atlas commands."""
    from core.embedding import embed_texts
    from core.emotions import load_label_set
    from core.models import load_encoder

    label_set = load_label_set(args.labels)
    encoder = load_encoder(args.model, allow_download=args.allow_download, speedup=args.speedup)
    cache = _cache(args)
    result = _pictures(paths, encoder, cache) + embed_texts(texts, encoder, cache=cache)
    for name, reason in result.rejected:
        print(f"refused {name}: {reason}", file=sys.stderr)
    return label_set, encoder, result


def command_emotions(args: argparse.Namespace) -> int:
    from core.atlas import emotion_probabilities
    from core.emotions import top_labels

    label_set, encoder, result = _embed_request(args, args.images, args.texts)
    if not len(result):
        print("Nothing could be scored.", file=sys.stderr)
        return EXIT_NOTHING_EMBEDDED
    _, probabilities = emotion_probabilities(encoder, result.vectors, label_set)
    for name, top, row in zip(
        result.names, top_labels(probabilities, label_set), probabilities, strict=True
    ):
        record = {
            "item": name,
            "top": top,
            "probs": _rounded(label_set.labels, row),
        }
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(f"{top:<12} {row.max():.2f}  {name}")
    return 0


def command_atlas(args: argparse.Namespace) -> int:
    from core.atlas import build_atlas
    from core.export import atlas_html, write_file
    from core.images import thumbnail_webp
    from core.plots import atlas_figure, legible_rows

    label_set, encoder, result = _embed_request(args, args.paths, args.texts)
    atlas = build_atlas(
        result,
        encoder,
        label_set,
        method=args.method,
        n_components=args.dims,
        n_neighbors=args.k,
        reg=args.reg,
        center=not args.no_center,
        landmarks=args.landmarks,
    )
    for notice in atlas.projector.notices_:
        print(f"note: {notice}", file=sys.stderr)
    shown = legible_rows(atlas.coords, result.kinds)  # all, or a spread sample of a big map
    pictures = {item.name: item.image for item in _load_images([result.names[i] for i in shown])}
    thumbnails = [
        thumbnail_webp(pictures[n], defaults.MAP_THUMBNAIL) if n in pictures else None
        for n in result.names
    ]
    names = dict(label_set.names)
    figure = atlas_figure(
        atlas.coords,
        result.names,
        result.kinds,
        atlas.top,
        label_names={k: f"{en} / {zh}" for k, (en, zh) in names.items()},
        thumbnails=thumbnails,
        title=f"Emotion Atlas — {args.method}, k={args.k} ({encoder.model_id})",
    )
    write_file(args.out, atlas_html(figure, "Emotion Atlas · 情绪地图"))
    quality = ", ".join(f"{k} {v:.3f}" for k, v in atlas.quality.items())
    print(f"{result.summary()}; map: {quality} → {args.out}")
    return 0


def _placed_texts(args: argparse.Namespace, texts: list[str], collection: list[str]):
    """Embed ``texts`` and ``collection`` and place every text (one core call per text)."""
    from core.embedding import embed_texts
    from core.emotions import load_label_set
    from core.models import load_encoder
    from core.transfer import transfer_views

    label_set = load_label_set(args.labels)
    encoder = load_encoder(args.model, allow_download=args.allow_download, speedup=args.speedup)
    cache = _cache(args)
    embedded = embed_texts(texts, encoder, cache=cache)
    gallery = _pictures(collection, encoder, cache)
    if not 1 <= args.k < len(gallery):
        raise ValueError(
            f"--k must be between 1 and the number of pictures - 1 ({len(gallery) - 1}); "
            f"got {args.k}."
        )
    labels, views = transfer_views(embedded.vectors, gallery.vectors, encoder, label_set, k=args.k)
    return encoder, label_set, labels, embedded, gallery, views


def placement_record(text: str, view, label_set, gallery) -> dict:
    """The JSON of one placed text (``python -m core place``)."""
    placement = view.placement
    x, y = (round(float(v), 4) for v in placement.position[:2])
    return {
        "text": text,
        "top": label_set.labels[int(view.text_probs.argmax())],
        "probs": _rounded(label_set.labels, view.text_probs),
        "transferred_top": label_set.labels[int(placement.emotion.argmax())],
        "transferred_probs": _rounded(label_set.labels, placement.emotion),
        "neighbours": [gallery.names[i] for i in placement.neighbours],
        "weights": [round(float(w), 4) for w in placement.weights],
        "residual": round(placement.residual, 4),
        "residual_uncentred": round(placement.residual_uncentred, 4),
        "fit": round(placement.fit, 4),
        "x": x,
        "y": y,
    }


def command_place(args: argparse.Namespace) -> int:
    _, label_set, _, embedded, gallery, views = _placed_texts(args, args.texts, args.collection)
    for name, reason in embedded.rejected:
        print(f"refused: {name!r}: {reason}", file=sys.stderr)
    for text, view in zip(embedded.names, views, strict=True):
        record = placement_record(text, view, label_set, gallery)
        if args.json:
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(
                f"{text}: {record['top']} → borrows {record['transferred_top']} from "
                f"{', '.join(record['neighbours'][:3])}, … (x {record['x']}, y {record['y']})"
            )
    return EXIT_BAD_REQUEST if embedded.rejected else 0


def command_transfer(args: argparse.Namespace) -> int:
    from core.export import picture_bytes, write_file
    from core.images import ImageRejected, load_image_file
    from core.recolour import grade_colours, reinhard_transfer

    try:  # the picture is checked before any model is loaded or anything embedded
        picture = load_image_file(args.image).image
    except ImageRejected as error:
        print(f"error: {args.image}: {error}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    encoder, label_set, labels, text, gallery, views = _placed_texts(
        args, [args.text], args.gallery
    )
    if not len(text):
        print(f"error: {text.rejected[0][1]}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    view = views[0]
    placement = view.placement
    target_index = int(view.text_probs.argmax())
    target = label_set.labels[target_index]
    if args.method == "reinhard":
        references = [load_image_file(gallery.names[i]).image for i in placement.neighbours]
        outcome = reinhard_transfer(
            encoder, picture, references, placement.weights, labels, target_index, target
        )
    else:
        outcome = grade_colours(encoder, picture, labels, target_index, target)
    write_file(args.out, picture_bytes(outcome.image, str(args.out)))
    placed = placement_record(text.names[0], view, label_set, gallery)
    record = {
        "text": text.names[0],
        "target": target,
        "method": outcome.method,
        "emo_s": round(outcome.emo_s, 4),
        "clip_i": round(outcome.clip_i, 4),
        "probability_before": round(outcome.probability_before, 4),
        "probability_after": round(outcome.probability_after, 4),
        "parameters": outcome.parameters,
        "placement": {
            **{
                key: placed[key]
                for key in ("neighbours", "weights", "residual", "residual_uncentred")
            },
            "position": [placed["x"], placed["y"]],
            "transferred_top": placed["transferred_top"],
            "transferred_probs": placed["transferred_probs"],
        },
        "out": str(args.out),
    }
    if args.json:
        print(json.dumps(record, ensure_ascii=False))
    else:
        print(f"{target}: Emo-S {outcome.emo_s:+.3f}, CLIP-I {outcome.clip_i:.3f} → {args.out}")
    return 0


def command_eval_pocket(args: argparse.Namespace) -> int:
    from core.models import load_encoder
    from core.pocket.evaluate import evaluate, verdicts

    metrics = evaluate(load_encoder(args.model), quick=args.quick)
    if args.json:
        print(json.dumps(metrics, ensure_ascii=False))
        return 0
    print(
        f"{metrics['model']} ({metrics['subset']} evaluation, text tower {metrics['text_tower']})"
    )
    for section in ("explicit", "implied", "placement", "retrieval", "emoji"):
        for key, value in metrics[section].items():
            if not key.startswith("count"):
                print(f"  {section}.{key}: {value}")
    print("targets:")
    print("\n".join(verdicts(metrics)))
    return 0


def _counting(code: str, defined_in: str):
    """An argparse type for a whole number of at least 1, refused with message ``code``."""

    def option(value: str) -> int:
        import importlib

        from core.messages import Message

        importlib.import_module(defined_in)  # defines the message code
        try:
            count = int(value)
        except ValueError:
            count = None
        if count is None or count < 1:
            raise argparse.ArgumentTypeError(Message(code, value=repr(value)))
        return count

    return option


batch_size_option = _counting("embedding.bad_batch_size", "core.embedding")
workers_option = _counting("scale.bad_workers", "core.scale")


def landmarks_option(value: str) -> int | str | None:
    if value in ("auto", "none"):
        return None if value == "none" else value
    try:
        count = int(value)
    except ValueError:
        message = f"expected a number, 'auto' or 'none', got {value!r}"
        raise argparse.ArgumentTypeError(message) from None
    if count < 5:
        raise argparse.ArgumentTypeError(f"expected at least 5 landmarks, got {count}")
    return count


def speedup_option(sub) -> None:
    from core.speedups import VARIANTS

    sub.add_argument(
        "--speedup",
        default="auto",
        choices=("auto", *VARIANTS),
        help="CPU inference variant (default auto: the measured best for the model, bf16 for "
        "pocket where the CPU has it, else fp32; see benchmarks/RESULTS.md)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core", description="Emotion Atlas: embeddings, emotions and maps."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    models = commands.add_parser("models", help="list model presets and their availability")
    models.add_argument("--json", action="store_true", help="one JSON object per line")
    models.add_argument("--all", action="store_true", help="also list open_clip architectures")
    models.set_defaults(run=command_models)

    embed = commands.add_parser("embed", help="embed images (files/folders) and texts")
    embed.add_argument("paths", nargs="*", help="image files or folders (walked recursively)")
    embed.add_argument("--texts", nargs="+", default=[], metavar="TEXT")
    embed.add_argument("--model", default="pocket", help="model name (default: pocket)")
    embed.add_argument(
        "--out",
        default="embeddings.npz",
        help="output file: .npz, or .parquet (a store written batch by batch; a killed run "
        "keeps what it finished and the next run with the same --out goes on from there)",
    )
    embed.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local (this process, the default) or ray (Ray Data workers; needs "
        "requirements-scale.txt)",
    )
    embed.add_argument(
        "--address",
        default=None,
        help="Ray cluster to join (default $RAY_ADDRESS, else a local Ray started and "
        "stopped by the command)",
    )
    embed.add_argument(
        "--workers", type=workers_option, default=1, help="Ray workers, one encoder each"
    )
    embed.add_argument(
        "--gpus-per-worker",
        type=float,
        default=0,
        help="GPUs per Ray worker (default 0: CPU workers)",
    )
    embed.add_argument(
        "--batch-size",
        type=batch_size_option,
        default=32,
        help="pictures encoded at once (default 32)",
    )
    embed.add_argument("--cache-dir", default=None, help="embedding cache folder")
    embed.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    embed.add_argument(
        "--allow-download", action="store_true", help="fetch missing pretrained weights"
    )
    speedup_option(embed)
    embed.set_defaults(run=command_embed)

    download = commands.add_parser("download", help="fetch a pretrained model's weights")
    download.add_argument("model")
    download.set_defaults(run=command_download)

    def common(sub, default_labels: str = "ekman7"):
        sub.add_argument("--model", default="pocket", help="model name (default: pocket)")
        sub.add_argument(
            "--labels",
            default=default_labels,
            help="parrott6, ekman7, mikels8 or a JSON file (default: %(default)s)",
        )
        sub.add_argument("--cache-dir", default=None, help="embedding cache folder")
        sub.add_argument("--allow-download", action="store_true")
        speedup_option(sub)

    emotions = commands.add_parser("emotions", help="zero-shot emotions of images or texts")
    emotions.add_argument(
        "--images", nargs="+", default=[], metavar="PATH", help="files, folders or .parquet stores"
    )
    emotions.add_argument("--texts", nargs="+", default=[], metavar="TEXT")
    emotions.add_argument("--json", action="store_true", help="one JSON object per line")
    common(emotions)
    emotions.set_defaults(run=command_emotions)

    from core.projection import METHODS

    atlas = commands.add_parser("atlas", help="write an interactive atlas as standalone HTML")
    atlas.add_argument("paths", nargs="+", help="image files, folders or .parquet stores")
    atlas.add_argument("--texts", nargs="+", default=[], metavar="TEXT")
    atlas.add_argument("--method", choices=METHODS, default="lle")
    atlas.add_argument("--dims", type=int, choices=(2, 3), default=2)
    atlas.add_argument("--k", type=int, default=defaults.K, help="neighbours (LLE, UMAP)")
    atlas.add_argument("--reg", type=float, default=defaults.REG, help="LLE regularisation")
    atlas.add_argument("--no-center", action="store_true", help="keep the modality gap")
    atlas.add_argument(
        "--landmarks",
        default="auto",
        type=landmarks_option,
        help="fit LLE on this many points and place the rest: a number, 'none', or 'auto' "
        "(the default: only for large collections)",
    )
    atlas.add_argument("--out", default="atlas.html")
    common(atlas)
    atlas.set_defaults(run=command_atlas)

    transfer = commands.add_parser("transfer", help="transfer a text's emotion onto a picture")
    transfer.add_argument("--text", required=True)
    transfer.add_argument("--image", required=True)
    transfer.add_argument("--gallery", nargs="+", default=[str(defaults.GALLERY_IMAGES)])
    transfer.add_argument("--method", choices=("grade", "reinhard"), default="grade")
    transfer.add_argument("--k", type=int, default=defaults.BOARD_K, help="mood-board size")
    transfer.add_argument("--out", default="transferred.png")
    transfer.add_argument("--json", action="store_true")
    common(transfer, "parrott6")
    transfer.set_defaults(run=command_transfer)

    place = commands.add_parser(
        "place", help="place texts among pictures: emotion, mood board, map position"
    )
    place.add_argument("--texts", nargs="+", required=True, metavar="TEXT")
    place.add_argument(
        "--collection",
        nargs="+",
        default=[str(defaults.GALLERY_IMAGES)],
        metavar="PATH",
        help="image files or folders (default: the bundled gallery)",
    )
    place.add_argument(
        "--k", type=int, default=defaults.BOARD_K, help="mood-board size (LLE neighbours)"
    )
    place.add_argument("--json", action="store_true", help="one JSON object per text")
    common(place, "parrott6")
    place.set_defaults(run=command_place)

    evaluation = commands.add_parser("eval-pocket", help="held-out metrics of the pocket model")
    evaluation.add_argument("--json", action="store_true", help="one JSON object")
    evaluation.add_argument(
        "--quick", action="store_true", help="fixed subsets, seconds not minutes"
    )
    evaluation.add_argument("--model", default="pocket", help="evaluate another checkpoint")
    evaluation.set_defaults(run=command_eval_pocket)

    from core.room_commands import add_room_parser

    add_room_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from core.registry import ModelUnavailableError
    from core.speedups import SpeedupUnavailable

    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "out", None):  # a bad output path is refused before any work
            from core.export import check_writable

            check_writable(args.out)
        return args.run(args)
    except (ValueError, ModelUnavailableError, SpeedupUnavailable, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
