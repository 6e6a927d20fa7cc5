import { Injectable, Logger } from '@nestjs/common';
import { AccountsRepository } from '../accounts/accounts.repository';
import { badRequest, notFound } from '../common/domain.error';
import { decodeTimeIdCursor, Page, PageQuery, toPage } from '../common/pagination';
import { ApiKeysRepository } from './api-keys.repository';
import { generateApiKey, hashApiKey, keyPrefix } from './api-key.util';
import { ApiKeyVerifier } from './api-key.verifier';
import type { ApiKeyView, CreateApiKeyDto, CreatedApiKeyView } from './dto/api-key.dto';
import type { ApiKeyEntity } from './entities/api-key.entity';

const toView = (k: ApiKeyEntity): ApiKeyView => ({
  id: k.id, name: k.name, accountId: k.accountId, scopes: k.scopes as ApiKeyView['scopes'], prefix: k.prefix,
  createdAt: k.createdAt.toISOString(), expiresAt: k.expiresAt?.toISOString() ?? null, lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
});

@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger('ApiKeys');

  constructor(private readonly repo: ApiKeysRepository, private readonly accounts: AccountsRepository, private readonly verifier: ApiKeyVerifier) {}

  async create(dto: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    const scopes = [...new Set(dto.scopes)];
    if (dto.accountId !== undefined && scopes.includes('admin')) {
      throw badRequest('an account key cannot hold admin (it spans every account)', [{ field: 'scopes', message: 'admin is not allowed on an account key' }]);
    }
    if (dto.accountId !== undefined && !(await this.accounts.exists(dto.accountId))) {
      throw badRequest('no such account', [{ field: 'accountId', message: 'no account has this id' }]);
    }
    const expiresAt = dto.expiresAt !== undefined ? new Date(dto.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw badRequest('expiresAt is in the past', [{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
    }
    const key = generateApiKey();
    const row = await this.repo.create({ name: dto.name, accountId: dto.accountId ?? null, scopes, prefix: keyPrefix(key), keyHash: hashApiKey(key), expiresAt });
    this.logger.log({ keyId: row.id, accountId: row.accountId, scopes }, 'API key created');
    return { ...toView(row), key };
  }

  async list(q: PageQuery): Promise<Page<ApiKeyView>> {
    const limit = q.limit ?? 100;
    const rows = await this.repo.list(decodeTimeIdCursor(q.cursor), limit + 1);
    return toPage(rows, limit, toView, (k) => [k.createdAt.toISOString(), k.id]);
  }

  async revoke(id: string): Promise<void> {
    const hash = await this.repo.delete(id);
    if (!hash) throw notFound('API key', id);
    this.verifier.forget(hash);
    this.logger.log({ keyId: id }, 'API key revoked');
  }
}
