"""The house's structural figures (issue 15): cross-domain imports of another domain's
``models`` or ``repository``, modules at the package root, import circles between modules
(every import counts, lazy and type-checking ones too), and the lines of the delivery code
(the notify and webhooks queues and engines, and the shared ``delivery`` package).

    python3 scripts/house_metrics.py          # the figures, one per line
    python3 scripts/house_metrics.py --list   # and every cross-domain import, file:line
    python3 scripts/house_metrics.py --root ../main   # another checkout's figures
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

# Another checkout's figures: --root PATH (its src/signoff).
ROOT = (
    Path(sys.argv[sys.argv.index("--root") + 1]) / "src" / "signoff"
    if "--root" in sys.argv
    else Path(__file__).resolve().parent.parent / "src" / "signoff"
)
# Not domains: cross-cutting or pure libraries every domain may use.
NOT_DOMAINS = {"core", "docformat", "migrations", "delivery", "exchange"}
# The wiring, which knows every domain as the package root's modules do: the command line,
# the process runtime (the worker's queues) and the migrations (every table's model).
WIRING = {"cli", "runtime", "migrations"}
INNER = {"models", "repository"}
# The delivery machinery, wherever it lives (files that do not exist count 0).
DELIVERY = [
    "delivery",
    "notify/engine.py",
    "notify/queue.py",
    "notify/metrics.py",
    "notify/models.py",
    "notify/mailer.py",
    "webhooks/engine.py",
    "webhooks/queue.py",
    "webhooks/metrics.py",
    "webhooks/circuit.py",
    "webhooks/models.py",
    "webhooks/sender.py",
]


def domains() -> set[str]:
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    return packages - NOT_DOMAINS - WIRING


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return found


def cross_domain() -> list[str]:
    known = domains()
    hits: set[str] = set()
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        own = rel.parts[0] if len(rel.parts) > 1 else None
        for line, name in imported(ast.parse(path.read_text())):
            parts = name.split(".")
            if len(parts) < 3 or parts[0] != "signoff":
                continue
            target, inner = parts[1], parts[2]
            if target in known and target != own and inner in INNER:
                hits.add(f"{rel}:{line} {'.'.join(parts[:3])}")
    return sorted(hits)


def module_of(path: Path) -> str:
    parts = ["signoff", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def circles() -> list[list[str]]:
    """The strongly connected sets of modules of more than one (Tarjan)."""
    paths = {module_of(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        graph[name] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from package import module` imports the module, as grimp counts it.
                for alias in node.names:
                    inner = f"{node.module}.{alias.name}"
                    graph[name].add(inner if inner in paths else node.module)
            elif isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names)
        graph[name] = {m for m in graph[name] if m in paths and m != name}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    sets: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            found = []
            while (w := stack.pop()) != v:
                found.append(w)
            if found:
                sets.append(sorted([v, *found]))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sets


def lines(rel: str) -> int:
    path = ROOT / rel
    files = list(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []
    return sum(len(f.read_text().splitlines()) for f in files)


def main() -> None:
    hits = cross_domain()
    root = sorted(p.name for p in ROOT.glob("*.py") if p.name != "__init__.py")
    inside = [h for h in hits if "/" in h and h.split("/")[0] not in WIRING]
    print(
        f"cross_domain_imports {len(inside)} from domains,"
        f" {len(hits) - len(inside)} from the wiring (root modules, {', '.join(sorted(WIRING))})"
    )
    print(f"root_modules {len(root)} ({' '.join(root)})")
    found = circles()
    print(f"import_circles {len(found)}", *(" <-> ".join(c) for c in found))
    print(f"delivery_lines {sum(lines(r) for r in DELIVERY)}")
    for rel in DELIVERY:
        print(f"  {rel} {lines(rel)}")
    if "--list" in sys.argv:
        print(*hits, sep="\n")


if __name__ == "__main__":
    main()
