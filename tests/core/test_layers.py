"""Layers point one way: every import of the project's own modules, at the top of a file or inside a function."""

import ast
from pathlib import Path

import coalition

ROOT = Path(coalition.__file__).parent
APPS = ("coalition.signatures", "coalition.accounts", "coalition.letters", "coalition.mail")


def _imports():
    """{module: {project modules it imports}}, migrations aside."""
    graph = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if parts[-1] == "__init__" else module.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module
                found.add(target)
                # `from . import services` names modules, not attributes.
                found.update(f"{target}.{alias.name}" for alias in node.names)
        graph[module] = {name for name in found if name.startswith("coalition.") and name != module}
    known = set(graph)
    return {module: {name for name in names if name in known} for module, names in graph.items()}


def _in(module, package):
    return module == package or module.startswith(package + ".")


def test_core_imports_no_app():
    wrong = {
        (module, name)
        for module, names in _imports().items()
        if _in(module, "coalition.core")
        for name in names
        if any(_in(name, app) for app in APPS)
    }
    assert not wrong


def test_the_signatory_list_needs_no_code_of_the_accounts_app():
    wrong = {
        (module, name)
        for module, names in _imports().items()
        if _in(module, "coalition.signatures")
        for name in names
        if _in(name, "coalition.accounts")
    }
    assert not wrong


def test_no_import_cycle_among_the_apps_modules():
    graph = {
        module: names
        for module, names in _imports().items()
        if any(_in(module, app) for app in ("coalition.signatures", "coalition.accounts", "coalition.letters"))
    }
    state, cycles = {}, []

    def visit(module, path):
        state[module] = "open"
        for name in sorted(graph.get(module, ())):
            if state.get(name) == "open":
                cycles.append([*path[path.index(name) :], name])
            elif name not in state:
                visit(name, [*path, name])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles
