"""Authoring in the browser: estate admins edit overlays, check, preview, publish, roll back.

An edited overlay is compiled together with the published bundle's other sources in a
scratch folder, exactly as a stored bundle is compiled again on load, so what is checked is
what would run. Base library files are read-only here: only files under the estate's own
``procedures/`` and ``forms/`` folders may be edited or added. Publishing goes through the
``published`` row (or a ``scheduled_publish`` row with an effective time) that every server
process reads, and a bundle with errors is never stored or published.
"""

from __future__ import annotations

import difflib
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from estateflow.definitions import Bundle, check_paths
from estateflow.engine import Actor
from estateflow.errors import DefinitionError, Diagnostic, NotAllowed, NotFound, render_all
from estateflow.services._bundles import bundle_hash
from estateflow.services._services import Services
from estateflow.store import authoring as rows

#: The membership role that makes someone an administrator of an estate's definitions.
ESTATE_ADMIN = "admin"
#: Overlay folders under the estate's own folder, and the file endings allowed there.
OVERLAY_FOLDERS = ("procedures", "forms")
OVERLAY_SUFFIXES = (".yaml", ".yml", ".json")
#: Largest overlay accepted from the browser (the loader caps files at 250 kB too).
MAX_OVERLAY_CHARS = 200_000


@dataclass(frozen=True, slots=True, kw_only=True)
class DraftCheck:
    """What checking an edited overlay found, ready to show."""

    path: str
    text: str
    diagnostics: tuple[Diagnostic, ...]
    rendered: str
    """Every diagnostic as ``file:line:col: code: message``, the source line and a caret."""
    diff: str
    """Unified diff of the published file (empty for a new one) against the edit."""
    bundle: Bundle | None
    """The compiled bundle; None when there are errors."""

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishedInfo:
    bundle_hash: str
    estate_path: str
    sources: dict[str, str]
    published_at: datetime | None
    published_by: str


def editable(estate_path: str, path: str) -> bool:
    """Whether ``path`` is one of the estate's own overlay files (never the base library)."""
    folder = PurePosixPath(estate_path).parent
    candidate = PurePosixPath(path)
    if candidate.is_absolute() or ".." in candidate.parts or "\\" in path:
        return False
    try:
        inside = candidate.relative_to(folder)
    except ValueError:
        return False
    return (
        len(inside.parts) == 2
        and inside.parts[0] in OVERLAY_FOLDERS
        and inside.suffix in OVERLAY_SUFFIXES
        and not inside.name.startswith(".")
    )


def check_sources(
    estate_path: str, sources: dict[str, str]
) -> tuple[list[Diagnostic], Bundle | None]:
    """Lay ``sources`` out in a scratch folder and check the estate there."""
    with tempfile.TemporaryDirectory(prefix="estateflow-draft-") as tmp:
        root = Path(tmp)
        for name, text in sources.items():
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts:
                raise NotAllowed(f"a file outside the bundle: {name}")
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        result = check_paths([root / PurePosixPath(estate_path)], cwd=root)
    bundle = None if result.errors else next(iter(result.bundles.values()), None)
    return result.diagnostics, bundle


class Authoring:
    """The admin pages' use cases, over the same store as everything else."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.store = services.store
        self.clock = services.clock

    async def admin(self, estate_id: str, username: str) -> Actor:
        """The user as an admin of the estate; NotAllowed without the admin role."""
        actor = await self.services.actor(estate_id, username)
        if ESTATE_ADMIN not in actor.roles:
            raise NotAllowed("only an estate admin may see or change the definitions")
        return actor

    def _require(self, actor: Actor) -> None:
        if ESTATE_ADMIN not in actor.roles:
            raise NotAllowed("only an estate admin may change the definitions")

    async def published(self, estate_id: str) -> PublishedInfo:
        async with self.store.unit_of_work(writes=False) as uow:
            digest = await uow.published(estate_id, self.clock())
            estate_path, sources = await uow.bundle_sources(digest)
            row = await rows.published_row(uow, estate_id)
        return PublishedInfo(
            bundle_hash=digest,
            estate_path=estate_path,
            sources=sources,
            published_at=row["published_at"] if row else None,
            published_by=row["published_by"] if row else "",
        )

    async def overview(self, estate_id: str) -> dict[str, Any]:
        """Publishing state: the current bundle, earlier ones, schedules and drafts."""
        info = await self.published(estate_id)
        async with self.store.unit_of_work(writes=False) as uow:
            history = await rows.bundle_history(uow, estate_id)
            scheduled = await rows.schedules(uow, estate_id)
            drafts = await rows.overlay_drafts(uow, estate_id)
        now = self.clock()
        arrived = [s for s in scheduled if s["effective_at"] <= now]
        return {
            "published": info,
            "history": history,
            "pending": [s for s in scheduled if s["effective_at"] > now],
            "drafts": drafts,
            "editable": sorted(p for p in info.sources if editable(info.estate_path, p)),
            "previous": _previous(arrived, history, info.bundle_hash),
        }

    async def lint_published(self, estate_id: str) -> list[Diagnostic]:
        """Everything the checker says about the published bundle (warnings included)."""
        info = await self.published(estate_id)
        diagnostics, _ = check_sources(info.estate_path, info.sources)
        return diagnostics

    async def check(self, estate_id: str, path: str, text: str) -> DraftCheck:
        """Compile the published sources with ``path`` replaced (or added) by ``text``."""
        info = await self.published(estate_id)
        if not editable(info.estate_path, path):
            raise NotAllowed(
                f"'{path}' is not an overlay of this estate: base library files are read-only"
            )
        if len(text) > MAX_OVERLAY_CHARS:
            raise NotAllowed(f"an overlay is limited to {MAX_OVERLAY_CHARS} characters")
        text = text.replace("\r\n", "\n")
        sources = {**info.sources, path: text}
        diagnostics, bundle = check_sources(info.estate_path, sources)
        before = info.sources.get(path, "")
        diff = "".join(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"published/{path}",
                tofile=f"draft/{path}",
            )
        )
        return DraftCheck(
            path=path,
            text=text,
            diagnostics=tuple(diagnostics),
            rendered=render_all(diagnostics, sources.get),
            diff=diff,
            bundle=bundle,
        )

    async def save_draft(
        self, estate_id: str, path: str, text: str, *, actor: Actor
    ) -> tuple[str, DraftCheck]:
        """Keep the edit as a new draft (even with errors) and say what checking found."""
        self._require(actor)
        checked = await self.check(estate_id, path, text)
        info = await self.published(estate_id)
        async with self.store.unit_of_work(writes=True) as uow:
            draft_id = rows.add_overlay_draft(
                uow,
                estate_id=estate_id,
                path=path,
                text=checked.text,
                base_hash=info.bundle_hash,
                by=actor.username,
                at=self.clock(),
            )
        return draft_id, checked

    async def draft(self, estate_id: str, draft_id: str) -> dict[str, Any]:
        async with self.store.unit_of_work(writes=False) as uow:
            row = await rows.overlay_draft(uow, estate_id, draft_id)
        if row is None:
            raise NotFound(f"no draft '{draft_id}'")
        return row

    async def publish_draft(
        self,
        estate_id: str,
        draft_id: str,
        *,
        actor: Actor,
        effective_at: datetime | None = None,
    ) -> str:
        """Publish a draft now, or from ``effective_at``; DefinitionError when it has
        errors, and then nothing is stored: the last good bundle stays."""
        self._require(actor)
        row = await self.draft(estate_id, draft_id)
        checked = await self.check(estate_id, row["path"], row["text"])
        if checked.bundle is None:
            raise DefinitionError(list(checked.errors))
        bundle = checked.bundle
        sources = dict(bundle.sources)
        digest = bundle_hash(sources)
        now = self.clock()
        async with self.store.unit_of_work(writes=True) as uow:
            uow.save_bundle(
                bundle_hash=digest,
                estate_id=estate_id,
                estate_path=bundle.estate.path,
                sources=sources,
                at=now,
            )
            if effective_at is None or effective_at <= now:
                effective_at = now
                uow.publish(estate_id, digest, by=actor.username, at=now)
            # Immediate publishes are logged too: the log is what "previous" means.
            rows.schedule_publish(
                uow,
                estate_id=estate_id,
                bundle_hash=digest,
                effective_at=effective_at,
                by=actor.username,
                at=now,
            )
        return digest

    async def rollback(self, estate_id: str, *, actor: Actor, to: str | None = None) -> str:
        """Publish again the bundle before the current one (or ``to``, an earlier one)."""
        self._require(actor)
        now = self.clock()
        async with self.store.unit_of_work(writes=True) as uow:
            current = await uow.published(estate_id, now)
            history = await rows.bundle_history(uow, estate_id)
            log = [s for s in await rows.schedules(uow, estate_id) if s["effective_at"] <= now]
            target = to or _previous(log, history, current)
            if target is None or target not in {h["hash"] for h in history}:
                raise NotFound("there is no earlier bundle of this estate to go back to")
            uow.publish(estate_id, target, by=actor.username, at=now)
            rows.schedule_publish(
                uow,
                estate_id=estate_id,
                bundle_hash=target,
                effective_at=now,
                by=actor.username,
                at=now,
            )
        return target

    async def cancel_schedule(self, estate_id: str, schedule_id: str, *, actor: Actor) -> None:
        self._require(actor)
        async with self.store.unit_of_work(writes=True) as uow:
            if schedule_id not in {s["id"] for s in await rows.schedules(uow, estate_id)}:
                # Another estate's id, or one already cancelled: say so, do nothing.
                raise NotFound(f"no scheduled publish '{schedule_id}' in this estate")
            rows.cancel_schedule(uow, estate_id, schedule_id, self.clock())


def _previous(log: list[dict[str, Any]], history: list[dict[str, Any]], current: str) -> str | None:
    """The bundle published before ``current``: from the publish log (newest first), else
    (bundles published from the command line are not logged) the newest other bundle."""
    hashes = [entry["bundle_hash"] for entry in log]
    if current in hashes:
        later = hashes[hashes.index(current) :]
        earlier = next((h for h in later if h != current), None)
        if earlier is not None:
            return earlier
    return next((h["hash"] for h in history if h["hash"] != current), None)
