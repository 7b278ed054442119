// The shard map: where each shard sits in the 128-bit hash-key space, and
// its resharding lineage (parents -> children) laid out as a tree whose
// rows are generations and whose columns are hash ranges, so a split shows
// as one box over two and a merge as two boxes over one.

const HASH_SPACE = 1n << 128n;

// The fraction [0, 1] of the hash space below `key` (a decimal string).
export function hashFraction(key) {
  return Number((BigInt(key) * 1000000n) / HASH_SPACE) / 1000000;
}

export function isOpen(shard) {
  return !(shard.SequenceNumberRange && shard.SequenceNumberRange.EndingSequenceNumber);
}

// Each shard's generation: 0 for one without a parent in the list (a first
// shard, or one whose parents retention has removed), else one more than its
// deepest parent. Returns Map shardId -> depth.
export function generations(shards) {
  const byId = new Map(shards.map((s) => [s.ShardId, s]));
  const depth = new Map();
  const visit = (s, guard) => {
    if (depth.has(s.ShardId)) return depth.get(s.ShardId);
    if (guard > shards.length) return 0;  // a cycle would be a server bug; do not loop
    let d = 0;
    for (const p of [s.ParentShardId, s.AdjacentParentShardId]) {
      if (p && byId.has(p)) d = Math.max(d, visit(byId.get(p), guard + 1) + 1);
    }
    depth.set(s.ShardId, d);
    return d;
  };
  for (const s of shards) visit(s, 0);
  return depth;
}

const SVG_NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function shortId(shardId) {
  return shardId.replace(/^shardId-0*/, "#").replace(/^#$/, "#0");
}

// The lineage tree as an SVG element: a box per shard (x and width from its
// hash range, y from its generation), an edge from each parent to its
// children. Open shards are solid, closed ones hatched.
export function lineageSvg(shards, width = 960) {
  const depth = generations(shards);
  const rows = Math.max(0, ...depth.values()) + 1;
  const rowHeight = 46;
  const boxHeight = 28;
  const pad = 6;
  const height = rows * rowHeight + pad;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "lineage", role: "img" });
  root.appendChild(svg("title", {}, "Shard lineage: generations top to bottom, hash-key space left to right"));
  const box = new Map();
  for (const s of shards) {
    const x0 = hashFraction(s.HashKeyRange.StartingHashKey) * (width - 2 * pad) + pad;
    const x1 = hashFraction((BigInt(s.HashKeyRange.EndingHashKey) + 1n).toString()) * (width - 2 * pad) + pad;
    const y = depth.get(s.ShardId) * rowHeight + pad;
    box.set(s.ShardId, { x: x0, w: Math.max(2, x1 - x0 - 2), y });
  }
  const edges = svg("g", { class: "edges" });
  for (const s of shards) {
    const b = box.get(s.ShardId);
    for (const p of [s.ParentShardId, s.AdjacentParentShardId]) {
      const pb = p && box.get(p);
      if (!pb) continue;
      const px = pb.x + pb.w / 2;
      const py = pb.y + boxHeight;
      const cx = b.x + b.w / 2;
      const cy = b.y;
      const my = (py + cy) / 2;
      edges.appendChild(svg("path", { d: `M${px},${py} C${px},${my} ${cx},${my} ${cx},${cy}`, "data-parent": p, "data-child": s.ShardId }));
    }
  }
  root.appendChild(edges);
  for (const s of shards) {
    const b = box.get(s.ShardId);
    const g = svg("g", { class: isOpen(s) ? "shard open" : "shard closed", "data-shard-id": s.ShardId });
    g.appendChild(svg("rect", { x: b.x, y: b.y, width: b.w, height: boxHeight, rx: 4 }));
    const label = b.w > 90 ? s.ShardId : b.w > 28 ? shortId(s.ShardId) : "";
    if (label) g.appendChild(svg("text", { x: b.x + b.w / 2, y: b.y + boxHeight / 2 + 4, "text-anchor": "middle" }, label));
    g.appendChild(
      svg(
        "title",
        {},
        `${s.ShardId} (${isOpen(s) ? "open" : "closed"})\nhash keys ${s.HashKeyRange.StartingHashKey} – ${s.HashKeyRange.EndingHashKey}` +
          (s.ParentShardId ? `\nparent ${s.ParentShardId}` : "") +
          (s.AdjacentParentShardId ? `\nadjacent parent ${s.AdjacentParentShardId}` : ""),
      ),
    );
    root.appendChild(g);
  }
  return root;
}
