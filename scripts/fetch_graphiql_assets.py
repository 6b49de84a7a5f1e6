"""Fetch the files Strawberry's GraphiQL page loads from unpkg, so the app can serve them.

    python scripts/fetch_graphiql_assets.py [--dest DIR]

The URLs and their SRI hashes come from Strawberry's own GraphiQL template. Each
package@version is fetched with `npm pack` (the registry, not the CDN), every file is
checked against the template's hash, and stored as DEST/<package>@<version>/<path>, the
layout of the unpkg URL. DEST/.complete, a JSON manifest of the files and their hashes,
is written last; with it in place and the files intact, a rerun does nothing.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path, PurePosixPath

from appointment_api.graphiql import (
    MANIFEST_NAME,
    CdnAsset,
    assets_ready,
    cdn_assets,
    default_assets_dir,
    sri_digest,
)

NPM_TIMEOUT_SECONDS = 300
SRI_ALGORITHMS = {"sha256", "sha384", "sha512"}


class FetchError(Exception):
    """A reason to stop, told to the user in one line."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=default_assets_dir(), help="target folder")
    dest: Path = parser.parse_args(argv).dest
    try:
        assets = cdn_assets()
        if assets_ready(dest) and _intact(dest, assets):
            print(f"GraphiQL assets already in {dest}")
            return 0
        fetch(assets, dest)
    except FetchError as error:
        print(f"fetch_graphiql_assets: {error}", file=sys.stderr)
        return 1
    print(f"GraphiQL assets ({len(assets)} files) stored in {dest}")
    return 0


def fetch(assets: list[CdnAsset], dest: Path) -> None:
    (dest / MANIFEST_NAME).unlink(missing_ok=True)  # incomplete until every file is verified
    with tempfile.TemporaryDirectory(prefix="graphiql-assets-") as scratch:
        tarballs = _npm_pack(sorted({asset.spec for asset in assets}), Path(scratch))
        for asset in assets:
            content = _read_from_tarball(tarballs[asset.spec], asset.path)
            _verify(asset, content)
            _write_atomically(dest / asset.local_path, content)
    manifest = {
        "source": f"strawberry-graphql {version('strawberry-graphql')}, static/graphiql.html",
        "files": {asset.local_path: asset.integrity for asset in assets},
    }
    _write_atomically(dest / MANIFEST_NAME, json.dumps(manifest, indent=2).encode() + b"\n")


def _npm_pack(specs: list[str], workdir: Path) -> dict[str, Path]:
    """Download each package@version tarball into `workdir`; returns spec -> tarball."""
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm not found on PATH (it fetches the packages from the registry)")
    try:
        completed = subprocess.run(  # noqa: S603 - fixed program, arguments from the template
            [npm, "pack", "--json", "--ignore-scripts", *specs],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise FetchError(f"npm pack {' '.join(specs)} took over {error.timeout} s") from error
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise FetchError(f"npm pack {' '.join(specs)} failed: {last_line}")
    try:
        packed = {
            entry["id"]: workdir / entry["filename"] for entry in json.loads(completed.stdout)
        }
    except (ValueError, KeyError, TypeError) as error:
        raise FetchError(f"npm pack printed something unexpected: {error}") from error
    missing = [spec for spec in specs if spec not in packed or not packed[spec].is_file()]
    if missing:
        raise FetchError(f"npm pack gave no tarball for {', '.join(missing)}")
    return packed


def _read_from_tarball(tarball: Path, path: str) -> bytes:
    """The regular file at `path` in the package, read in memory: nothing is extracted."""
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            # npm tarballs hold the package under one top folder, usually "package/".
            if PurePosixPath(member.name).parts[1:] != PurePosixPath(path).parts:
                continue
            extracted = archive.extractfile(member) if member.isfile() else None
            if extracted is None:
                raise FetchError(f"{tarball.name}: {member.name} is not a regular file")
            with extracted:
                return extracted.read()
    raise FetchError(f"{tarball.name} has no {path}")


def _verify(asset: CdnAsset, content: bytes) -> None:
    expected = asset.integrity.split()
    algorithms = [value.partition("-")[0] for value in expected]
    if not set(algorithms) <= SRI_ALGORITHMS:
        raise FetchError(f"{asset.local_path}: unsupported integrity value {asset.integrity}")
    actual = [sri_digest(content, algorithm) for algorithm in algorithms]
    if not set(actual) & set(expected):
        raise FetchError(
            f"hash mismatch for {asset.local_path}: "
            f"the template pins {' '.join(expected)}, npm gave {' '.join(actual)}"
        )


def _intact(dest: Path, assets: list[CdnAsset]) -> bool:
    try:
        return all(_matches(asset, (dest / asset.local_path).read_bytes()) for asset in assets)
    except OSError:
        return False


def _matches(asset: CdnAsset, content: bytes) -> bool:
    try:
        _verify(asset, content)
    except FetchError:
        return False
    return True


def _write_atomically(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(content)
    os.replace(partial, target)


if __name__ == "__main__":
    sys.exit(main())
