"""Shared fixtures: a real open_clip model at random init, a generated file corpus,
and a guard that fails any test which tries to reach the network."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

TINY = "emotion-atlas-tiny@random"


class NetworkUsed(AssertionError):
    pass


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any socket connection other than to this machine fails the test loudly."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in {"localhost", "::1"}):
            return real_connect(self, address)
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        raise NetworkUsed(f"test tried to reach the network: {address}")

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def tiny_encoder():
    from core.encoders import load_encoder

    return load_encoder(TINY)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    from make_corpus import write_corpus

    return write_corpus(tmp_path_factory.mktemp("corpus"))
