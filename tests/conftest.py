"""Shared fixtures: a real open_clip model at random init, a generated file corpus,
and a guard that fails any test which tries to reach the network."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

TINY = "emotion-atlas-tiny@random"


class NetworkUsed(ConnectionRefusedError):
    """Raised instead of connecting: to the code under test it looks like an offline machine."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "tries_network: the test expects the code to try the network (and fail)"
    )


@pytest.fixture(autouse=True)
def no_network(request, monkeypatch):
    """Connections other than to this machine fail as if offline; a test that caused one
    fails too, unless it is marked ``tries_network``."""
    real_connect = socket.socket.connect
    attempts = []

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        local = isinstance(host, str) and (host.startswith("127.") or host in {"localhost", "::1"})
        if local or self.family == socket.AF_UNIX:
            return real_connect(self, address)
        attempts.append(address)
        raise NetworkUsed(f"test tried to reach the network: {address}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield
    if attempts and request.node.get_closest_marker("tries_network") is None:
        pytest.fail(f"the test tried to reach the network: {attempts[:3]}")


@pytest.fixture(scope="session")
def tiny_encoder():
    from core.models import load_encoder

    return load_encoder(TINY)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    from make_corpus import write_corpus

    return write_corpus(tmp_path_factory.mktemp("corpus"))
