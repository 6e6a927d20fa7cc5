import { ConfigError, validateEnvironment } from './app-config';

const BASE = { ADMIN_TOKEN: 'admin-token-0123456789', ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'), DATABASE_URL: 'postgres://u:p@localhost/db' };

describe('configuration: provider answer size caps', () => {
  it('PROVIDER_MAX_BYTES defaults to 8 MiB and STRATECH_DATASET_MAX_BYTES to 256 MiB', () => {
    const { env } = validateEnvironment(BASE);
    expect(env.PROVIDER_MAX_BYTES).toBe(8388608);
    expect(env.STRATECH_DATASET_MAX_BYTES).toBe(268435456);
  });

  it('reads both from the environment', () => {
    const { env } = validateEnvironment({ ...BASE, PROVIDER_MAX_BYTES: '1048576', STRATECH_DATASET_MAX_BYTES: '1073741824' });
    expect(env.PROVIDER_MAX_BYTES).toBe(1048576);
    expect(env.STRATECH_DATASET_MAX_BYTES).toBe(1073741824);
  });

  it.each([
    ['PROVIDER_MAX_BYTES', 'lots'],
    ['PROVIDER_MAX_BYTES', '0'],
    ['PROVIDER_MAX_BYTES', '1.5'],
    ['PROVIDER_MAX_BYTES', String(512 * 1024 * 1024)],
    ['STRATECH_DATASET_MAX_BYTES', '-1'],
    ['STRATECH_DATASET_MAX_BYTES', '8MB'],
  ])('a bad %s (%s) stops start-up with a line naming it', (name, value) => {
    expect(() => validateEnvironment({ ...BASE, [name]: value })).toThrow(ConfigError);
    expect(() => validateEnvironment({ ...BASE, [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name}: `));
  });
});

describe('configuration: intake queue bound', () => {
  it('INTAKE_MAX_QUEUED defaults to 2000 and is read from the environment', () => {
    expect(validateEnvironment(BASE).env.INTAKE_MAX_QUEUED).toBe(2000);
    expect(validateEnvironment({ ...BASE, INTAKE_MAX_QUEUED: '50' }).env.INTAKE_MAX_QUEUED).toBe(50);
  });

  it.each(['0', '-3', 'many', '1.5', '1000001'])('a bad INTAKE_MAX_QUEUED (%s) stops start-up with a line naming it', (value) => {
    expect(() => validateEnvironment({ ...BASE, INTAKE_MAX_QUEUED: value })).toThrow(/^Invalid configuration: INTAKE_MAX_QUEUED: /);
  });
});
