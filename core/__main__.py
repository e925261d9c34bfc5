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

EXIT_NOTHING_EMBEDDED = 1
EXIT_BAD_REQUEST = 2


def _progress_printer(label: str):
    def report(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{label}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr)

    return report


def command_models(args: argparse.Namespace) -> int:
    from core.registry import list_presets

    rows = list_presets()
    if args.json:
        for spec, availability in rows:
            record = {
                "name": spec.name,
                "status": availability.status,
                "usable": availability.usable,
                "download_mb": availability.download_mb,
                "multilingual": spec.multilingual,
                "detail": availability.detail,
            }
            print(json.dumps(record, ensure_ascii=False))
        return 0
    width = max(len(spec.name) for spec, _ in rows)
    for spec, availability in rows:
        mark = "ready" if availability.usable else availability.status
        print(f"{spec.name:<{width}}  {mark:<8}  {spec.label}")
        if not availability.usable:
            print(f"{'':<{width}}            {availability.detail}")
    if args.all:
        import open_clip

        print("\nopen_clip architectures (use ARCH/TAG, ARCH@FILE or ARCH@random):")
        print("  " + ", ".join(open_clip.list_models()))
    return 0


def command_embed(args: argparse.Namespace) -> int:
    from core.cache import EmbeddingCache
    from core.embedding import embed_paths, embed_texts
    from core.encoders import load_encoder

    if not args.paths and not args.texts:
        print("Nothing to embed: give image files or folders, or --texts.", file=sys.stderr)
        return EXIT_BAD_REQUEST
    encoder = load_encoder(args.model, allow_download=args.allow_download)
    cache = None if args.no_cache else EmbeddingCache(args.cache_dir)
    result = embed_paths(
        args.paths,
        encoder,
        cache=cache,
        batch_size=args.batch_size,
        progress=_progress_printer("images"),
    )
    if args.texts:
        result = result + embed_texts(
            args.texts, encoder, cache=cache, progress=_progress_printer("texts")
        )
    for name, reason in result.rejected:
        print(f"refused {name}: {reason}", file=sys.stderr)
    for name, note in zip(result.names, result.notes, strict=True):
        if note:
            print(f"note {name}: {note}", file=sys.stderr)
    if len(result) == 0:
        print(f"Nothing could be embedded: {result.summary()}.", file=sys.stderr)
        return EXIT_NOTHING_EMBEDDED
    result.save_npz(args.out)
    print(f"{result.summary()} with {encoder.model_id} (dim {encoder.dim}) → {args.out}")
    return 0


def command_download(args: argparse.Namespace) -> int:
    from core.encoders import download_weights
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
    embed.add_argument("--out", default="embeddings.npz", help="output .npz file")
    embed.add_argument("--batch-size", type=int, default=32)
    embed.add_argument("--cache-dir", default=None, help="embedding cache folder")
    embed.add_argument("--no-cache", action="store_true", help="do not read or write the cache")
    embed.add_argument(
        "--allow-download", action="store_true", help="fetch missing pretrained weights"
    )
    embed.set_defaults(run=command_embed)

    download = commands.add_parser("download", help="fetch a pretrained model's weights")
    download.add_argument("model")
    download.set_defaults(run=command_download)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from core.registry import ModelUnavailableError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, ModelUnavailableError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_REQUEST
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
