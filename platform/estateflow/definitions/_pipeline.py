"""Find definition files, merge overlays, validate, compile and lint them as a whole.

A *library* is a folder holding ``procedures/`` and ``forms/``. An *estate* is a folder
holding ``estate.yaml`` and, optionally, its own ``procedures/`` and ``forms/`` overlays,
which build on the library its ``library:`` key names. Every file is read once per run
and every problem of every file is reported, sorted by position.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from estateflow.definitions._compile import (
    Library,
    compile_estate,
    compile_form,
    compile_procedure,
    did_you_mean,
)
from estateflow.definitions._lint import lint_estate, lint_graph, lint_joins
from estateflow.definitions._located import Located
from estateflow.definitions._reader import Document, iter_files, read_document, source_text
from estateflow.definitions._specs import Bundle, EstateSpec, FormSpec, ProcedureSpec
from estateflow.definitions._validate import validate
from estateflow.errors import DefinitionError, Diagnostic, SourceSpan

ESTATE_FILES = ("estate.yaml", "estate.yml", "estate.json")
_FOLDER_KINDS = {"procedures": "procedure", "forms": "form"}


def builtin_library() -> Path:
    """The base library shipped with EstateFlow (the repository root in a checkout)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "procedures").is_dir() and (parent / "forms").is_dir():
            return parent
    return here.parents[3]


@dataclass
class CheckResult:
    """What one ``check`` found: diagnostics, file texts, and the bundles that compiled."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    bundles: dict[str, Bundle] = field(default_factory=dict)
    files: int = 0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]


@dataclass
class _Layer:
    procedures: dict[str, Located] = field(default_factory=dict)
    forms: dict[str, Located] = field(default_factory=dict)

    def of(self, kind: str) -> dict[str, Located]:
        return self.procedures if kind == "procedure" else self.forms


class _Run:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.result = CheckResult()
        self.seen: set[tuple] = set()
        self.docs: dict[Path, Document | None] = {}
        self.libraries: dict[Path, _Layer] = {}
        self.library_specs: dict[Path, tuple[dict[str, FormSpec], dict[str, ProcedureSpec]]] = {}

    # -- reporting and reading -----------------------------------------------------------
    def add(self, diagnostics: Iterable[Diagnostic]) -> None:
        for d in diagnostics:
            if not (d.message.isprintable() and (d.hint or "").isprintable()):
                d = replace(d, message=_escaped(d.message), hint=d.hint and _escaped(d.hint))
            key = (d.span.sort_key(), d.code, d.message)
            if key not in self.seen:
                self.seen.add(key)
                self.result.diagnostics.append(d)

    def display(self, path: Path) -> str:
        """``path`` as the author knows it: relative inside the working folder, whole
        outside it (``../../../tmp/x.yaml`` helps nobody)."""
        if not path.is_absolute():
            return str(path)
        try:
            return str(path.relative_to(self.cwd))
        except ValueError:
            return str(path)

    def read(self, path: Path) -> Document | None:
        real = path.resolve()
        if real not in self.docs:
            doc = read_document(real, self.display(real))
            if isinstance(doc, Diagnostic):
                self.add([doc])
                self.docs[real] = None
                text = source_text(real) if doc.span.line else None
                if text is not None:  # so that a syntax error renders with its line
                    self.result.texts[doc.span.path] = text
            else:
                self.docs[real] = doc
                self.result.texts[doc.path] = doc.text
                self.result.files += 1
        return self.docs[real]

    def located(self, path: Path, default_kind: str | None) -> Located | None:
        doc = self.read(path)
        if doc is None:
            return None
        span = SourceSpan(path=doc.path, line=1, col=1)
        if not isinstance(doc.data, dict):
            self.add(
                [
                    Diagnostic(
                        code="wrong-type",
                        message="the file must hold a mapping",
                        span=span,
                        hint="start with 'id: …'",
                    )
                ]
            )
            return None
        kind = doc.data.get("kind", default_kind or _guess_kind(doc.data))
        if kind not in ("procedure", "form", "estate"):
            self.add(
                [
                    Diagnostic(
                        code="unknown-kind",
                        message=f"cannot tell what '{doc.path}' defines"
                        if kind is None
                        else f"unknown kind '{kind}'",
                        span=span if kind is None else Located.of("?", doc).span(("kind",)),
                        hint="put it in a 'procedures' or 'forms' folder, name it 'estate.yaml', "
                        "or add 'kind: procedure|form|estate'",
                    )
                ]
            )
            return None
        located = Located.of(kind, doc)
        problems = validate(located)
        self.add(problems)
        located.broken = any(p.is_error for p in problems)
        return located

    # -- layers ----------------------------------------------------------------------------
    def layer(self, roots: Iterable[Path], below: _Layer | None) -> _Layer:
        """Read the definitions under ``roots`` and resolve their ``extends``."""
        raw: list[Located] = []
        for root in roots:
            for folder, kind in _FOLDER_KINDS.items():
                base = root / folder
                if base.is_dir():
                    for path in iter_files(base):
                        located = self.located(path, kind)
                        if located is not None:
                            raw.append(located)
        return self.resolve(raw, below)

    def resolve(self, raw: list[Located], below: _Layer | None) -> _Layer:
        by_key: dict[tuple[str, str], Located] = {}
        for located in raw:
            if located.kind == "estate":
                continue
            ident = located.id or _extends(located)
            if not ident:
                self.add(
                    [
                        Diagnostic(
                            code="missing-key",
                            message="'id' is missing",
                            span=located.span(()),
                            hint="add 'id: …' at the top",
                        )
                    ]
                )
                continue
            key = (located.kind, ident)
            if key in by_key:
                first = by_key[key]
                self.add(
                    [
                        Diagnostic(
                            code="duplicate-id",
                            message=f"{located.kind} '{ident}' is defined twice",
                            span=located.span(("id",))
                            if "id" in located.data
                            else located.span(()),
                            hint=f"the other one is in {first.path}",
                        )
                    ]
                )
                continue
            by_key[key] = located
        layer = _Layer()
        state: dict[tuple[str, str], str] = {}

        def build(key: tuple[str, str]) -> Located | None:
            kind, ident = key
            done = layer.of(kind)
            if ident in done:
                return done[ident]
            located = by_key[key]
            parent_id = _extends(located)
            if parent_id is None:
                done[ident] = located
                return located
            if state.get(key) == "busy":
                self.add(
                    [
                        Diagnostic(
                            code="circular-extends",
                            message=f"{kind} '{ident}' extends itself through '{parent_id}'",
                            span=located.span(("extends",)),
                            hint="remove one of the 'extends'",
                        )
                    ]
                )
                return None
            state[key] = "busy"
            base: Located | None = None
            if parent_id != ident and (kind, parent_id) in by_key:
                base = build((kind, parent_id))
            elif below is not None and parent_id in below.of(kind):
                base = below.of(kind)[parent_id]
            else:
                choices = set(below.of(kind)) if below else set()
                choices |= {i for (kd, i) in by_key if kd == kind and i != ident}
                self.add(
                    [
                        Diagnostic(
                            code="unknown-extends",
                            message=f"'extends' names {kind} '{parent_id}', which does not exist",
                            span=located.span(("extends",)),
                            hint=did_you_mean(parent_id, choices),
                        )
                    ]
                )
            state[key] = "done"
            if base is None:
                return None
            doc = self.docs[Path(self._real(located.path))]
            merged = base.merged(doc) if doc is not None else base
            merged.broken = merged.broken or located.broken
            merged.data.pop("extends", None)
            merged.data["id"] = ident
            done[ident] = merged
            return merged

        for key in by_key:
            build(key)
        return layer

    def _real(self, display: str) -> Path:
        path = Path(display)
        return (path if path.is_absolute() else self.cwd / path).resolve()

    # -- compiling -------------------------------------------------------------------------
    def forms(self, layer: _Layer) -> dict[str, FormSpec]:
        out = {}
        for form_id, located in layer.forms.items():
            if located.broken:
                continue
            spec, problems = compile_form(located)
            self.add(problems)
            out[form_id] = spec
        return out

    def procedures(
        self,
        layer: _Layer,
        forms: Mapping[str, FormSpec],
        estate: EstateSpec | None,
        only: Iterable[str] | None = None,
    ) -> dict[str, ProcedureSpec]:
        library = Library(forms, layer.procedures, estate, form_ids=layer.forms)
        out = {}
        for proc_id, located in layer.procedures.items():
            if located.broken or (only is not None and proc_id not in only):
                continue
            if estate is not None and proc_id in estate.params:
                located = _with_params(located, estate.params[proc_id])
            spec, problems = compile_procedure(located, library)
            self.add(problems)
            if not any(p.code == "unknown-step" for p in problems):
                # With a dangling reference the graph is unknown: its lint would only echo it.
                self.add(lint_graph(spec))
                self.add(lint_joins(spec))
            out[proc_id] = spec
        return out

    def library(self, root: Path) -> _Layer:
        real = root.resolve()
        if real not in self.libraries:
            self.libraries[real] = self.layer([real], None)
        return self.libraries[real]

    def check_library(self, root: Path) -> None:
        real = root.resolve()
        if real in self.library_specs:
            return
        layer = self.library(real)
        forms = self.forms(layer)
        self.library_specs[real] = (forms, self.procedures(layer, forms, None))

    def check_estate(self, estate_file: Path) -> Bundle | None:
        located = self.located(estate_file, "estate")
        if located is None or located.broken:
            return None
        estate, problems = compile_estate(located)
        self.add(problems)
        own_folders = [estate_file.parent / f for f in _FOLDER_KINDS]
        if not estate.procedures and not any(f.is_dir() for f in own_folders):
            return Bundle(
                estate=estate,
                procedures=MappingProxyType({}),
                forms=MappingProxyType({}),
                sources=MappingProxyType(located.texts),
            )
        root = estate_file.parent / estate.library if estate.library else builtin_library()
        if not (root / "procedures").is_dir():
            self.add(
                [
                    Diagnostic(
                        code="unknown-library",
                        message=f"library folder '{estate.library or root}' has no "
                        "'procedures' folder",
                        span=located.span(("library",)),
                        hint="point 'library' at the folder that holds procedures/ and forms/",
                    )
                ]
            )
            return None
        base = self.library(root)
        own = self.layer([estate_file.parent], base)
        layer = _Layer(
            procedures={**base.procedures, **own.procedures}, forms={**base.forms, **own.forms}
        )
        forms = self.forms(layer)
        wanted = _with_children(estate.procedures, layer)
        procedures = self.procedures(layer, forms, estate, only=wanted)
        locate = {
            f"procedures/{p}": located.span(("procedures", i))
            for i, p in enumerate(estate.procedures)
        }
        for proc_id, params in estate.params.items():
            locate[f"params/{proc_id}"] = located.key_span(("params", proc_id))
            for name in params:
                locate[f"params/{proc_id}/{name}"] = located.key_span(("params", proc_id, name))
        known = {**procedures, **{p: None for p in layer.procedures if p not in procedures}}
        self.add(lint_estate(estate, known, locate))
        texts = {
            path: text
            for loc in [located, *layer.procedures.values(), *layer.forms.values()]
            for path, text in loc.texts.items()
        }
        return Bundle(
            estate=estate,
            procedures=MappingProxyType(procedures),
            forms=MappingProxyType(forms),
            sources=MappingProxyType(texts),
        )


def _guess_kind(data: dict) -> str | None:
    """The kind of a file outside the usual folders, told by its characteristic keys."""
    if "steps" in data or "start" in data:
        return "procedure"
    if "fields" in data:
        return "form"
    if "region" in data or "timezone" in data:
        return "estate"
    return None


#: Characters a message shows escaped: controls (ESC sequences drive the terminal), line
#: and paragraph separators (a message is one line), format characters (bidi overrides).
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _escaped(text: str) -> str:
    """``text`` with author-written characters that would break a one-line message escaped."""
    return "".join(
        ch.encode("unicode_escape", "backslashreplace").decode("ascii")
        if unicodedata.category(ch) in _ESCAPED_CATEGORIES
        else ch
        for ch in text
    )


def _extends(located: Located) -> str | None:
    """The id a definition builds on; the schema reports an ``extends`` that is no text."""
    value = located.data.get("extends")
    return value if isinstance(value, str) else None


def _with_children(wanted: Iterable[str], layer: _Layer) -> set[str]:
    """The procedures an estate uses, plus the ones they spawn."""
    out: set[str] = set()
    todo = list(wanted)
    while todo:
        proc_id = todo.pop()
        if proc_id in out or proc_id not in layer.procedures:
            continue
        out.add(proc_id)
        for step in (layer.procedures[proc_id].data.get("steps") or {}).values():
            if isinstance(step, dict) and isinstance(step.get("spawn"), dict):
                todo.append(step["spawn"].get("procedure"))
    return out


def _with_params(located: Located, overrides: Mapping[str, object]) -> Located:
    """The procedure with an estate's parameter values in place of its own."""
    params = dict(located.data.get("params") or {})
    params.update({k: v for k, v in overrides.items() if k in params})
    data = {**located.data, "params": params}
    return Located(
        kind=located.kind,
        data=data,
        nodes=located.nodes,
        texts=located.texts,
        path=located.path,
        bases=located.bases,
    )


def _classify(paths: Iterable[Path]) -> tuple[list[Path], list[Path], list[Path]]:
    """Split what was given into library roots, estate files and loose files."""
    libraries: list[Path] = []
    estates: list[Path] = []
    loose: list[Path] = []
    for path in paths:
        if path.is_file():
            (estates if path.name in ESTATE_FILES else loose).append(path)
            continue
        if path.name in _FOLDER_KINDS:  # procedures/ or forms/ named directly
            libraries.append(path.parent)
            continue
        found = [p for p in sorted(path.rglob("estate.*")) if p.name in ESTATE_FILES]
        estates.extend(found)
        has_library = any((path / folder).is_dir() for folder in _FOLDER_KINDS)
        if has_library and not any((path / name).exists() for name in ESTATE_FILES):
            libraries.append(path)
        if not found and not has_library:
            loose.extend(iter_files(path))
    return libraries, estates, loose


def check_paths(paths: Iterable[str | Path], *, cwd: str | Path | None = None) -> CheckResult:
    """Check every definition under ``paths``; nothing is raised, everything is reported."""
    run = _Run(Path(cwd or Path.cwd()).resolve())
    given = [Path(p) if Path(p).is_absolute() else run.cwd / p for p in paths]
    missing = [p for p in given if not p.exists()]
    for path in missing:
        run.add(
            [
                Diagnostic(
                    code="unreadable-file",
                    message=f"'{run.display(path)}' does not exist",
                    span=SourceSpan(path=run.display(path)),
                )
            ]
        )
    libraries, estates, loose = _classify(p for p in given if p.exists())
    for root in dict.fromkeys(p.resolve() for p in libraries):
        run.check_library(root)
    for estate_file in dict.fromkeys(p.resolve() for p in estates):
        bundle = run.check_estate(estate_file)
        if bundle is not None:
            run.result.bundles[bundle.estate.id] = bundle
    if loose:
        _check_loose(run, loose)
    run.result.diagnostics.sort(key=lambda d: (d.span.sort_key(), d.code))
    return run.result


def _check_loose(run: _Run, files: list[Path]) -> None:
    """Files given one by one: each is its own little library (used by the test corpus)."""
    raw = []
    for path in files:
        kind = _FOLDER_KINDS.get(path.parent.name)
        located = run.located(path, kind)
        if located is None:
            continue
        if located.kind == "estate" and not located.broken:
            bundle = run.check_estate(path)
            if bundle is not None:
                run.result.bundles[bundle.estate.id] = bundle
            continue
        raw.append(located)
    layer = run.resolve(raw, None)
    forms = run.forms(layer)
    run.procedures(layer, forms, None)


def load_bundle(estate_dir: str | Path) -> Bundle:
    """The compiled bundle of one estate folder; raises DefinitionError on any error.

    Source paths in the bundle are relative to the nearest folder holding both the
    estate and its library, so the bundle can be laid out again elsewhere as it was.
    """
    path = Path(estate_dir).resolve()
    estate_file = next((path / n for n in ESTATE_FILES if (path / n).exists()), path)
    root = path.parent.parent if path.is_dir() else path.parent
    result = check_paths([estate_file], cwd=root)
    if not result.errors and any(Path(p).is_absolute() for p in result.texts):
        root = Path(os.path.commonpath([(root / p).resolve() for p in result.texts]))
        result = check_paths([estate_file], cwd=root)
    if result.errors:
        raise DefinitionError(result.diagnostics)
    if not result.bundles:
        raise DefinitionError(
            [
                Diagnostic(
                    code="unreadable-file",
                    message=f"no estate.yaml in '{estate_dir}'",
                    span=SourceSpan(path=str(estate_dir)),
                )
            ]
        )
    return next(iter(result.bundles.values()))
