/** Turning samples into the bench's tables, and naming the machine they were measured on. */
import { cpus, loadavg, totalmem } from 'node:os';

/** The 1-minute load average now: take it before measuring (on a shared machine it says how busy the others were). */
export const loadNow = (): string => loadavg()[0].toFixed(1);

/** Cores, CPU model, memory and the load average at the start, as the bench reports print them. */
export function machine(loadAtStart: string): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${loadAtStart} at the start`;
}

export interface Row {
  name: string;
  deliveriesPerSecond: number;
  /** Server CPU time per delivery during the fan-out phase, µs. */
  cpuPerDelivery: number;
  /** Publish → arrival at a subscriber, ms. */
  p50: number;
  p99: number;
  /** Publish → the publisher's ack (our delivery report), ms. */
  ackP50: number;
  /** Server heap per connected, subscribed client, bytes. */
  heapPerConnection: number;
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const ms = (v: number) => `${v.toFixed(2)} ms`;
const ratio = (ours: number, base: number) => `×${(ours / base).toFixed(2)}`;

/** Markdown table: absolute numbers per server, and each row's ratio to the first (the baseline). */
export function formatTable(rows: Row[]): string {
  const [base] = rows;
  const lines = [
    '| server | deliveries/s | server CPU / delivery | latency p50 | latency p99 | publish ack p50 | heap / connection |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${Math.round(r.deliveriesPerSecond).toLocaleString('en')} | ${r.cpuPerDelivery.toFixed(1)} µs | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.ackP50)} | ${(r.heapPerConnection / 1024).toFixed(1)} KB |`,
    );
  }
  if (base && rows.length > 1) {
    lines.push(
      '',
      '| ours / baseline | deliveries/s | server CPU / delivery | latency p50 | latency p99 | publish ack p50 | heap / connection |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const r of rows.slice(1)) {
      lines.push(
        `| ${r.name} | ${ratio(r.deliveriesPerSecond, base.deliveriesPerSecond)} | ${ratio(r.cpuPerDelivery, base.cpuPerDelivery)} | ${ratio(r.p50, base.p50)} | ${ratio(r.p99, base.p99)} | ${ratio(r.ackP50, base.ackP50)} | ${ratio(r.heapPerConnection, base.heapPerConnection)} |`,
      );
    }
  }
  return lines.join('\n');
}
