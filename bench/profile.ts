// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time, and the most
// inclusive time, with their share of the samples. For finding where a missed target's time goes.
// Usage: node bench/profile.ts FILE.cpuprofile [--top 25] [--filter TEXT]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

export type ProfileLine = { readonly name: string; readonly selfPct: number; readonly totalPct: number };

const label = (n: Node) => {
  const f = n.callFrame;
  const file = f.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
};

/** Self and inclusive time per function (by name and location), as percentages of all samples. */
export function summarise(p: Profile): ProfileLine[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hits = new Map<number, number>();
  for (const s of p.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  const self = new Map<string, number>(), total = new Map<string, number>();
  for (const [id, h] of hits) {
    const leaf = byId.get(id)!;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + h);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = label(byId.get(at)!);
      if (seen.has(name)) continue; // recursion counts once
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + h);
    }
  }
  const n = p.samples.length;
  return [...total.keys()].map((name) => ({ name, selfPct: (100 * (self.get(name) ?? 0)) / n, totalPct: (100 * total.get(name)!) / n }));
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, filter: { type: 'string' } } });
  const file = positionals[0];
  if (file === undefined) { process.stderr.write('usage: node bench/profile.ts FILE.cpuprofile [--top N] [--filter TEXT]\n'); process.exit(2); }
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const lines = summarise(p).filter((l) => values.filter === undefined || l.name.includes(values.filter));
  const top = Number(values.top);
  process.stdout.write(`${file}: ${p.samples.length} samples over ${((p.endTime - p.startTime) / 1e6).toFixed(2)} s\n\nself %   total %  function\n`);
  for (const l of [...lines].sort((a, b) => b.selfPct - a.selfPct).slice(0, top)) {
    process.stdout.write(`${l.selfPct.toFixed(1).padStart(6)}  ${l.totalPct.toFixed(1).padStart(7)}  ${l.name}\n`);
  }
  process.stdout.write('\nby inclusive time:\nself %   total %  function\n');
  for (const l of [...lines].sort((a, b) => b.totalPct - a.totalPct).slice(0, top)) {
    process.stdout.write(`${l.selfPct.toFixed(1).padStart(6)}  ${l.totalPct.toFixed(1).padStart(7)}  ${l.name}\n`);
  }
}
