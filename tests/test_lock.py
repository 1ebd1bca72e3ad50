"""The lock file covers pyproject.toml: a dependency added or a range changed without `make lock` fails here.

The venv is built from requirements/lock.txt alone (`pip install --require-hashes --no-deps`), so a
package named in pyproject.toml (with the `dev` extra) but missing from the lock would simply not be
installed on a fresh machine.
"""

from __future__ import annotations

import re
from itertools import takewhile
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

try:
    import tomllib  # Python 3.11+
except ModuleNotFoundError:  # Python 3.10: tomli comes with pytest and mypy
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}\b")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> List[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    requirements = [Requirement(line) for line in lines]
    return [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": "dev"})]


def _locked() -> Dict[str, Tuple[str, int]]:
    """Each pinned package: its version and how many sha256 hashes follow its pin."""
    pins: Dict[str, Tuple[str, int]] = {}
    current = None
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            current = _canonical(match.group(1))
            pins[current] = (match.group(2), 0)
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        if current is not None:
            version, hashes = pins[current]
            pins[current] = (version, hashes + len(HASH.findall(line)))
        if not line.rstrip().endswith("\\"):
            current = None
    return pins


def test_lock_exists_and_says_how_it_was_made():
    text = LOCK.read_text(encoding="utf-8")
    header = "\n".join(takewhile(lambda line: line.startswith("#") or not line.strip(), text.splitlines()))
    assert "make lock" in header and "--generate-hashes" in header
    # No machine's own index or wheel folder is written into the file.
    assert not re.search(r"^\s*(--index-url|--extra-index-url|--find-links|-i\s|-f\s)", text, re.M)


def test_every_pin_has_a_hash():
    pins = _locked()
    assert len(pins) > 100
    unhashed = sorted(name for name, (_, hashes) in pins.items() if not hashes)
    assert not unhashed, f"pinned without a --hash=sha256: {unhashed}"


@pytest.mark.parametrize("requirement", _declared(), ids=str)
def test_each_dependency_is_pinned_and_hashed(requirement: Requirement):
    pins = _locked()
    name = _canonical(requirement.name)
    assert name in pins, (
        f"{requirement.name} is in pyproject.toml but not in requirements/lock.txt: run `make lock`"
    )
    version, hashes = pins[name]
    assert hashes, f"{requirement.name} is pinned without a --hash=sha256: run `make lock`"
    assert requirement.specifier.contains(Version(version), prereleases=True), (
        f"{requirement.name}=={version} in the lock is outside pyproject.toml's "
        f"'{requirement.specifier}': run `make lock`"
    )
