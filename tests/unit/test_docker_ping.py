"""KeptPing: /_ping over one kept unix-socket connection, against a tiny real server."""

import socket
import threading
import time

import pytest

from megam_tui.backends.docker_events import KeptPing

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nOK"


class Server:
    """Answers /_ping; `mode`: "ok", "close" (answer, then close the connection), "hang"."""

    def __init__(self, path: str) -> None:
        self.mode = "ok"
        self.accepted = 0
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._conn, args=(conn,), daemon=True).start()

    def _conn(self, conn: socket.socket) -> None:
        with conn:
            while True:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                if self.mode == "hang":
                    time.sleep(5)
                    return
                conn.sendall(OK)
                if self.mode == "close":
                    return


@pytest.fixture
def server(tmp_path):
    s = Server(str(tmp_path / "d.sock"))
    yield s
    s.sock.close()


def test_pings_reuse_one_connection(server, tmp_path):
    p = KeptPing(str(tmp_path / "d.sock"), 1.0)
    for _ in range(5):
        p.ping()
    assert server.accepted == 1
    p.close()


def test_a_connection_the_engine_closed_is_retried_once_on_a_new_one(server, tmp_path):
    p = KeptPing(str(tmp_path / "d.sock"), 1.0)
    server.mode = "close"
    p.ping()
    time.sleep(0.05)
    p.ping()  # the kept connection is gone: no error, a new one
    assert server.accepted == 2


def test_a_hung_engine_fails_within_one_timeout_and_a_missing_one_at_once(server, tmp_path):
    p = KeptPing(str(tmp_path / "d.sock"), 0.5)
    p.ping()
    server.mode = "hang"
    t = time.monotonic()
    with pytest.raises(TimeoutError):
        p.ping()
    assert time.monotonic() - t < 0.9  # not retried: one timeout, not two
    with pytest.raises(FileNotFoundError):
        KeptPing(str(tmp_path / "nothing.sock"), 0.5).ping()
