// Runs the TypeORM CLI against DATABASE_URL, or against the embedded PostgreSQL in DATA_DIR when unset.
//   npm run migration:generate -- AddSomething   |   npm run migration:run   |   npm run migration:revert
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const [command, name] = process.argv.slice(2);
if (!['generate', 'run', 'revert'].includes(command)) {
  console.error('usage: migration.mjs generate <Name> | run | revert');
  process.exit(2);
}
if (command === 'generate' && !/^[A-Z][A-Za-z0-9]+$/.test(name ?? '')) {
  console.error('migration:generate needs a PascalCase name: npm run migration:generate -- AddThing');
  process.exit(2);
}
let url = process.env.DATABASE_URL;
let embedded;
if (!url) {
  const { loadOrCreateEmbeddedSecrets } = require('../dist/src/config/embedded-secrets.js');
  const { startEmbeddedDatabase } = require('../dist/src/database/embedded-database.js');
  const dataDir = process.env.DATA_DIR ?? './.data';
  const { secrets } = loadOrCreateEmbeddedSecrets(dataDir);
  embedded = await startEmbeddedDatabase(dataDir, secrets.databasePassword, console.error);
  url = embedded.url;
}
const cli = ['./node_modules/typeorm/cli.js'];
const args = command === 'generate'
  ? ['migration:generate', `./migrations/${name}`, '-d', './dist/ormconfig.js', '--outputJs=false', '--pretty']
  : [`migration:${command}`, '-d', './dist/ormconfig.js'];
// The CLI loads compiled entities from dist; generated migrations are written as TypeScript into migrations/.
// Generation diffs the entities against a database that already has every committed migration applied.
const run = (a) => spawnSync(process.execPath, [...cli, ...a], { stdio: 'inherit', env: { ...process.env, DATABASE_URL: url } });
let result = command === 'generate' ? run(['migration:run', '-d', './dist/ormconfig.js']) : { status: 0 };
if (result.status === 0) result = run(args);
if (embedded) await embedded.stop();
process.exit(result.status ?? 1);
