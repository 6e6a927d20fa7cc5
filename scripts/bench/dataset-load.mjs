// Dataset section: a 1,022,000-cell Stratech dataset loaded end to end by the real server, through
// scripts/los-load.mjs (its own embedded PostgreSQL, fake Stratech and server process), twice, the second replacing
// the first. Baselines from the same run: the same rows written by LosRepository's COPY alone, in the script's
// process (the write without fetch, parse or handler), and GET /los sampled after the loads, when nothing else runs.
import { spawn } from 'node:child_process';

const num = (re, text) => {
  const m = re.exec(text);
  return m ? Number(m[1]) : NaN;
};

/** Runs los-load and reads its report; `log` gets its progress lines. */
export async function benchDatasetLoad({ loads = 2, log }) {
  const args = ['scripts/los-load.mjs', '--loads', String(loads), '--requests', '100', '--writers', '1', '--no-plans'];
  log(`dataset: node ${args.join(' ')}`);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`los-load exited with ${code}:\n${out.slice(-2000)}`);
  const blocks = out.split(/\nload \d+ /).slice(1);
  const perLoad = blocks.map((b) => ({
    seconds: num(/202 → done ([\d.]+) s/, b),
    peakRss: num(/server peak RSS: (\d+) MB/, b),
    losP99: num(/during the load: GET \/los .*?p99\s+([\d.]+) ms/, b),
    healthP99: num(/GET \/health .*?p99\s+([\d.]+) ms/, b),
    loopP99: num(/event-loop delay during the load: p99 ([\d.]+) ms/, b),
  }));
  return {
    rssBefore: num(/RSS before the first load: (\d+) MB/, out),
    perLoad,
    quietLosP99: num(/GET \/los after the loads[^\n]*\n\s+all\s+p50 [\d.]+ ms\s+p99 ([\d.]+) ms/, out),
    copyAloneSeconds: num(/\n\s+copy\s+([\d.]+) s \(commit included\)/, out),
  };
}

export function reportDatasetLoad(r, fmt) {
  console.log('\nStratech dataset, 100 products × 365 arrivals × 28 stays = 1,022,000 cells (91 MB of JSON), loaded by the server');
  console.log('(scripts/los-load.mjs: webhook → fetch from a fake Stratech → parse → COPY, one transaction); GET /los and GET /health');
  console.log('sampled one at a time every 20 ms during each load. Baselines, same run: LosRepository writing the same rows by COPY');
  console.log('alone (no fetch, parse or handler), and GET /los after the loads with nothing else running.');
  console.log('| | 202 → done s | peak RSS MB | GET /los p99 during the load ms | GET /health p99 ms | event-loop p99 ms |');
  console.log('|---|---|---|---|---|---|');
  r.perLoad.forEach((l, i) => console.log(`| load ${i + 1}${i > 0 ? ' (replacing)' : ''} | ${fmt(l.seconds)} | ${l.peakRss} | ${fmt(l.losP99, 1)} | ${fmt(l.healthP99, 1)} | ${fmt(l.loopP99, 1)} |`));
  console.log(`| baseline | COPY alone ${fmt(r.copyAloneSeconds)} | before the first load ${r.rssBefore} | quiet ${fmt(r.quietLosP99, 1)} | | |`);
  const worst = (k) => Math.max(...r.perLoad.map((l) => l[k]));
  console.log(`targets: load ≤ 10 s (slowest ${fmt(worst('seconds'))}), peak RSS ≤ 300 MB (${worst('peakRss')}), GET /los p99 during the load ≤ 50 ms (${fmt(worst('losP99'), 1)})`);
}
