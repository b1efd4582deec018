#!/usr/bin/env python3
"""Build the test bed's package index: wheels repacked from Debian's packages.

    build-wheels.py CACHE_DIR ROOTFS_DIR

PyPI is not reachable from our machines, but Debian's archive is. Each Python distribution that a
Debian package installs under /usr/lib/python3/dist-packages (with its .dist-info or .egg-info
metadata) becomes a real wheel: METADATA with the package's own Requires-Dist, WHEEL, RECORD with
sha256 hashes, entry_points.txt (so pip writes console scripts such as `gunicorn`). The wheels land
in CACHE_DIR/wheels and a PEP 503 "simple" tree in CACHE_DIR/simple, served on loopback by the tests.

Where the Debian packages come from (an apt state of our own under CACHE_DIR/apt, so the machine's
apt sources are never touched):
  - trixie: every package, C extensions included (built for trixie's Python 3.13, the Python of the
    base image in ROOTFS_DIR);
  - bookworm and bookworm-backports: pure-Python packages only, for the older versions fixtures pin
    (gunicorn 20.1, Django 4.2.21).
Binary wheels that bundle a C library on PyPI are made the way auditwheel makes them: the library
and everything it loads that the base image lacks are copied into <name>.libs/ and the extension's
RPATH points there. See test/README.md for what differs from PyPI.
"""
import base64
import email.parser
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

SUITES = {
    "trixie": "trixie",
    "bookworm": "bookworm",
    "bookworm-backports": "bookworm-backports",
}
KEYRING = {
    "trixie": "/usr/share/keyrings/debian-archive-trixie-stable.gpg",
    "bookworm": "/usr/share/keyrings/debian-archive-bookworm-stable.gpg",
    "bookworm-backports": "/usr/share/keyrings/debian-archive-bookworm-automatic.gpg",
}
# (Debian package, suite). Never python3-psycopg from bookworm (3.1.7): Django 4.2 refuses it.
PACKAGES = [
    ("python3-django", "trixie"),
    ("python3-django", "bookworm-backports"),
    ("python3-asgiref", "trixie"),
    ("python3-sqlparse", "trixie"),
    ("python3-typing-extensions", "trixie"),
    ("python3-whitenoise", "trixie"),
    ("python3-whitenoise", "bookworm"),
    ("python3-brotli", "trixie"),
    ("python3-dj-database-url", "trixie"),
    ("python3-dj-database-url", "bookworm"),
    ("python3-gunicorn", "trixie"),
    ("python3-gunicorn", "bookworm"),
    ("python3-packaging", "trixie"),
    ("python3-psycopg2", "trixie"),
    ("python3-psycopg", "trixie"),
    ("python3-psycopg-c", "trixie"),
    ("python3-django-environ", "trixie"),
    ("python3-decouple", "trixie"),
    ("python3-jinja2", "trixie"),
    ("python3-markupsafe", "trixie"),
    ("python3-uvicorn", "trixie"),
    ("python3-click", "trixie"),
    ("python3-h11", "trixie"),
    ("python3-django-compressor", "trixie"),
    ("python3-django-appconf", "trixie"),
    ("python3-rcssmin", "trixie"),
    ("python3-rjsmin", "trixie"),
]
# libpq and what it loads, for the wheels that bundle it (psycopg2-binary, psycopg-binary).
LIBPQ_CLOSURE = [
    "libpq5", "libgssapi-krb5-2", "libkrb5-3", "libk5crypto3", "libkrb5support0", "libcom-err2",
    "libkeyutils1", "libldap2", "libsasl2-2", "libsasl2-modules-db", "libdb5.3t64", "libgnutls30t64",
    "libidn2-0", "libunistring5", "libtasn1-6", "libnettle8t64", "libhogweed6t64", "libp11-kit0",
    "libffi8", "libgmp10",
]
# The package managers the generated Dockerfile installs into its tools virtualenv
# (shared/src/build/install.ts): poetry>=1.8, pipenv>=2023.12, pdm>=2.12. Their dependencies are
# not listed here: they are Debian's own Depends, followed through apt (dependency_closure), then
# checked against each wheel's Requires-Dist (unmet_requirements). uv is not packaged in Debian
# trixie (it is written in Rust and not in the archive), so the index has no uv.
MANAGERS = ["python3-poetry", "pipenv", "python3-pdm"]
# What a Depends line names that is no Python distribution of its own: the interpreter, the
# "Python is at least/at most" markers, and the wheels pip and venv bundle (already in every venv).
NOT_DISTRIBUTIONS = re.compile(
    r"^(python3|python3-minimal|python3\.\d+(-minimal)?|python3-supported-m(in|ax)|python3-(pip|setuptools)-whl"
    r"|python3-venv|python3-distutils|python3-lib2to3)$"
)
TRIXIE_PYTHON_TAG = "cp313"
# The markers pip evaluates in the base image (Debian trixie's CPython 3.13 on x86_64 Linux).
TRIXIE_MARKERS = {
    "python_version": "3.13", "python_full_version": "3.13.5", "implementation_name": "cpython",
    "implementation_version": "3.13.5", "platform_python_implementation": "CPython", "os_name": "posix",
    "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "extra": "",
}
# Debian replaces files that upstream vendors (Django admin's jQuery) with links into other
# packages; a wheel has to carry the files themselves, as upstream's does.
LINKED_ASSETS = ["libjs-jquery"]


def run(*args, **kwargs):
    return subprocess.run(args, check=True, **kwargs)


def apt_options(cache: Path):
    apt = cache / "apt"
    return [
        f"-oDir::Etc::SourceList={apt / 'sources.list'}",
        "-oDir::Etc::SourceParts=/dev/null",
        f"-oDir::State::Lists={apt / 'lists'}",
        f"-oDir::Cache={apt / 'cache'}",
        "-oDir::State::status=/dev/null",
        "-oAPT::Get::List-Cleanup=0",
        "-oDebug::NoLocking=1",
    ]


def prepare_apt(cache: Path):
    apt = cache / "apt"
    for sub in ("lists/partial", "cache/archives/partial"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    lines = [f"deb [signed-by={KEYRING[s]}] http://deb.debian.org/debian {SUITES[s]} main" for s in SUITES]
    (apt / "sources.list").write_text("\n".join(lines) + "\n")
    run("apt-get", *apt_options(cache), "update", "-qq")


def download(cache: Path, package: str, suite: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    before = set(into.iterdir())
    run("apt-get", *apt_options(cache), "download", "-qq", f"{package}/{suite}", cwd=into)
    new = [p for p in into.iterdir() if p not in before]
    if not new:  # downloaded in an earlier run
        matches = sorted(into.glob(f"{package}_*.deb"))
        if not matches:
            raise SystemExit(f"build-wheels: apt-get download {package}/{suite} produced nothing")
        return matches[-1]
    return new[0]


def package_fields(cache: Path, package: str, suite: str) -> dict[str, str] | None:
    """The control fields of package/suite in our apt state; None for a virtual package."""
    shown = subprocess.run(["apt-cache", *apt_options(cache), "show", "--no-all-versions", f"{package}/{suite}"],
                           capture_output=True, text=True)
    if shown.returncode != 0 or not shown.stdout.strip():
        return None
    return dict(email.parser.Parser().parsestr(shown.stdout.split("\n\n")[0], headersonly=True).items())


def provider(cache: Path, virtual: str, suite: str) -> str | None:
    """A real package that Provides `virtual` in `suite` (python3-cffi-backend for python3-cffi-backend-api-min)."""
    shown = subprocess.run(["apt-cache", *apt_options(cache), "showpkg", virtual], capture_output=True, text=True).stdout
    reverse = shown.partition("Reverse Provides:")[2].split()
    for name in reverse[::2]:
        if name.startswith("python3-") and package_fields(cache, name, suite) is not None:
            return name
    return None


def dependency_closure(cache: Path, roots: list[str], suite: str) -> list[str]:
    """`roots` and every Python package they Depend on (Pre-Depends too), recursively, by apt's data.

    For an alternative ("python3-tomli | python3-supported-min (>= 3.11)") a group that Python 3.13
    itself satisfies is dropped; otherwise the first alternative that names a Python package wins.
    """
    closure: list[str] = []
    queue = list(roots)
    while queue:
        package = queue.pop(0)
        if package in closure:
            continue
        fields = package_fields(cache, package, suite)
        if fields is None:
            real = provider(cache, package, suite)
            if real is None:
                raise SystemExit(f"build-wheels: {package} ({suite}) is neither a package nor provided by one")
            queue.append(real)
            continue
        closure.append(package)
        depends = ", ".join(fields.get(key, "") for key in ("Pre-Depends", "Depends"))
        for group in filter(None, (g.strip() for g in depends.split(","))):
            names = [re.split(r"[\s(:]", alternative.strip(), maxsplit=1)[0] for alternative in group.split("|")]
            if any(re.match(r"^python3-supported-m(in|ax)$", name) for name in names):
                continue
            wanted = next((n for n in names if n.startswith("python3-") and not NOT_DISTRIBUTIONS.match(n)), None)
            if wanted is not None:
                queue.append(wanted)
    return closure


def packaging_module(rootfs: Path):
    """`packaging` (requirements, markers, versions): pip vendors it, and the base image has pip."""
    try:
        import packaging.requirements  # noqa: F401
        import packaging.version  # noqa: F401
        import packaging.utils  # noqa: F401
        return packaging
    except ImportError:
        sys.path.insert(0, str(rootfs / "usr/lib/python3/dist-packages"))
        from pip._vendor import packaging as vendored
        import pip._vendor.packaging.requirements  # noqa: F401
        import pip._vendor.packaging.utils  # noqa: F401
        return vendored


def unmet_requirements(wheels: list[tuple[str, str, Path]], rootfs: Path) -> list[tuple[str, str]]:
    """(wheel, requirement) for each Requires-Dist that pip, in the base image, could not satisfy from `wheels`."""
    packaging = packaging_module(rootfs)
    versions: dict[str, list] = {}
    for name, version, _wheel in wheels:
        versions.setdefault(packaging.utils.canonicalize_name(name), []).append(packaging.version.Version(version))
    requires = {wheel: wheel_requirements(wheel, packaging) for _name, _version, wheel in wheels}
    # The extras anything asks for ("httpx[socks]"): their requirements must be met too.
    # (Only from requirements pip installs anyway: "pdm[cookiecutter]; extra == 'template'" asks for nothing.)
    extras: dict[str, set[str]] = {}
    for requirements in requires.values():
        for requirement in requirements:
            if requirement.marker is None or requirement.marker.evaluate(TRIXIE_MARKERS):
                extras.setdefault(packaging.utils.canonicalize_name(requirement.name), set()).update(requirement.extras)
    unmet = []
    for name, version, wheel in wheels:
        wanted = [""] + sorted(extras.get(packaging.utils.canonicalize_name(name), set()))
        for requirement in requires[wheel]:
            if requirement.marker is not None and not any(
                requirement.marker.evaluate({**TRIXIE_MARKERS, "extra": extra}) for extra in wanted
            ):
                continue
            available = versions.get(packaging.utils.canonicalize_name(requirement.name), [])
            if not any(requirement.specifier.contains(v, prereleases=True) for v in available):
                unmet.append((wheel, str(requirement)))
    return unmet


def wheel_metadata(wheel: Path) -> tuple[str, str]:
    """(path of METADATA in the wheel, its text)."""
    with zipfile.ZipFile(wheel) as archive:
        path = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return path, archive.read(path).decode()


def wheel_requirements(wheel: Path, packaging) -> list:
    metadata = email.parser.Parser().parsestr(wheel_metadata(wheel)[1], headersonly=True)
    return [packaging.requirements.Requirement(line) for line in metadata.get_all("Requires-Dist") or []]


def relax_pin(wheel: Path, requirement: str):
    """Drop the version range of one Requires-Dist, as Debian does when it ships the package with a
    newer dependency than upstream pinned (pdm 2.20 pins hishel<0.1, trixie has 0.1.2 and patches pdm)."""
    path, text = wheel_metadata(wheel)
    name = re.split(r"[\s\[(<>=!~;]", requirement, maxsplit=1)[0]
    line = next(l for l in text.splitlines() if l.startswith(f"Requires-Dist: {name}") and not l.startswith(f"Requires-Dist: {name}-"))
    marker = line.partition(";")[2]
    extras = re.match(rf"Requires-Dist: {re.escape(name)}\s*(\[[^\]]*\])?", line).group(1) or ""
    relaxed = f"Requires-Dist: {name}{extras}" + (f";{marker}" if marker else "")
    with zipfile.ZipFile(wheel) as archive:
        files = {n: archive.read(n) for n in archive.namelist() if not n.endswith("/RECORD")}
    files[path] = text.replace(line, relaxed, 1).encode()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        record = [f"{n},{hashed(data)},{len(data)}" for n, data in sorted(files.items())]
        dist_info = path.split("/")[0]
        record.append(f"{dist_info}/RECORD,,")
        files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
        for n in sorted(files):
            info = zipfile.ZipInfo(n, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if n.endswith(".so") or ".libs/" in n else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[n])
    print(f"build-wheels: {wheel.name}: '{line[len('Requires-Dist: '):]}' relaxed to '{relaxed[len('Requires-Dist: '):]}'")


def extract(deb: Path) -> Path:
    target = Path(tempfile.mkdtemp(prefix="deb-"))
    run("dpkg-deb", "-x", str(deb), str(target))
    return target


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name)


def read_metadata(info: Path) -> tuple[str, str, str]:
    """(name, version, METADATA text) from a .dist-info or an .egg-info folder."""
    if info.suffix == ".dist-info":
        text = (info / "METADATA").read_text()
    else:
        pkg_info = info / "PKG-INFO" if info.is_dir() else info
        text = pkg_info.read_text()
        requires = info / "requires.txt" if info.is_dir() else None
        if requires and requires.exists():
            extra_lines = []
            section = None
            for line in requires.read_text().splitlines():
                line = line.strip()
                if not line:
                    continue
                if line.startswith("["):
                    section = line.strip("[]")
                    continue
                if section is None:
                    extra_lines.append(f"Requires-Dist: {line}")
                else:
                    extra, _, marker = section.partition(":")
                    conditions = []
                    if extra:
                        conditions.append(f'extra == "{extra}"')
                        if f"Provides-Extra: {extra}" not in extra_lines:
                            extra_lines.append(f"Provides-Extra: {extra}")
                    if marker:
                        conditions.append(f"({marker})")
                    extra_lines.append(f"Requires-Dist: {line}; {' and '.join(conditions)}")
            head, sep, body = text.partition("\n\n")
            head = "\n".join(l for l in head.splitlines() if not l.startswith(("Requires-Dist:", "Provides-Extra:")))
            text = head + "\n" + "\n".join(extra_lines) + "\n" + sep + body
    message = email.parser.Parser().parsestr(text, headersonly=True)
    return message["Name"], message["Version"], text


def restore_setuptools(deb: Path, metadata: str) -> str:
    """Put back the setuptools requirement Debian drops from a package that imports pkg_resources
    (its Depends name python3-pkg-resources instead): upstream declares it (gunicorn 20.1:
    setuptools>=3.0), so pip installs it, and without it the program fails at start."""
    depends = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True, text=True, check=True).stdout
    if "python3-pkg-resources" not in re.split(r"[\s,|()]+", depends):
        return metadata
    if re.search(r"^Requires-Dist: setuptools\b", metadata, re.M):
        return metadata
    head, sep, body = metadata.partition("\n\n")
    if not sep:
        return metadata.rstrip("\n") + "\nRequires-Dist: setuptools\n"
    return head.rstrip("\n") + "\nRequires-Dist: setuptools" + sep + body


def hashed(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write_wheel(out_dir: Path, name: str, version: str, metadata: str, files: dict[str, bytes], tag: str,
                entry_points: str | None) -> Path:
    dist_info = f"{wheel_name(name)}-{version}.dist-info"
    files = dict(files)
    files[f"{dist_info}/METADATA"] = metadata.encode()
    files[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: django-deploy test bed (repacked from Debian)\n"
        f"Root-Is-Purelib: {'true' if tag.endswith('any') else 'false'}\nTag: {tag}\n"
    ).encode()
    if entry_points:
        files[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    record = [f"{path},{hashed(data)},{len(data)}" for path, data in sorted(files.items())]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    target = out_dir / f"{wheel_name(name)}-{version}-{tag}.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if path.endswith(".so") or ".libs/" in path else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[path])
    return target


def collect(root: Path, exclude: set[str]) -> dict[str, bytes]:
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_dir() or "__pycache__" in relative or relative.split("/")[0] in exclude:
            continue
        files[relative] = path.read_bytes()
    return files


def fill_links(tree: Path, assets: Path):
    """Replace each link that points outside the package with the file it names, from `assets`."""
    for link in [p for p in tree.rglob("*") if p.is_symlink()]:
        target = Path(os.path.normpath(link.parent / os.readlink(link)))
        if target.exists():
            continue
        inside = target.relative_to(tree)
        source = assets / inside
        if not source.is_file():
            raise SystemExit(f"build-wheels: {link.relative_to(tree)} links to /{inside}, which no asset package has")
        link.unlink()
        shutil.copyfile(source, link)


def asset_tree(cache: Path, suite: str) -> Path:
    suite = "bookworm" if suite == "bookworm-backports" else suite  # backports build on bookworm
    tree = cache / "assets" / suite
    if not tree.exists():
        for package in LINKED_ASSETS:
            extracted = extract(download(cache, package, suite, cache / "debs" / suite))
            shutil.copytree(extracted, tree, dirs_exist_ok=True, symlinks=True)
            shutil.rmtree(extracted)
    return tree


def repack(cache: Path, deb: Path, out_dir: Path, suite: str, dependency: bool = False) -> list[tuple[str, str, Path]]:
    """The wheel of the one distribution `deb` installs. A `dependency` (taken from the apt closure
    rather than named here) may install none: python3-cffi-backend is half of PyPI's cffi."""
    tree = extract(deb)
    try:
        fill_links(tree, asset_tree(cache, suite))
        site = tree / "usr/lib/python3/dist-packages"
        infos = [p for p in site.iterdir() if p.name.endswith((".dist-info", ".egg-info"))] if site.exists() else []
        if dependency and not infos:
            return []
        if not site.exists():
            raise SystemExit(f"build-wheels: {deb.name} has no /usr/lib/python3/dist-packages")
        if len(infos) != 1:
            raise SystemExit(f"build-wheels: {deb.name}: expected one distribution, found {[p.name for p in infos]}")
        info = infos[0]
        name, version, metadata = read_metadata(info)
        version = re.sub(r"\+.*$", "", version)
        metadata = restore_setuptools(deb, metadata)
        if normalize(name) == "setuptools":
            # PyPI's setuptools carries pkg_resources; Debian ships it apart (python3-pkg-resources).
            extra = extract(download(cache, "python3-pkg-resources", suite, deb.parent))
            try:
                shutil.copytree(extra / "usr/lib/python3/dist-packages/pkg_resources", site / "pkg_resources", dirs_exist_ok=True)
            finally:
                shutil.rmtree(extra)
        files = collect(site, {info.name})
        has_extension = any(path.endswith(".so") for path in files)
        if has_extension and suite != "trixie":
            return []  # built for another Python than the base image's
        tag = f"{TRIXIE_PYTHON_TAG}-{TRIXIE_PYTHON_TAG}-linux_x86_64" if has_extension else "py3-none-any"
        entry_points_file = info / "entry_points.txt"
        entry_points = entry_points_file.read_text() if entry_points_file.exists() else None
        wheel = write_wheel(out_dir, name, version, metadata, files, tag, entry_points)
        return [(name, version, wheel)]
    finally:
        shutil.rmtree(tree)


def debian_names(requirement_name: str) -> list[str]:
    """Debian's names for a distribution, by its Python policy (python3-<name>, lower case)."""
    raw = requirement_name.lower()
    canonical = normalize(raw)
    names = [raw, raw.replace("_", "-"), canonical, re.sub(r"^python-", "", canonical), re.sub(r"^py", "", canonical)]
    return [f"python3-{name}" for name in dict.fromkeys(names)]


def add_managers(cache: Path, debs: Path, out_dir: Path, rootfs: Path, wheels: list[tuple[str, str, Path]]):
    """Wheels for MANAGERS and their dependency closure (trixie), until every Requires-Dist is met.

    apt's Depends are the start; a Requires-Dist that Debian satisfies another way (a Debian
    package that is only half of PyPI's, like python3-cffi-backend for cffi) adds the package
    Debian's naming policy gives it, with its own closure."""
    done: set[str] = set()
    first = len(wheels)
    pending = dependency_closure(cache, MANAGERS, "trixie")
    while True:
        for package in pending:
            if package in done:
                continue
            done.add(package)
            deb = download(cache, package, "trixie", debs / "trixie")
            for built in repack(cache, deb, out_dir, "trixie", dependency=package not in MANAGERS):
                if not any(normalize(w[0]) == normalize(built[0]) and w[1] == built[1] for w in wheels):
                    wheels.append(built)
        unmet = unmet_requirements(wheels, rootfs)
        pending = []
        for _wheel, line in unmet:
            name = re.split(r"[\s\[(<>=!~;]", line.strip(), maxsplit=1)[0]
            found = next((n for n in debian_names(name) if n not in done and package_fields(cache, n, "trixie")), None)
            if found is not None:
                pending.extend(p for p in dependency_closure(cache, [found], "trixie") if p not in done)
        if not pending:
            break
    ours = {wheel for _name, _version, wheel in wheels[first:]}
    available = {normalize(name) for name, _version, _wheel in wheels}
    blocking = []
    for wheel, line in unmet:
        name = normalize(re.split(r"[\s\[(<>=!~;]", line.strip(), maxsplit=1)[0])
        if wheel in ours and name in available:
            relax_pin(wheel, line)  # Debian ships them together: its Depends vouch for the pair
        else:
            blocking.append((wheel, line))
    if blocking:
        raise SystemExit("build-wheels: requirements no Debian package meets:\n" + "\n".join(f"  {w.name}: {r}" for w, r in blocking))


def bundle_libpq(cache: Path, debs: Path, rootfs: Path) -> dict[str, bytes]:
    """libpq.so.5 and the libraries it needs that the base image does not have, RPATH $ORIGIN."""
    libs: dict[str, bytes] = {}
    for package in LIBPQ_CLOSURE:
        tree = extract(download(cache, package, "trixie", debs))
        try:
            for path in tree.rglob("*.so*"):
                if path.is_symlink() or not path.is_file():
                    continue
                soname = subprocess.run(["patchelf", "--print-soname", str(path)], capture_output=True, text=True).stdout.strip()
                if not soname or any(rootfs.glob(f"usr/lib/x86_64-linux-gnu/{soname}")):
                    continue
                libs[soname] = path.read_bytes()
        finally:
            shutil.rmtree(tree)
    patched: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for soname, data in libs.items():
            file = Path(scratch) / soname
            file.write_bytes(data)
            run("patchelf", "--set-rpath", "$ORIGIN", str(file))
            patched[soname] = file.read_bytes()
    return patched


def binary_variant(wheel: Path, out_dir: Path, new_name: str, libs: dict[str, bytes], libs_dir: str) -> Path:
    """The -binary wheel of a C-extension wheel: same code, libpq bundled beside it."""
    with zipfile.ZipFile(wheel) as archive:
        files = {n: archive.read(n) for n in archive.namelist() if ".dist-info/" not in n}
        dist_info = next(n.split("/")[0] for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(f"{dist_info}/METADATA").decode()
        entry = f"{dist_info}/entry_points.txt"
        entry_points = archive.read(entry).decode() if entry in archive.namelist() else None
    name_line = re.search(r"^Name: .*$", metadata, re.M)
    metadata = metadata.replace(name_line.group(0), f"Name: {new_name}", 1)
    version = re.search(r"^Version: (.*)$", metadata, re.M).group(1).strip()
    with tempfile.TemporaryDirectory() as scratch:
        for path, data in list(files.items()):
            if path.endswith(".so"):
                file = Path(scratch) / Path(path).name
                file.write_bytes(data)
                depth = path.count("/")
                rpath = "$ORIGIN/" + "../" * depth + libs_dir
                run("patchelf", "--set-rpath", rpath, str(file))
                files[path] = file.read_bytes()
    for soname, data in libs.items():
        files[f"{libs_dir}/{soname}"] = data
    tag = wheel.name.split("-", 2)[2][: -len(".whl")]
    return write_wheel(out_dir, new_name, version, metadata, files, tag, entry_points)


def write_index(out_dir: Path, simple: Path, wheels: list[tuple[str, str, Path]]):
    if simple.exists():
        shutil.rmtree(simple)
    simple.mkdir(parents=True)
    by_project: dict[str, list[Path]] = {}
    for name, _version, wheel in wheels:
        by_project.setdefault(normalize(name), []).append(wheel)
    links = []
    for project, files in sorted(by_project.items()):
        (simple / project).mkdir()
        anchors = []
        for wheel in sorted(files):
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            anchors.append(f'<a href="../../wheels/{wheel.name}#sha256={digest}">{wheel.name}</a><br>')
        (simple / project / "index.html").write_text(
            f"<!DOCTYPE html>\n<html><body>\n<h1>Links for {project}</h1>\n" + "\n".join(anchors) + "\n</body></html>\n"
        )
        links.append(f'<a href="{project}/">{project}</a><br>')
    (simple / "index.html").write_text("<!DOCTYPE html>\n<html><body>\n" + "\n".join(links) + "\n</body></html>\n")


def main():
    cache, rootfs = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    out_dir = cache / "wheels"
    debs = cache / "debs"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    prepare_apt(cache)
    wheels: list[tuple[str, str, Path]] = []
    for package, suite in PACKAGES:
        deb = download(cache, package, suite, debs / suite)
        for built in repack(cache, deb, out_dir, suite):
            if not any(normalize(w[0]) == normalize(built[0]) and w[1] == built[1] for w in wheels):
                wheels.append(built)
    add_managers(cache, debs, out_dir, rootfs, wheels)
    libs = bundle_libpq(cache, debs / "trixie", rootfs)
    for source, binary in (("psycopg2", "psycopg2-binary"), ("psycopg-c", "psycopg-binary")):
        built = [w for w in wheels if normalize(w[0]) == source]
        if not built:
            raise SystemExit(f"build-wheels: no {source} wheel to make {binary} from")
        libs_dir = f"{wheel_name(binary)}.libs"
        variant = binary_variant(built[0][2], out_dir, binary, libs, libs_dir)
        wheels.append((binary, built[0][1], variant))
    # The plain C builds link the system libpq: usable where the image installs libpq5 (as the
    # generated Dockerfile does for psycopg2 and psycopg[c]), as a source build on PyPI would need.
    write_index(out_dir, cache / "simple", wheels)
    for name, version, wheel in sorted(wheels):
        print(f"{name} {version} {wheel.name}")


if __name__ == "__main__":
    main()
