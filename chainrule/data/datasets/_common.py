"""What the dataset readers share: their errors, where data is looked for, and the download."""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

DEBIAN_DATASETS = Path("/usr/share/datasets")


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are on none of the places searched (the message lists them)."""


class DatasetFormatError(ValueError):
    """A dataset file is not what its format says: wrong magic number, truncated, inconsistent."""


def cache_dir() -> Path:
    """chainrule's user cache: ``$XDG_CACHE_HOME/chainrule``, by default ``~/.cache/chainrule``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chainrule"


def search_dirs(name: str, root=None, subdirs: Sequence[str] = (),
                system: Sequence[Path] = ()) -> list[Path]:
    """The folders where dataset ``name`` is looked for, in order.

    With ``root``: ``root`` itself and ``root/<name>`` only. Otherwise ``$CHAINRULE_DATA/<name>``,
    the user cache ``~/.cache/chainrule/<name>``, then ``system`` folders (Debian's packages).
    ``subdirs`` are other layouts tried under each base (e.g. torchvision's ``FashionMNIST/raw``).
    """
    names = [name, *subdirs]
    if root is not None:
        root = Path(root).expanduser()
        return [root] + [root / n for n in names]
    dirs = []
    env = os.environ.get("CHAINRULE_DATA")
    if env:
        dirs += [Path(env).expanduser() / n for n in names]
    dirs += [cache_dir() / n for n in names]
    dirs += list(system)
    return dirs


def sha256_of(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(urls: Sequence[str], dest: Path, sha256: str, timeout: float = 60.0) -> Path:
    """Fetch ``dest`` from the first of ``urls`` that answers, verifying its SHA-256.

    The file is written to a temporary name beside ``dest`` and renamed only once its digest
    matches, so an interrupted or corrupted download never leaves a file that looks complete.
    (Never run by the tests: no test touches the network.)
    """
    import urllib.request

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".part")
        try:
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as r:
                for chunk in iter(lambda: r.read(1 << 20), b""):
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            digest = h.hexdigest()
            if digest != sha256:
                failures.append(f"{url}: SHA-256 {digest} is not the expected {sha256}")
                continue
            os.replace(tmp, dest)
            return dest
        except OSError as e:
            failures.append(f"{url}: {e}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise OSError(f"could not download {dest.name}:\n  " + "\n  ".join(failures))


def format_dirs(dirs: Sequence[Path]) -> str:
    return "\n".join(f"  - {d}" for d in dirs)
