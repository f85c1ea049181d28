"""Run the unmask language server (LSP over stdio by default).

The server answers at once; the model loads in the background after the client's `initialized`, reported by
`unmask/status` notifications. Configuration comes from the client (initializationOptions, the "unmask"
section of workspace/configuration); every option is listed in docs/server.md, the wire protocol in
docs/protocol.md.

examples:
  unmask serve                               # stdio: what editors start
  unmask serve --tcp 127.0.0.1:2087          # for a client that connects over TCP
  unmask serve --log-file /tmp/unmask.log    # also log to a file (level from the logLevel setting)
"""

from __future__ import annotations

import argparse
import logging
import sys


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="speak LSP on stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="HOST:PORT", type=_host_port, help="listen on a TCP socket instead")
    parser.add_argument("--log-file", metavar="PATH", help="also write the server's log to this file")


def _configure_logging(log_file: str | None) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING)
    stderr.setFormatter(logging.Formatter("unmask: %(levelname)s %(name)s: %(message)s"))
    root.addHandler(stderr)
    # pygls logs every message body at INFO: keep that out of the file unless debugging the wire.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("unmask").setLevel(logging.INFO)
    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)


def run(args: argparse.Namespace) -> int:
    try:
        _configure_logging(args.log_file)
    except OSError as exc:
        print(f"unmask serve: cannot open log file: {exc}", file=sys.stderr)
        return 2
    from unmask.server.app import create_server

    server = create_server()
    if args.tcp:
        host, port = args.tcp
        server.start_tcp(host, port)
        return 0
    # stdout carries the protocol: anything else printed there (a library's warning) would corrupt it.
    protocol_out = sys.stdout.buffer
    sys.stdout = sys.stderr
    server.start_io(sys.stdin.buffer, protocol_out)
    return 0
