"""`handnum serve`: the web page and REST API under uvicorn. Also `python -m handnum.web.cli serve ...`.

fastapi/uvicorn are imported only when the command runs, so the rest of the CLI works without them.
The socket is bound here (not by uvicorn) so that a busy port is a one-line error and `--port 0`
picks a free port; the URL actually served is printed on standard output.
"""
from __future__ import annotations

import argparse
import socket
import sys
import threading
import time

from ..errors import HandnumError


def add_parser(sub) -> None:
    """Add the `serve` subcommand to the `handnum` subparsers `sub`."""
    s = sub.add_parser("serve", help="web page and REST API: read photos and drawings in the browser")
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: the network)")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    s.add_argument("--model", help="model file (.onnx with its .json card; default: $HANDNUM_MODEL or the shipped one)")
    s.add_argument("--corrections", metavar="DIR",
                   help="folder for corrected digits (default: $HANDNUM_CORRECTIONS or ./handnum-corrections)")
    s.add_argument("--max-upload-mb", type=float, default=20, help="largest upload in MB (default 20)")
    s.add_argument("--max-pixels", type=int, default=80_000_000, help="refuse larger images (default 80 MP)")
    s.add_argument("--timeout", type=float, default=30, help="seconds a read may take before 503 (default 30)")
    s.add_argument("--workers", type=int,
                   help="reads at a time, each in its own process (default: CPU cores, at most 4)")
    s.add_argument("--cors", metavar="ORIGIN", action="append",
                   help="let pages from ORIGIN (e.g. https://example.org) call the API from the browser; repeatable")
    s.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    s.set_defaults(func=cmd_serve)


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port and listening, so the URL works as soon as it is printed
    (connections wait in the backlog until uvicorn accepts them). OSError when busy or invalid."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the server until interrupted; one-line errors, exit code 0/1/2."""
    try:
        import uvicorn

        from .app import create_app
    except ImportError as e:
        print(f"handnum: error: handnum serve needs the web extra: pip install 'handnum[web]' ({e})", file=sys.stderr)
        return 2
    try:
        app = create_app(args.model, args.corrections, max_upload=int(args.max_upload_mb * 1_000_000),
                         max_pixels=args.max_pixels, timeout_s=args.timeout, workers=args.workers,
                         cors=args.cors)
    except (HandnumError, ValueError) as e:
        print(f"handnum: error: {e}", file=sys.stderr)
        return 1
    try:
        sock = bind(args.host, args.port)
    except OSError as e:
        app.state.pool.close()
        print(f"handnum: error: cannot listen on {args.host}:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 1
    print(f"handnum: serving {_url(args.host, sock)} (API docs at /docs; corrections go to "
          f"{app.state.corrections})", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("handnum: warning: reachable from the network; there is no authentication", file=sys.stderr)
    config = uvicorn.Config(app, log_level=args.log_level, access_log=args.log_level in ("info", "debug"))
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        app.state.pool.close()
    return 0


class BackgroundServer:
    """Serve an app with uvicorn in a daemon thread on 127.0.0.1 and a free port (tests, screenshots).

        with BackgroundServer(create_app()) as server:
            urllib.request.urlopen(server.url + "api/v1/health")
    """

    def __init__(self, app, host: str = "127.0.0.1"):
        import uvicorn

        self.sock = bind(host, 0)
        self.url = _url(host, self.sock)
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "BackgroundServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def main(argv: list[str] | None = None) -> int:
    """`python -m handnum.web.cli serve ...` (the same command as `handnum serve`)."""
    parser = argparse.ArgumentParser(prog="handnum")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
