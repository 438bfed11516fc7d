/**
 * Where a server's memory per connection goes: two V8 heap snapshots (before and after connecting N
 * clients), their objects summed by kind (constructor name for objects and closures, the node type
 * for strings, arrays and V8's internals), the difference divided by N.
 */
import { readFile } from 'node:fs/promises';

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Bytes and objects per kind. */
export type HeapCensus = Map<string, { bytes: number; count: number }>;

export async function censusOf(path: string): Promise<HeapCensus> {
  const snapshot = JSON.parse(await readFile(path, 'utf8')) as HeapSnapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const census: HeapCensus = new Map();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    // Objects and closures by their constructor or function name; everything else by its type.
    const kind =
      type === 'object' || type === 'closure'
        ? `${strings[nodes[i + nameAt]]}${type === 'closure' ? '()' : ''}`
        : `(${type})`;
    const entry = census.get(kind) ?? { bytes: 0, count: 0 };
    entry.bytes += nodes[i + sizeAt];
    entry.count += 1;
    census.set(kind, entry);
  }
  return census;
}

export interface PerConnection {
  kind: string;
  bytes: number;
  objects: number;
}

/** What grew between the two censuses, per connection, biggest first. */
export function perConnection(before: HeapCensus, after: HeapCensus, connections: number): PerConnection[] {
  const rows: PerConnection[] = [];
  for (const [kind, { bytes, count }] of after) {
    const was = before.get(kind) ?? { bytes: 0, count: 0 };
    rows.push({ kind, bytes: (bytes - was.bytes) / connections, objects: (count - was.count) / connections });
  }
  return rows.sort((a, b) => b.bytes - a.bytes);
}

/** The baseline's and our biggest kinds side by side, and what ours adds. */
export function formatHeapSummary(base: PerConnection[], ours: PerConnection[], top: number): string {
  const total = (rows: PerConnection[]) => rows.reduce((sum, r) => sum + r.bytes, 0);
  const baseBy = new Map(base.map((r) => [r.kind, r]));
  const lines = [
    `Heap per connection: bare Socket.IO ${Math.round(total(base))} B, comet-chat ${Math.round(total(ours))} B. Biggest kinds in ours (objects and closures by constructor or function name):`,
    '',
    '| kind | comet-chat B / connection | objects | bare Socket.IO B / connection | objects | added |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of ours.slice(0, top)) {
    const b = baseBy.get(r.kind) ?? { bytes: 0, objects: 0 };
    lines.push(
      `| \`${r.kind}\` | ${Math.round(r.bytes)} | ${r.objects.toFixed(1)} | ${Math.round(b.bytes)} | ${b.objects.toFixed(1)} | ${Math.round(r.bytes - b.bytes)} |`,
    );
  }
  return lines.join('\n');
}
