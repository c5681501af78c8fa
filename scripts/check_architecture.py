#!/usr/bin/env python
"""Check the architecture rules of issue 18 on the source of ``src/crossings`` and print every finding.

    python scripts/check_architecture.py          # exit status 1 if anything is found

The checks read the source with :mod:`ast` (nothing is imported): the import graph (every import of a
``crossings`` module, at module level and inside functions, relative ones resolved, ``if TYPE_CHECKING:`` ones
left out; ``from crossings.x import y`` is an edge to ``crossings.x.y`` when that is a module) has no circle and
follows the one-way layer order; no function is longer than 80 lines; no module-level mutable state; every
import inside a function says in a comment why it is deferred; no code outside the model registry compares a
model's name with a built-in model name.

The layer table lives at the top of ``tests/unit/test_architecture.py`` (it documents the layers); the test
imports the functions below and this script reads the table from the test, so the two cannot drift.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import io
import sys
import tokenize
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
PACKAGE = "crossings"
TEST = REPO / "tests" / "unit" / "test_architecture.py"
REGISTRY = "crossings.engine.model"  # the one module allowed to ask for a model by name
MAX_FUNCTION_LINES = 80
MUTATING_METHODS = frozenset({"append", "appendleft", "extend", "extendleft", "insert", "update", "setdefault",
                              "pop", "popleft", "popitem", "clear", "add", "discard", "remove", "move_to_end"})
CONTAINER_CALLS = frozenset({"dict", "list", "set", "OrderedDict", "defaultdict", "deque", "Counter"})
STATE_CALLS = frozenset({"ContextVar", "local"})  # contextvars.ContextVar, threading.local: state by design
CACHE_DECORATORS = frozenset({"lru_cache", "cache"})  # functools: a module-level cache of results
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _by_place(found: Iterable[str]) -> list[str]:
    """Findings without repeats, in order of file and line (``path:line: ...``)."""
    def key(item: str) -> tuple[str, int, str]:
        path, _, rest = item.partition(":")
        line, _, _ = rest.partition(":")
        return (path, int(line), item) if line.isdigit() else (path, 0, item)
    return sorted(set(found), key=key)


# ---- the source ---------------------------------------------------------------------------------------------

@dataclass
class Module:
    """One source file of the package, parsed once."""

    name: str
    path: Path
    is_package: bool
    tree: ast.Module
    comments: dict[int, str] = field(default_factory=dict)  # line -> text of the comment on it
    comment_only: frozenset[int] = frozenset()  # lines that hold nothing but a comment

    @property
    def rel(self) -> str:
        """The path relative to the repository, as findings print it."""
        try:
            return str(self.path.relative_to(REPO))
        except ValueError:
            return str(self.path)


@dataclass(frozen=True)
class Import:
    """One edge of the import graph: ``importer`` imports ``imported`` at ``line`` of ``path``."""

    importer: str
    imported: str
    path: str
    line: int
    deferred: bool  # inside a function

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} -> {self.imported}"


def load_modules(src: Path = SRC, package: str = PACKAGE) -> dict[str, Module]:
    """Every module of the package under ``src``, by dotted name."""
    modules: dict[str, Module] = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        text = path.read_text(encoding="utf-8")
        comments, comment_only = _comments(text)
        modules[".".join(parts)] = Module(".".join(parts), path, is_package, ast.parse(text, str(path)),
                                          comments, comment_only)
    return modules


def _comments(text: str) -> tuple[dict[int, str], frozenset[int]]:
    """The comments of a source text by line, and the lines that hold only a comment."""
    comments: dict[int, str] = {}
    code_lines: set[int] = set()
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string
        elif tok.type not in skip:
            code_lines.update(range(tok.start[0], tok.end[0] + 1))
    return comments, frozenset(line for line in comments if line not in code_lines)


def _walk_with_context(tree: ast.AST) -> Iterator[tuple[ast.AST, bool]]:
    """Every node with whether it sits inside a function, leaving out the bodies of ``if TYPE_CHECKING:``."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        yield node, in_function
        inner = in_function or isinstance(node, (*FUNCTIONS, ast.Lambda))
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            children = list(node.orelse)
        stack.extend((child, inner) for child in reversed(children))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _known(name: str, modules: Mapping[str, Module]) -> str:
    """The module ``name`` names, or its nearest enclosing package that is a module of the project."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _resolve_from(module: Module, node: ast.ImportFrom) -> str | None:
    """The absolute module named by a ``from ... import`` (relative levels resolved)."""
    if node.level == 0:
        return node.module
    base = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _targets(module: Module, node: ast.Import | ast.ImportFrom, modules: Mapping[str, Module]) -> list[str]:
    """The project modules one import statement imports."""
    root = module.name.split(".")[0]
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
        return [_known(n, modules) for n in names if n == root or n.startswith(root + ".")]
    source = _resolve_from(module, node)
    if source is None or not (source == root or source.startswith(root + ".")):
        return []
    out = []
    for alias in node.names:
        sub = f"{source}.{alias.name}"
        out.append(sub if sub in modules else _known(source, modules))
    return out


def import_edges(modules: Mapping[str, Module]) -> list[Import]:
    """Every import of a project module, at module level and inside functions (``TYPE_CHECKING`` ones left out)."""
    edges: list[Import] = []
    for module in modules.values():
        for node, in_function in _walk_with_context(module.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in dict.fromkeys(_targets(module, node, modules)):
                    edges.append(Import(module.name, target, module.rel, node.lineno, in_function))
    return sorted(edges, key=lambda e: (e.path, e.line, e.imported))


# ---- a. circles -----------------------------------------------------------------------------------------------

def _strongly_connected(nodes: Iterable[str], succ: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(succ.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(succ.get(nxt, ())))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(sorted(component))
    return out


def import_cycles(edges: Sequence[Import]) -> list[str]:
    """One finding per import circle (a strongly connected component of more than one module, or a module that
    imports itself), listing every import inside it."""
    succ: dict[str, set[str]] = {}
    for e in edges:
        succ.setdefault(e.importer, set()).add(e.imported)
    nodes = sorted({e.importer for e in edges} | {e.imported for e in edges})
    findings = []
    for component in _strongly_connected(nodes, succ):
        members = set(component)
        if len(component) == 1 and component[0] not in succ.get(component[0], set()):
            continue
        inside = [e for e in edges if e.importer in members and e.imported in members]
        lines = "\n    ".join(str(e) for e in inside)
        findings.append(f"circle of {len(component)} module(s): {', '.join(component)}\n    {lines}")
    return _by_place(findings)


# ---- b. layers ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layers:
    """The layer rules: ``table`` rows of (module prefix, layer, rank); ``apart``: pairs of layers of one rank
    that never import each other; ``only``: layer -> the only other layers it may import; ``never``: layer ->
    layers it never imports. The root package's row matches only the root module itself."""

    table: Sequence[tuple[str, str, int]]
    apart: Sequence[tuple[str, str]] = ()
    only: Mapping[str, Sequence[str]] = field(default_factory=dict)
    never: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def layer_of(self, module: str) -> tuple[str, int] | None:
        """The (layer, rank) of a module: the row with the longest matching prefix."""
        best: tuple[str, str, int] | None = None
        for prefix, layer, rank in self.table:
            exact_only = "." not in prefix
            if module == prefix or (not exact_only and module.startswith(prefix + ".")):
                if best is None or len(prefix) > len(best[0]):
                    best = (prefix, layer, rank)
        return None if best is None else (best[1], best[2])


def layer_violations(edges: Sequence[Import], layers: Layers, modules: Iterable[str] = ()) -> list[str]:
    """Every import against the layer order, and every module the table does not place."""
    findings = [f"{m}: not in the layer table" for m in sorted(modules) if layers.layer_of(m) is None]
    apart = {frozenset(pair) for pair in layers.apart}
    for e in edges:
        src, dst = layers.layer_of(e.importer), layers.layer_of(e.imported)
        if src is None or dst is None or src[0] == dst[0]:
            continue
        why = None
        if dst[1] > src[1]:
            why = f"{src[0]} imports a later layer ({dst[0]})"
        elif frozenset((src[0], dst[0])) in apart:
            why = f"{src[0]} and {dst[0]} never import each other"
        elif src[0] in layers.only and dst[0] not in layers.only[src[0]]:
            why = f"{src[0]} imports only {', '.join(layers.only[src[0]])}"
        elif dst[0] in layers.never.get(src[0], ()):
            why = f"{src[0]} never imports {dst[0]}"
        if why:
            findings.append(f"{e}  [{why}]")
    return findings


# ---- c. long functions ----------------------------------------------------------------------------------------

def long_functions(modules: Mapping[str, Module], limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """Every function or method longer than ``limit`` lines (from ``def`` to its last line; decorators aside)."""
    findings = []
    for module in modules.values():
        for node in _qualified_functions(module.tree):
            fn, qualname = node
            length = fn.end_lineno - fn.lineno + 1
            if length > limit:
                findings.append(f"{module.rel}:{fn.lineno}: {module.name}.{qualname} is {length} lines (limit {limit})")
    return _by_place(findings)


def _qualified_functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[ast.FunctionDef, str]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, FUNCTIONS):
            yield node, prefix + node.name
            yield from _qualified_functions(node, f"{prefix}{node.name}.<locals>.")
        elif isinstance(node, ast.ClassDef):
            yield from _qualified_functions(node, f"{prefix}{node.name}.")
        else:
            yield from _qualified_functions(node, prefix)


# ---- d. module-level mutable state ----------------------------------------------------------------------------

def _call_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        f = node.func
        return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
    return None


def _module_level(tree: ast.Module) -> Iterator[ast.stmt]:
    """Module-level statements, looking into ``if``/``try`` blocks at module level too."""
    for node in tree.body:
        yield node
        if isinstance(node, (ast.If, ast.Try)):
            for block in (node.body, node.orelse, *(h.body for h in getattr(node, "handlers", ())),
                          getattr(node, "finalbody", [])):
                yield from _module_level(ast.Module(body=list(block), type_ignores=[]))


def _module_containers(module: Module) -> tuple[dict[str, int], list[str]]:
    """Module-level names bound to a mutable container (name -> line), and the module-level state objects
    (ContextVar, threading.local) found outright."""
    containers: dict[str, int] = {}
    state: list[str] = []
    for node in _module_level(module.tree):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        call = _call_name(value)
        if call in STATE_CALLS:
            state.append(f"{module.rel}:{node.lineno}: {module.name}.{', '.join(names)} is a module-level {call}")
        elif isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)) or (
                call in CONTAINER_CALLS):
            containers.update(dict.fromkeys(names, node.lineno))
    return containers, state


def _bound_names(fn: ast.AST) -> set[str]:
    """Names a function binds locally (its parameters and every name it assigns), its own scope only."""
    bound: set[str] = set()
    declared_global: set[str] = set()
    if isinstance(fn, (*FUNCTIONS, ast.Lambda)):
        a = fn.args
        bound.update(arg.arg for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if arg)
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        if isinstance(node, (*FUNCTIONS, ast.ClassDef)):
            bound.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            declared_global.update(node.names)
        stack.extend(ast.iter_child_nodes(node))
    return bound - declared_global


def _aliases(module: Module, modules: Mapping[str, Module]) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Names a module imports from project modules: name -> (module, attribute), and module aliases: name ->
    module."""
    names: dict[str, tuple[str, str]] = {}
    mods: dict[str, str] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            source = _resolve_from(module, node)
            if source is None or not source.startswith(PACKAGE):
                continue
            for alias in node.names:
                local = alias.asname or alias.name
                if f"{source}.{alias.name}" in modules:
                    mods[local] = f"{source}.{alias.name}"
                else:
                    names[local] = (source, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE) and alias.asname:
                    mods[alias.asname] = alias.name
    return names, mods


def _mutated(node: ast.AST) -> ast.expr | None:
    """The object a statement or call mutates in place, if any."""
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
        for t in node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]:
            if isinstance(t, ast.Subscript):
                return t.value
            if isinstance(node, ast.AugAssign) and isinstance(t, (ast.Name, ast.Attribute)):
                return t
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Subscript):
        return node.target.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATING_METHODS:
        return node.func.value
    return None


def _function_mutations(tree: ast.AST, outer_bound: frozenset[str] = frozenset()
                        ) -> Iterator[tuple[ast.AST, ast.expr, frozenset[str]]]:
    """(node, mutated object, names local there) for every in-place mutation inside a function."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (*FUNCTIONS, ast.Lambda)):
            bound = outer_bound | _bound_names(node)
            for inner in _own_nodes(node):
                target = _mutated(inner)
                if target is not None:
                    yield inner, target, bound
            yield from _function_mutations(node, bound)
        else:
            yield from _function_mutations(node, outer_bound)


def _own_nodes(fn: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a function's own body (nested functions are visited on their own)."""
    stack = list(ast.iter_child_nodes(fn))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (*FUNCTIONS, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def mutable_state(modules: Mapping[str, Module]) -> list[str]:
    """``global`` statements, module-level ContextVars, thread-locals and caches, and module-level containers that
    a function mutates (in the module itself or through an import)."""
    findings: list[str] = []
    containers: dict[tuple[str, str], int] = {}
    for module in modules.values():
        found, state = _module_containers(module)
        findings.extend(state)
        containers.update({(module.name, name): line for name, line in found.items()})
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Global):
                findings.append(f"{module.rel}:{node.lineno}: `global {', '.join(node.names)}`")
        for node in _module_level(module.tree):
            for fn in _methods_and_functions(node):
                for deco in fn.decorator_list:
                    name = _call_name(deco) or (deco.id if isinstance(deco, ast.Name) else
                                                deco.attr if isinstance(deco, ast.Attribute) else None)
                    if name in CACHE_DECORATORS:
                        findings.append(f"{module.rel}:{deco.lineno}: {module.name}.{fn.name} keeps a module-level "
                                        f"cache (@{name})")
    for module in modules.values():
        names, mods = _aliases(module, modules)
        for node, target, bound in _function_mutations(module.tree):
            key = None
            if isinstance(target, ast.Name) and target.id not in bound:
                key = names.get(target.id, (module.name, target.id))
            elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and (
                    target.value.id in mods and target.value.id not in bound):
                key = (mods[target.value.id], target.attr)
            if key in containers:
                owner = modules[key[0]]
                findings.append(f"{module.rel}:{node.lineno}: mutates the module-level {key[1]} of {key[0]} "
                                f"(defined at {owner.rel}:{containers[key]})")
    return _by_place(findings)


def _methods_and_functions(node: ast.AST) -> Iterator[ast.FunctionDef]:
    if isinstance(node, FUNCTIONS):
        yield node
    elif isinstance(node, ast.ClassDef):
        for child in node.body:
            yield from _methods_and_functions(child)


# ---- e. deferred imports ----------------------------------------------------------------------------------------

def _says_something(comment: str | None) -> bool:
    """A comment with words in it (``# noqa: ...``, ``# type: ...`` and ``# pragma ...`` alone do not count)."""
    if not comment:
        return False
    text = comment.lstrip("#").strip()
    for marker in ("noqa", "type:", "pragma"):
        if text.startswith(marker):
            return False
    return any(ch.isalpha() for ch in text)


def undocumented_deferred_imports(modules: Mapping[str, Module]) -> list[str]:
    """Every import inside a function without a comment on its line(s) or on the comment line just above it (a
    comment line above a run of consecutive imports covers the run)."""
    findings = []
    for module in modules.values():
        for fn in (n for n in ast.walk(module.tree) if isinstance(n, FUNCTIONS)):
            for block in _blocks(fn):
                covered_until = None  # last line of a run of imports that a comment covers
                for stmt in block:
                    if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                        covered_until = None
                        continue
                    above = stmt.lineno - 1
                    if (above in module.comment_only and _says_something(module.comments.get(above))) or (
                            covered_until == above):
                        covered_until = stmt.end_lineno
                        continue
                    covered_until = None
                    if any(_says_something(module.comments.get(line))
                           for line in range(stmt.lineno, stmt.end_lineno + 1)):
                        continue
                    findings.append(f"{module.rel}:{stmt.lineno}: `{ast.unparse(stmt)}` inside {fn.name}() does not "
                                    "say why it is deferred")
    return _by_place(findings)


def _blocks(fn: ast.AST) -> Iterator[list[ast.stmt]]:
    """Every statement list inside a function (its body and the bodies of its compound statements), nested
    functions left to themselves."""
    stack: list[ast.AST] = [fn]
    while stack:
        node = stack.pop()
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(node, name, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block
            if isinstance(block, list):
                stack.extend(child for child in block if not isinstance(child, (*FUNCTIONS, ast.ClassDef))
                             and isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)))


# ---- f. questions about a model's name ---------------------------------------------------------------------------

def builtin_model_names(modules: Mapping[str, Module]) -> frozenset[str]:
    """The keys of the registry's ``BUILTIN`` table (read from its source)."""
    registry = modules.get(REGISTRY)
    if registry is None:
        return frozenset({"flee", "emigration"})
    for node in registry.tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) else None)
        if isinstance(target, ast.Name) and target.id == "BUILTIN":
            keys = [k.value for k in ast.walk(node.value) if isinstance(k, ast.Dict)
                    for k in k.keys if isinstance(k, ast.Constant)]
            return frozenset(keys)
    return frozenset({"flee", "emigration"})


def _is_modelish(node: ast.expr) -> bool:
    return isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)) and "model" in ast.unparse(
        node).lower()


def _names_only(node: ast.expr, names: frozenset[str]) -> bool:
    """A constant model name, or a tuple/list/set of them."""
    if isinstance(node, ast.Constant):
        return node.value in names
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return bool(node.elts) and all(isinstance(e, ast.Constant) and e.value in names for e in node.elts)
    return False


def model_name_questions(modules: Mapping[str, Module]) -> list[str]:
    """Every comparison of something named like a model with a built-in model's name, outside the registry."""
    names = builtin_model_names(modules)
    findings = []
    for module in modules.values():
        if module.name == REGISTRY:
            continue
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, sides[:-1], sides[1:], strict=True):
                pairs = [(left, right), (right, left)] if isinstance(op, (ast.Eq, ast.NotEq)) else (
                    [(left, right)] if isinstance(op, (ast.In, ast.NotIn)) else [])
                if any(_is_modelish(a) and _names_only(b, names) for a, b in pairs):
                    findings.append(f"{module.rel}:{node.lineno}: asks a model's name: `{ast.unparse(node)}`")
                    break
    return _by_place(findings)


# ---- all together -------------------------------------------------------------------------------------------------

CHECKS = ("a. import circles", "b. layer order", "c. functions over 80 lines", "d. module-level mutable state",
          "e. deferred imports without a reason", "f. questions about a model's name")


def findings(layers: Layers, src: Path = SRC) -> dict[str, list[str]]:
    """Every finding of every check on the package under ``src``, by check."""
    return check_all(load_modules(src), layers)


def check_all(modules: Mapping[str, Module], layers: Layers) -> dict[str, list[str]]:
    """Every finding of every check on parsed modules, by check."""
    edges = import_edges(modules)
    return {
        CHECKS[0]: import_cycles(edges),
        CHECKS[1]: layer_violations(edges, layers, modules),
        CHECKS[2]: long_functions(modules),
        CHECKS[3]: mutable_state(modules),
        CHECKS[4]: undocumented_deferred_imports(modules),
        CHECKS[5]: model_name_questions(modules),
    }


def load_layers(test: Path = TEST) -> Layers:
    """The layer rules from the table at the top of the architecture test."""
    sys.modules.setdefault("check_architecture", sys.modules[__name__])  # the test finds this module loaded
    spec = importlib.util.spec_from_file_location("test_architecture", test)
    assert spec is not None and spec.loader is not None, f"cannot import {test}"
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LAYER_RULES


def report(found: Mapping[str, Sequence[str]]) -> str:
    """The findings as text, one section per check."""
    out = []
    for check, items in found.items():
        out.append(f"## {check}: {len(items)}")
        out.extend(f"- {item}" for item in items)
        out.append("")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=SRC, help="the source directory holding the package")
    args = parser.parse_args(argv)
    found = findings(load_layers(), args.src)
    sys.stdout.write(report(found))
    return 1 if any(found.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
