"""`python -m replicas serve`: serve replicas on 127.0.0.1 for development, tests and the demo."""

from __future__ import annotations

import argparse

from replicas import catalog
from replicas.framework import run_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m replicas")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve replicas until killed")
    serve.add_argument("--seed", type=int, default=7)
    serve.add_argument("--only", default="", help="comma-separated replica names (default: all available)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--base-port", type=int, default=0,
                       help="fixed ports: base + the replica's catalogue position (8601 -> jact on 8601); 0 = free ports")
    serve.add_argument("--ports-file", default=None, help="write {name: base_url} JSON here when listening")
    serve.add_argument("--set", action="append", default=[], metavar="NAME.KEY=VALUE",
                       help="override a replica option, e.g. jact.letters=10000")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or catalog.available()
    overrides: dict[str, dict[str, str]] = {}
    for item in args.set:
        target, _, value = item.partition("=")
        name, _, key = target.partition(".")
        overrides.setdefault(name, {})[key] = value
    replicas = [catalog.create(name, args.seed, **overrides.get(name, {})) for name in names]
    order = list(catalog.CATALOG)
    ports = [args.base_port + order.index(name) for name in names] if args.base_port else None
    run_forever(replicas, args.host, ports, args.ports_file)


if __name__ == "__main__":
    main()
