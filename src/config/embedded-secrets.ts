import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EmbeddedSecrets {
  adminToken: string;
  encryptionKey: string;
  /** Password of the embedded PostgreSQL superuser; never leaves DATA_DIR. */
  databasePassword: string;
}

/**
 * Embedded mode keeps its generated secrets in DATA_DIR/secrets.json (mode 0600), created once,
 * so a restart on the same DATA_DIR keeps the same admin token and can still decrypt credentials.
 */
export function loadOrCreateEmbeddedSecrets(dataDir: string): { secrets: EmbeddedSecrets; created: boolean } {
  // 0711: the embedded server runs as the `postgres` user when we are root and must traverse into DATA_DIR/pg;
  // secrets.json itself stays 0600.
  mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  chmodSync(dataDir, 0o711);
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const secrets = JSON.parse(readFileSync(file, 'utf8')) as EmbeddedSecrets;
    return { secrets, created: false };
  }
  const secrets: EmbeddedSecrets = {
    adminToken: randomBytes(24).toString('base64url'),
    encryptionKey: randomBytes(32).toString('base64'),
    databasePassword: randomBytes(18).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return { secrets, created: true };
}
