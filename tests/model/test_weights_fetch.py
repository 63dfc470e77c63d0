"""`python -m model.weights` against a local HTTP server: verify, refuse, resume, and keep
weights of one's own."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from model.weights.__main__ import main as weights_main
from model.weights.fetch import DEFAULT_MANIFEST, read_manifest

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class Server(http.server.ThreadingHTTPServer):
    """Serves PAYLOAD at /file.pth, honours Range, and can drop the first response midway."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.drop_after: int | None = None
        self.ranges: list[str | None] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/file.pth"


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        header = self.headers.get("Range")
        self.server.ranges.append(header)
        start = int(header.split("=")[1].split("-")[0]) if header else 0
        body = PAYLOAD[start:]
        self.send_response(206 if header else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.server.drop_after is not None:
            self.wfile.write(body[: self.server.drop_after])
            self.server.drop_after = None
            self.wfile.flush()
            self.connection.shutdown(2)  # the connection breaks mid-body
            return
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()


def _manifest(tmp_path: Path, url: str, sha256: str) -> Path:
    path = tmp_path / "manifest.json"
    entry = {"name": "file.pth", "url": url, "size": len(PAYLOAD), "sha256": sha256}
    path.write_text(json.dumps({"files": [entry]}))
    return path


GOOD = hashlib.sha256(PAYLOAD).hexdigest()


def test_correct_hash_puts_the_file_in_place(server: Server, tmp_path: Path, capsys) -> None:
    manifest = _manifest(tmp_path, server.url, GOOD)
    dest = tmp_path / "w"
    assert weights_main(["fetch", "--dir", str(dest), "--manifest", str(manifest)]) == 0
    assert (dest / "file.pth").read_bytes() == PAYLOAD
    assert not (dest / "file.pth.part").exists()
    assert weights_main(["check", "--dir", str(dest), "--manifest", str(manifest)]) == 0
    assert "file.pth: present and verified" in capsys.readouterr().out
    # a second fetch finds the file and downloads nothing
    assert weights_main(["fetch", "--dir", str(dest), "--manifest", str(manifest)]) == 0
    assert len(server.ranges) == 1


def test_wrong_hash_is_reported_and_no_file_is_left(
    server: Server, tmp_path: Path, capsys
) -> None:
    manifest = _manifest(tmp_path, server.url, "0" * 64)
    dest = tmp_path / "w"
    assert weights_main(["fetch", "--dir", str(dest), "--manifest", str(manifest)]) == 1
    err = capsys.readouterr().err
    assert "file.pth: SHA-256 mismatch" in err and "the bad file was removed" in err
    assert list(dest.iterdir()) == []
    assert weights_main(["check", "--dir", str(dest), "--manifest", str(manifest)]) == 1
    assert "file.pth: missing" in capsys.readouterr().out


def test_interrupted_download_is_resumed(server: Server, tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, server.url, GOOD)
    dest = tmp_path / "w"
    server.drop_after = 300_000
    assert weights_main(["fetch", "--dir", str(dest), "--manifest", str(manifest)]) == 0
    assert (dest / "file.pth").read_bytes() == PAYLOAD
    assert server.ranges[0] is None
    assert server.ranges[1] is not None and server.ranges[1].startswith("bytes=")
    assert int(server.ranges[1][6:].rstrip("-")) > 0  # it asked only for the rest


def test_partial_file_from_an_earlier_run_is_continued(server: Server, tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, server.url, GOOD)
    dest = tmp_path / "w"
    dest.mkdir()
    (dest / "file.pth.part").write_bytes(PAYLOAD[:123_456])
    assert weights_main(["check", "--dir", str(dest), "--manifest", str(manifest)]) == 1
    assert weights_main(["fetch", "--dir", str(dest), "--manifest", str(manifest)]) == 0
    assert server.ranges == ["bytes=123456-"]
    assert (dest / "file.pth").read_bytes() == PAYLOAD


def test_unreachable_server_fails_with_one_line(tmp_path: Path, capsys) -> None:
    manifest = _manifest(tmp_path, "http://127.0.0.1:9/none.pth", GOOD)
    assert weights_main(["fetch", "--dir", str(tmp_path / "w"), "--manifest", str(manifest)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "download failed" in err[0] and "again to resume" in err[0]


def test_shipped_manifest_lists_the_public_files() -> None:
    entries = {e.name: e for e in read_manifest()}
    assert entries["vgg_normalised.pth"].sha256.startswith("804ca283")
    assert entries["vgg_normalised.pth"].size == 80_102_481
    assert entries["decoder.pth"].sha256.startswith("379ca41d")
    assert all(e.url.startswith("https://github.com/naoto0804/") for e in entries.values())


def _offline_manifest(tmp_path: Path) -> Path:
    """The shipped manifest with every URL on a closed port: any download attempt fails."""
    data = json.loads(Path(DEFAULT_MANIFEST).read_text())
    for entry in data["files"]:
        entry["url"] = f"http://127.0.0.1:9/{entry['name']}"
    path = tmp_path / "offline.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def own_weights(weights_dir: Path, tmp_path: Path) -> Path:
    """Weights of one's own in the public layout (not the public files), in a folder."""
    folder = tmp_path / "own"
    shutil.copytree(weights_dir, folder)
    return folder


def test_own_weights_in_the_public_layout_are_kept_offline(
    own_weights: Path, tmp_path: Path, capsys
) -> None:
    before = {p.name: p.read_bytes() for p in own_weights.iterdir()}
    manifest = _offline_manifest(tmp_path)
    assert weights_main(["fetch", "--dir", str(own_weights), "--manifest", str(manifest)]) == 0
    out = capsys.readouterr().out
    assert "decoder.pth: not the public file; kept, its layout is valid" in out
    assert "vgg_normalised.pth: not the public file; kept, its layout is valid" in out
    assert {p.name: p.read_bytes() for p in own_weights.iterdir()} == before  # byte for byte
    assert weights_main(["check", "--dir", str(own_weights), "--manifest", str(manifest)]) == 0


def test_a_truncated_decoder_fails_with_one_line(
    own_weights: Path, tmp_path: Path, capsys
) -> None:
    decoder = own_weights / "decoder.pth"
    decoder.write_bytes(decoder.read_bytes()[:100_000])
    manifest = _offline_manifest(tmp_path)
    assert weights_main(["fetch", "--dir", str(own_weights), "--manifest", str(manifest)]) == 1
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert "decoder.pth is not a readable PyTorch weight file" in line
    assert "download failed" in line
    assert "vgg_normalised.pth: not the public file; kept" in captured.out


def test_an_unreadable_file_is_replaced_by_the_public_one(server: Server, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    entry = {"name": "decoder.pth", "url": server.url, "size": len(PAYLOAD), "sha256": GOOD}
    manifest.write_text(json.dumps({"files": [entry]}))
    dest = tmp_path / "w"
    dest.mkdir()
    (dest / "decoder.pth").write_bytes(b"<html>not a weight file</html>")
    assert weights_main(["fetch", "--dir", str(dest), "--manifest", str(manifest)]) == 0
    assert (dest / "decoder.pth").read_bytes() == PAYLOAD


def test_a_file_of_another_layout_is_refused_and_left_alone(
    server: Server, tmp_path: Path, capsys
) -> None:
    manifest = tmp_path / "manifest.json"
    entry = {"name": "decoder.pth", "url": server.url, "size": len(PAYLOAD), "sha256": GOOD}
    manifest.write_text(json.dumps({"files": [entry]}))
    dest = tmp_path / "w"
    dest.mkdir()
    torch.save({"fc.weight": torch.zeros(3, 3)}, dest / "decoder.pth")  # another network's
    before = (dest / "decoder.pth").read_bytes()
    assert weights_main(["fetch", "--dir", str(dest), "--manifest", str(manifest)]) == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "decoder.pth lacks the tensor" in line and "left as it is" in line
    assert (dest / "decoder.pth").read_bytes() == before
    assert server.ranges == []  # nothing was downloaded over it
