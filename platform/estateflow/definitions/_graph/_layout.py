"""A small layered layout (after Sugiyama): ranks, crossing reduction, coordinates, routes.

1. Loops are broken by reversing the edges that go back in the order the boxes are given
   (or a depth-first walk's, if that reverses fewer); they are drawn the right way round.
2. Ranks by the longest path from the top, doubled: every edge then passes at least one
   odd rank, where a point of the edge stands and its label gets a place of its own.
   Longer edges get a point on every rank they cross, so no edge runs through a box.
3. Order within each rank by barycentre sweeps, keeping the order with fewest crossings.
4. x by pulling every box towards its neighbours, solved exactly per rank as an isotonic
   regression (pool adjacent violators) under the minimum spacing; y by rank heights.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

#: Passes of barycentre ordering (each one down and one up).
ORDER_PASSES = 12
#: Passes of pulling boxes towards their neighbours.
PLACE_PASSES = 10
MARGIN = 16.0
GAP_X = 28.0
"""Horizontal space between two boxes."""
GAP_POINT = 18.0
"""Horizontal space between a box and an edge's point."""
GAP_POINTS = 10.0
"""Horizontal space between two edges' points."""
GAP_Y = 16.0
LABEL_PAD = 6.0
"""Space between an edge and its label, which stands to its right."""
LOOP_REACH = 36.0
"""How far a step's edge back to itself bulges out to the right."""

Point = tuple[float, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class Box:
    id: str
    width: float
    height: float
    spread: float = 0.6
    """The share of its width over which the edges that leave or enter it spread."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    source: str
    target: str
    label_width: float = 0.0
    label_height: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    width: float
    height: float
    centers: Mapping[str, Point]
    paths: tuple[tuple[Point, ...], ...]
    """Per link, from its source to its target. A link back to its own box has two
    points on the box's right side (out, in), to be drawn as a loop."""
    labels: tuple[Point | None, ...]
    """Per link, the top-left corner of its label, if it has one."""
    ranks: Mapping[str, int]
    """Each box's rank from the top (even numbers; odd ones hold edge points)."""


def layout(boxes: Sequence[Box], links: Sequence[Link]) -> Layout:
    """Place ``boxes`` top to bottom so that ``links`` mostly point down; the first box
    is the top."""
    return _Layout(boxes, links).run()


class _Layout:
    def __init__(self, boxes: Sequence[Box], links: Sequence[Link]) -> None:
        self.boxes = {b.id: b for b in boxes}
        self.ids = [b.id for b in boxes]
        self.links = list(links)
        self.left: dict[str, float] = {b.id: b.width / 2 for b in boxes}
        self.right: dict[str, float] = {b.id: b.width / 2 for b in boxes}
        self.height: dict[str, float] = {b.id: b.height for b in boxes}
        self.weight: dict[str, float] = dict.fromkeys(self.ids, 1.0)
        self.rank: dict[str, int] = {}
        self.chains: dict[int, list[str]] = {}
        self.flipped: set[int] = set()
        self.label_at: dict[int, str] = {}
        self.up: dict[str, list[str]] = defaultdict(list)
        self.down: dict[str, list[str]] = defaultdict(list)
        self.x: dict[str, float] = {}

    def run(self) -> Layout:
        self.break_loops()
        self.assign_ranks()
        self.make_chains()
        layers = self.order()
        self.place(layers)
        return self.route(layers)

    # -- 1. loops ----------------------------------------------------------------------------
    def break_loops(self) -> None:
        """Reverse the edges that go back up the better of two orders: the boxes as given
        (authors write steps roughly in the order they happen) or a depth-first walk's
        (reverse postorder); whichever turns fewer edges round, the given one on a tie."""
        given = {v: n for n, v in enumerate(self.ids)}
        walked = {v: n for n, v in enumerate(self.depth_first())}
        flipped = [self.going_back(given), self.going_back(walked)]
        self.flipped = min(flipped, key=len)

    def going_back(self, position: Mapping[str, int]) -> set[int]:
        return {
            i
            for i, link in enumerate(self.links)
            if link.source != link.target and position[link.source] > position[link.target]
        }

    def depth_first(self) -> list[str]:
        """The boxes in reverse postorder of a depth-first walk from each in turn."""
        leaving: dict[str, list[str]] = defaultdict(list)
        for link in self.links:
            if link.source != link.target:
                leaving[link.source].append(link.target)
        seen: set[str] = set()
        finished: list[str] = []
        for root in self.ids:
            if root in seen:
                continue
            seen.add(root)
            stack = [(root, iter(leaving[root]))]
            while stack:
                node, pending = stack[-1]
                for target in pending:
                    if target not in seen:
                        seen.add(target)
                        stack.append((target, iter(leaving[target])))
                        break
                else:
                    finished.append(node)
                    stack.pop()
        return finished[::-1]

    def ends(self, i: int) -> tuple[str, str]:
        link = self.links[i]
        if i in self.flipped:
            return link.target, link.source
        return link.source, link.target

    # -- 2. ranks and chains -----------------------------------------------------------------
    def assign_ranks(self) -> None:
        after: dict[str, list[str]] = defaultdict(list)
        waiting = dict.fromkeys(self.ids, 0)
        for i, link in enumerate(self.links):
            if link.source == link.target:
                continue
            top, bottom = self.ends(i)
            after[top].append(bottom)
            waiting[bottom] += 1
        layer = dict.fromkeys(self.ids, 0)
        ready = [v for v in self.ids if waiting[v] == 0]
        while ready:
            node = ready.pop(0)
            for nxt in after[node]:
                layer[nxt] = max(layer[nxt], layer[node] + 1)
                waiting[nxt] -= 1
                if waiting[nxt] == 0:
                    ready.append(nxt)
        self.rank = {v: 2 * layer[v] for v in self.ids}

    def make_chains(self) -> None:
        for i, link in enumerate(self.links):
            if link.source == link.target:
                self.right[link.source] += LOOP_REACH + link.label_width + LABEL_PAD
                continue
            top, bottom = self.ends(i)
            chain = [top]
            for r in range(self.rank[top] + 1, self.rank[bottom]):
                point = f"\x00{i}.{r}"
                self.rank[point] = r
                self.left[point] = self.right[point] = 0.0
                self.height[point] = 0.0
                self.weight[point] = 3.0  # long edges stay straight rather than the boxes
                chain.append(point)
            chain.append(bottom)
            self.chains[i] = chain
            if link.label_width:
                # Next to the end it leaves from: the top for a forward edge, else the bottom.
                label = chain[-2] if i in self.flipped else chain[1]
                self.label_at[i] = label
                self.right[label] = link.label_width + LABEL_PAD
                self.height[label] = link.label_height
            for a, b in pairwise(chain):
                self.down[a].append(b)
                self.up[b].append(a)

    # -- 3. order ----------------------------------------------------------------------------
    def order(self) -> list[list[str]]:
        top = max(self.rank.values(), default=0)
        layers: list[list[str]] = [[] for _ in range(top + 1)]
        for node in self.ids:
            layers[self.rank[node]].append(node)
        for i in sorted(self.chains):
            for point in self.chains[i][1:-1]:
                layers[self.rank[point]].append(point)
        position = {v: n for layer in layers for n, v in enumerate(layer)}
        for r in range(1, len(layers)):  # first guess: under what leads to it
            layers[r] = self.sorted_by(layers[r], self.up, position)
            position.update({v: n for n, v in enumerate(layers[r])})
        best = [list(layer) for layer in layers]
        fewest = self.crossings(layers)
        for _ in range(ORDER_PASSES):
            if fewest == 0:
                break
            for r in range(1, len(layers)):
                layers[r] = self.sorted_by(layers[r], self.up, position)
                position.update({v: n for n, v in enumerate(layers[r])})
            for r in range(len(layers) - 2, -1, -1):
                layers[r] = self.sorted_by(layers[r], self.down, position)
                position.update({v: n for n, v in enumerate(layers[r])})
            count = self.crossings(layers)
            if count < fewest:
                fewest, best = count, [list(layer) for layer in layers]
        return best

    @staticmethod
    def sorted_by(
        layer: list[str], near: Mapping[str, list[str]], position: Mapping[str, int]
    ) -> list[str]:
        def key(node: str) -> tuple[float, int]:
            others = near.get(node) or []
            centre = sum(position[o] for o in others) / len(others) if others else position[node]
            return centre, position[node]

        return sorted(layer, key=key)

    def crossings(self, layers: list[list[str]]) -> int:
        count = 0
        for upper, lower in pairwise(layers):
            at = {v: n for n, v in enumerate(lower)}
            pairs = [(n, at[b]) for n, a in enumerate(upper) for b in self.down.get(a, ())]
            count += sum(
                1
                for k, (a1, b1) in enumerate(pairs)
                for a2, b2 in pairs[k + 1 :]
                if (a1 - a2) * (b1 - b2) < 0
            )
        return count

    # -- 4. coordinates ----------------------------------------------------------------------
    def place(self, layers: list[list[str]]) -> None:
        for layer in layers:
            self.settle(layer, {v: 0.0 for v in layer})
        for _ in range(PLACE_PASSES):
            for layer in layers[1:]:
                self.settle(layer, self.pulled(layer, (self.up,)))
            for layer in reversed(layers[:-1]):
                self.settle(layer, self.pulled(layer, (self.down,)))
        for layer in layers:
            self.settle(layer, self.pulled(layer, (self.up, self.down)))
        self.straighten(layers)
        least = min((self.x[v] - self.left[v] for v in self.x), default=0.0)
        for v in self.x:
            self.x[v] += MARGIN - least

    def straighten(self, layers: list[list[str]]) -> None:
        """Line up each long edge's points on one x where its neighbours leave room, so it
        runs straight instead of wavering from rank to rank."""
        index = {v: (r, n) for r, layer in enumerate(layers) for n, v in enumerate(layer)}
        for chain in self.chains.values():
            points = chain[1:-1]
            if len(points) < 2:
                continue
            room = [self.room(layers, *index[p]) for p in points]
            low, high = max(r[0] for r in room), min(r[1] for r in room)
            if low > high:
                continue
            xs = sorted(self.x[p] for p in points)
            middle = min(max(xs[len(xs) // 2], low), high)
            for p in points:
                self.x[p] = middle

    def room(self, layers: list[list[str]], rank: int, n: int) -> tuple[float, float]:
        """How far a point may move left and right without crowding its neighbours."""
        layer, node = layers[rank], layers[rank][n]
        low, high = float("-inf"), float("inf")
        if n > 0:
            left = layer[n - 1]
            gap = GAP_POINT if left in self.boxes else GAP_POINTS
            low = self.x[left] + self.right[left] + gap + self.left[node]
        if n + 1 < len(layer):
            right = layer[n + 1]
            gap = GAP_POINT if right in self.boxes else GAP_POINTS
            high = self.x[right] - self.left[right] - gap - self.right[node]
        return low, high

    def pulled(self, layer: list[str], sides: tuple[Mapping[str, list[str]], ...]) -> dict:
        wanted = {}
        for node in layer:
            others = [o for side in sides for o in side.get(node, ())]
            wanted[node] = sum(self.x[o] for o in others) / len(others) if others else self.x[node]
        return wanted

    def settle(self, layer: list[str], wanted: Mapping[str, float]) -> None:
        """Closest to ``wanted`` (weighted least squares) with the spacing kept, in order."""
        offsets = [0.0]
        for a, b in pairwise(layer):
            boxes = (a in self.boxes) + (b in self.boxes)
            gap = (GAP_POINTS, GAP_POINT, GAP_X)[boxes]
            offsets.append(offsets[-1] + self.right[a] + gap + self.left[b])
        blocks: list[list[float]] = []  # [weighted sum, weight, count]
        for node, offset in zip(layer, offsets, strict=True):
            w = self.weight[node]
            blocks.append([(wanted[node] - offset) * w, w, 1])
            while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
                total, weight, count = blocks.pop()
                blocks[-1][0] += total
                blocks[-1][1] += weight
                blocks[-1][2] += count
        values = [b[0] / b[1] for b in blocks for _ in range(int(b[2]))]
        for node, value, offset in zip(layer, values, offsets, strict=True):
            self.x[node] = value + offset

    # -- 5. y and routes ---------------------------------------------------------------------
    def route(self, layers: list[list[str]]) -> Layout:
        y: dict[str, float] = {}
        top = MARGIN
        for layer in layers:
            tall = max((self.height[v] for v in layer), default=0.0)
            for node in layer:
                y[node] = top + tall / 2
            top += tall + GAP_Y
        paths: list[tuple[Point, ...]] = []
        labels: list[Point | None] = []
        ports = self.ports()
        for i, link in enumerate(self.links):
            if link.source == link.target:
                box = self.boxes[link.source]
                side = self.x[link.source] + box.width / 2
                mid = y[link.source]
                paths.append(((side, mid - box.height / 4), (side, mid + box.height / 4)))
                labels.append(
                    (side + LOOP_REACH, mid - link.label_height / 2) if link.label_width else None
                )
                continue
            chain = self.chains[i]
            head, tail = chain[0], chain[-1]
            points = [(ports[(head, chain[1])], y[head] + self.height[head] / 2)]
            points += [(self.x[p], y[p]) for p in chain[1:-1]]
            points.append((ports[(tail, chain[-2])], y[tail] - self.height[tail] / 2))
            if i in self.flipped:
                points.reverse()
            paths.append(tuple(points))
            at = self.label_at.get(i)
            labels.append((self.x[at] + LABEL_PAD, y[at] - link.label_height / 2) if at else None)
        width = max((self.x[v] + self.right[v] for v in self.x), default=0.0) + MARGIN
        return Layout(
            width=width,
            height=top - GAP_Y + MARGIN,
            centers={v: (self.x[v], y[v]) for v in self.ids},
            paths=tuple(paths),
            labels=tuple(labels),
            ranks={v: self.rank[v] for v in self.ids},
        )

    def ports(self) -> dict[tuple[str, str], float]:
        """Where on a box's edge each edge meets it: spread out in the order of the points
        they come from or go to, so edges leave side by side instead of on top of each
        other."""
        ports: dict[tuple[str, str], float] = {}
        for node, box in self.boxes.items():
            for near in (self.down.get(node, []), self.up.get(node, [])):
                ordered = sorted(near, key=lambda v: self.x[v])
                span = box.width * box.spread
                for n, other in enumerate(ordered):
                    share = (n + 1) / (len(ordered) + 1) - 0.5
                    ports[(node, other)] = self.x[node] + share * span
        return ports
