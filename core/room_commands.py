"""``python -m core room new | submit | show | hide | lock | clear | export`` (core/rooms.py).

The same limits as the dashboard's Join and Classroom pages: everything is checked in
:class:`core.rooms.RoomStore`. Refused texts print their reason on stderr and the command
exits 1; an unknown, expired or locked room, or a wrong teacher key, exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_REFUSED = 1


def _store(args: argparse.Namespace):
    from core.rooms import RoomStore

    return RoomStore(args.rooms)


def _print(record: dict, as_json: bool, text: str) -> None:
    print(json.dumps(record, ensure_ascii=False) if as_json else text)


def command_new(args: argparse.Namespace) -> int:
    from core.emotions import load_label_set
    from core.registry import ModelUnavailableError, check_availability, resolve_model

    label_set = load_label_set(args.labels)
    availability = check_availability(resolve_model(args.model))  # refused before the room
    if not availability.usable:
        raise ModelUnavailableError(availability.detail)
    room, key = _store(args).new_room(args.title, args.model, label_set)
    record = {
        "room": room.code,
        "teacher_key": key,
        "title": room.title,
        "model": room.model,
        "labels": list(room.label_set.labels),
        "expires": room.expires,
    }
    _print(record, args.json, f"room {room.code}  teacher key {key}  (keep the key)")
    return 0


def command_submit(args: argparse.Namespace) -> int:
    from core.messages import Message
    from core.models import load_encoder
    from core.rooms import reader

    store = _store(args)
    room = store.room(args.code)
    if room.locked:  # before the model loads (submit checks it again, in its transaction)
        raise ValueError(Message("room.locked", room=room.code))
    read = reader(load_encoder(room.model), room.label_set)
    results = store.submit(room.code, args.texts, read, name=args.name, client=args.client)
    refused = 0
    for result in results:
        if result.entry is None:
            refused += 1
            print(f"refused: {result.text!r}: {result.reason}", file=sys.stderr)
            continue
        record = result.entry.record()
        _print(record, args.json, f"{record['id']:>5}  {record['top']:<10} {record['text']}")
    return EXIT_REFUSED if refused else 0


def command_show(args: argparse.Namespace) -> int:
    store = _store(args)
    if args.include_hidden:
        store.check_key(args.code, args.teacher_key or "")
    for entry in store.entries(args.code, include_hidden=args.include_hidden):
        record = entry.record()
        _print(record, args.json, f"{entry.id:>5}  {entry.top:<10} {entry.name:<12} {entry.text}")
    return 0


def command_hide(args: argparse.Namespace) -> int:
    _store(args).set_hidden(args.code, args.teacher_key, args.id, hidden=not args.show)
    print(f"{'shown' if args.show else 'hidden'}: {args.id}")
    return 0


def command_lock(args: argparse.Namespace) -> int:
    _store(args).set_locked(args.code, args.teacher_key, locked=not args.unlock)
    print("unlocked" if args.unlock else "locked")
    return 0


def command_clear(args: argparse.Namespace) -> int:
    print(f"cleared {_store(args).clear(args.code, args.teacher_key)} sentences")
    return 0


def command_export(args: argparse.Namespace) -> int:
    from core.export import write_file

    text = _store(args).export_csv(args.code, args.teacher_key)
    write_file(args.out, text.encode("utf-8-sig"))  # with a BOM: spreadsheets read Chinese
    print(f"wrote {args.out}")
    return 0


def add_room_parser(commands) -> None:
    room = commands.add_parser("room", help="classroom rooms: new, submit, show, moderate")
    actions = room.add_subparsers(dest="action", required=True)

    def action(name: str, run, help_text: str, *, code=True, key=False):
        sub = actions.add_parser(name, help=help_text)
        if code:
            sub.add_argument("code", help="the room's code")
        if key:
            sub.add_argument("--teacher-key", required=True)
        sub.add_argument("--rooms", default=None, help="rooms file (default $EMOTION_ATLAS_ROOMS)")
        sub.set_defaults(run=run)
        return sub

    new = action("new", command_new, "start a room; prints its code and teacher key", code=False)
    new.add_argument("--title", required=True)
    new.add_argument("--labels", default="parrott6", help="parrott6, ekman7, mikels8 or JSON")
    new.add_argument("--model", default="pocket")
    new.add_argument("--json", action="store_true")

    submit = action("submit", command_submit, "send sentences to a room")
    submit.add_argument("--texts", nargs="+", required=True, metavar="TEXT")
    submit.add_argument("--name", default="", help="display name (optional)")
    submit.add_argument("--client", default="", help="sender id for the rate limit")
    submit.add_argument("--json", action="store_true", help="one JSON object per sentence")

    show = action("show", command_show, "the room's visible sentences")
    show.add_argument("--json", action="store_true", help="one JSON object per sentence")
    show.add_argument("--include-hidden", action="store_true", help="needs --teacher-key")
    show.add_argument("--teacher-key", default=None)

    hide = action("hide", command_hide, "hide a sentence (teacher)", key=True)
    hide.add_argument("id", type=int)
    hide.add_argument("--show", action="store_true", help="show it again")
    lock = action("lock", command_lock, "stop taking sentences (teacher)", key=True)
    lock.add_argument("--unlock", action="store_true")
    action("clear", command_clear, "delete every sentence (teacher)", key=True)
    export = action("export", command_export, "write every sentence as CSV (teacher)", key=True)
    export.add_argument("--out", required=True, help="output .csv file")
