"""python -m registry: ask the registry of services, or regenerate what is derived from it.

    python3 -m registry names                  the service names, in order, one line
    python3 -m registry get NAME FIELD         one field: task, rows, test_rows, port, hpa.max, ...
    python3 -m registry platform FIELD         one of the platform's names: project, namespace,
                                               domain, image_prefix, terraform_prefix
    python -m registry generate [--check]      write (or only compare) every generated file
    python -m registry rename [--project X] [--namespace X] [--domain X] [--image-prefix X]
                              [--terraform-prefix X]   rename the platform, then generate

`names`, `get` and `platform` need only the standard library (the Makefile and scripts call
them before the workspace exists); `generate` and `rename` need jinja2 from the workspace.
"""

import argparse
import sys
from dataclasses import asdict

from registry.services import PLATFORM_FIELDS, RegistryError, registry


def _get(name: str, field: str) -> str:
    reg = registry()
    if field == "port":
        return str(reg.port(name))
    value: object = asdict(reg.get(name))
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            raise RegistryError(f"service {name} has no field {field!r}")
        value = value[part]
    return str(value)


def _generate(check: bool) -> int:
    from registry import generate

    if check:
        stale = generate.differences(registry())
        for path in stale:
            print(f"registry: {path} is not what services.toml generates", file=sys.stderr)
        if stale:
            print("registry: run `make generate` and commit the result", file=sys.stderr)
        return 1 if stale else 0
    for path in generate.write(registry()):
        print(f"registry: wrote {path}")
    return 0


def _rename(changes: dict[str, str]) -> int:
    from registry import rename

    if not changes:
        print(
            "registry: rename needs at least one new name (make rename PROJECT=... "
            "NAMESPACE=... DOMAIN=... IMAGE_PREFIX=... TF_PREFIX=...)",
            file=sys.stderr,
        )
        return 2
    if bad := rename.errors(changes):  # every bad value, one line each, before any write
        for line in bad:
            print(f"registry: {line}", file=sys.stderr)
        return 2
    before = registry().platform
    changed = rename.rename(changes)
    for key, value in changes.items():
        if getattr(before, key) != value:
            print(f"registry: [platform] {key}: {getattr(before, key)} -> {value}")
    for path in changed:
        print(f"registry: wrote {path}")
    if not changed:
        print("registry: nothing to change")
    else:  # generated text only: what already runs under the old names stays as it is
        print(
            "registry: renamed; clusters and AWS resources made under the old names are not "
            "(registry/README.md)"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m registry", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("names", help="the service names, in order, on one line")
    get = commands.add_parser("get", help="one field of one service")
    get.add_argument("name")
    get.add_argument("field")
    plat = commands.add_parser("platform", help="one of the platform's names")
    plat.add_argument("field", choices=PLATFORM_FIELDS)
    gen = commands.add_parser("generate", help="write every generated file and block")
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 if any differs")
    ren = commands.add_parser("rename", help="new platform names in services.toml, regenerated")
    for key in PLATFORM_FIELDS:
        ren.add_argument(f"--{key.replace('_', '-')}", dest=key, metavar=key.upper())
    args = parser.parse_args(argv)
    try:
        if args.command == "names":
            print(" ".join(registry().names))
            return 0
        if args.command == "get":
            print(_get(args.name, args.field))
            return 0
        if args.command == "platform":
            print(getattr(registry().platform, args.field))
            return 0
        if args.command == "rename":
            changes = {k: getattr(args, k) for k in PLATFORM_FIELDS if getattr(args, k) is not None}
            return _rename(changes)
        return _generate(args.check)
    except (ValueError, OSError) as exc:  # RegistryError, a broken block marker, a missing file
        print(f"registry: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
