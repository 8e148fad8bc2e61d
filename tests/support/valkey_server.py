"""A real Valkey (or Redis: same config reader) started on loopback with a generated valkey.conf,
and a minimal binary-safe RESP client to talk to it.

The server binary comes from the Debian package ``valkey-server`` or ``redis-server``
(scripts/install-db-servers.sh installs one). Valkey forked Redis 7.2.4 and kept its config
reader: valkey-io/valkey tag 8.0.1 src/config.c loadServerConfigFromString and src/sds.c
sdssplitargs are the code Redis 7.0 runs. The generated file is used as is except its
``dir /data`` line, which Valkey applies while reading (a chdir) and which is pointed at a temp
dir; the listening address and the port are overridden on the command line (options given there
are applied after the file's lines, so they cannot hide what the file says).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from platform_constructs.apps.common.valkey import DATA_DIR
from support.data import free_port


def server_binary() -> str:
    found = shutil.which("valkey-server") or shutil.which("redis-server")
    if not found:
        pytest.fail("neither valkey-server nor redis-server found: run scripts/install-db-servers.sh")
    return found


class Resp:
    """Just enough RESP2 for AUTH / PING / CONFIG GET, with byte strings throughout."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def command(self, *args: bytes | str) -> object:
        parts = [a.encode() if isinstance(a, str) else a for a in args]
        self.sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        return self._reply()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self) -> object:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2 :]
            return data
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise ValueError(f"unexpected RESP reply {line!r}")


@contextmanager
def running(conf: str, workdir: Path) -> Iterator[int]:
    """Start the server on ``conf`` (written as is to workdir/valkey.conf); yield its port."""
    workdir.mkdir(parents=True, exist_ok=True)
    conf_file = workdir / "valkey.conf"
    data_line = f"dir {DATA_DIR}\n"
    assert conf.count(data_line) == 1, f"expected one {data_line!r} line in:\n{conf}"
    conf_file.write_bytes(conf.replace(data_line, f"dir {workdir}\n").encode("utf-8"))
    port = free_port()
    log = workdir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [server_binary(), str(conf_file), "--bind", "127.0.0.1", "--port", str(port),
             "--daemonize", "no", "--logfile", ""],
            stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 10
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server refused the generated valkey.conf (exit {proc.returncode}):\n"
                            f"{log.read_text(errors='replace')}\n--- valkey.conf ---\n{conf}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not listen on {port}:\n{log.read_text(errors='replace')}")
                time.sleep(0.02)
        yield port
    finally:
        proc.kill()
        proc.wait(timeout=10)
