import { Injectable, Logger } from '@nestjs/common';
import { AccountsRepository } from '../accounts/accounts.repository';
import type { Tenant } from '../auth/principal';
import { comparePositions } from '../changes/change-cursor';
import { ChangeFeedRepository } from '../changes/change-feed.repository';
import { badRequest, forbidden, notFound } from '../common/domain.error';
import { describeUrl } from '../common/http-client';
import { decodeCursor, decodeTimeIdCursor, Page, PageQuery, toPage } from '../common/pagination';
import { SecretBox } from '../common/secret-box';
import { uuidv7 } from '../common/uuidv7';
import { AppConfig } from '../config/app-config';
import { CURSOR_EXPIRED_REASON, DeliveryWorker } from './delivery.worker';
import type { CreatedSubscriptionView, CreateSubscriptionDto, DeliveryView, RotatedSecretView, SubscriptionListQuery, SubscriptionView, UpdateSubscriptionDto } from './dto/subscription.dto';
import type { SubscriptionEntity } from './entities/subscription.entity';
import { toDeliveryView, toSubscriptionView } from './subscription.mapper';
import { SubscriptionPatch, SubscriptionsRepository } from './subscriptions.repository';
import { checkTargetUrl, TargetRefused } from './target-url.guard';
import { generateSecret } from './webhook-signer';

/** How long a rotated-out secret keeps signing beside the new one. */
export const PREVIOUS_SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** Subscriptions' admin API (CONTRACT.md section 10); the caller's Tenant comes from `subscriptionTenant`. */
@Injectable()
export class SubscriptionsService {
  private readonly logger = new Logger('Subscriptions');

  constructor(
    private readonly repo: SubscriptionsRepository,
    private readonly feed: ChangeFeedRepository,
    private readonly accounts: AccountsRepository,
    private readonly box: SecretBox,
    private readonly config: AppConfig,
    private readonly worker: DeliveryWorker,
  ) {}

  async create(tenant: Tenant, dto: CreateSubscriptionDto): Promise<CreatedSubscriptionView> {
    const accountId = await this.accountFor(tenant, dto.accountId);
    const url = await this.checkUrl(dto.url);
    const secret = generateSecret();
    // The head: changes committed from now on (none that was handed out before, none skipped).
    const cursor = await this.feed.head();
    const row = await this.repo.insert({
      id: uuidv7(), accountId, url, types: dto.types ?? null, description: dto.description ?? null, secret: this.box.seal(secret), cursor,
    });
    this.logger.log({ subscriptionId: row.id, accountId, target: new URL(url).origin }, 'subscription created');
    // This process's worker follows change hints again at once (another process's within ACTIVE_CHECK_MS).
    this.worker.poke();
    return { ...toSubscriptionView(row), secret };
  }

  async list(tenant: Tenant, q: SubscriptionListQuery): Promise<Page<SubscriptionView>> {
    const limit = q.limit ?? 100;
    const after = decodeTimeIdCursor(q.cursor);
    const rows = await this.repo.list(tenant, { status: q.status, after: after ?? undefined }, limit + 1);
    return toPage(rows, limit, toSubscriptionView, (s) => [s.createdAt.toISOString(), s.id]);
  }

  async get(tenant: Tenant, id: string): Promise<SubscriptionView> {
    return toSubscriptionView(await this.require(tenant, id));
  }

  async update(tenant: Tenant, id: string, dto: UpdateSubscriptionDto): Promise<SubscriptionView> {
    const current = await this.require(tenant, id);
    const patch: SubscriptionPatch = {};
    if (dto.url !== undefined && dto.url !== current.url) patch.url = await this.checkUrl(dto.url);
    if (dto.types !== undefined) patch.types = dto.types ?? null;
    if (dto.description !== undefined) patch.description = dto.description ?? null;
    if (dto.status !== undefined && dto.status !== current.status) {
      patch.status = dto.status;
      patch.failingReason = null;
      if (dto.status === 'active' && current.status === 'failing' && current.failingReason?.startsWith(CURSOR_EXPIRED_REASON)) {
        // Its position is gone from the feed (the failing reason said so): continue from the oldest change still kept.
        const retained = await this.feed.retainedFrom();
        if (comparePositions({ xid: current.cursorXid, seq: current.cursorSeq }, retained) < 0) patch.cursor = retained;
      }
    }
    if (Object.keys(patch).length > 0 && !(await this.repo.update(tenant, id, patch))) throw notFound('subscription', id);
    if (patch.status) this.logger.log({ subscriptionId: id, from: current.status, to: patch.status, movedCursor: !!patch.cursor }, 'subscription status changed');
    if (patch.status === 'active' || patch.url) this.worker.poke();
    return toSubscriptionView(await this.require(tenant, id));
  }

  async remove(tenant: Tenant, id: string): Promise<void> {
    if (!(await this.repo.remove(tenant, id))) throw notFound('subscription', id);
    this.logger.log({ subscriptionId: id }, 'subscription deleted');
  }

  async rotateSecret(tenant: Tenant, id: string): Promise<RotatedSecretView> {
    const secret = generateSecret();
    if (!(await this.repo.rotateSecret(tenant, id, this.box.seal(secret), PREVIOUS_SECRET_OVERLAP_MS))) throw notFound('subscription', id);
    this.logger.log({ subscriptionId: id }, 'subscription secret rotated; the previous one signs beside it for 24 h');
    return { secret };
  }

  async deliveries(tenant: Tenant, id: string, q: PageQuery): Promise<Page<DeliveryView>> {
    await this.require(tenant, id);
    const limit = q.limit ?? 100;
    const before = decodeCursor(q.cursor, ['string']) as [string] | null;
    if (before && !/^[1-9][0-9]{0,18}$/.test(before[0])) throw badRequest('cursor is not a cursor this API issued', [{ field: 'cursor', message: 'invalid cursor' }]);
    const rows = await this.repo.listDeliveries(tenant, id, before ? before[0] : null, limit + 1);
    return toPage(rows, limit, toDeliveryView, (d) => [String(d.seq)]);
  }

  private async require(tenant: Tenant, id: string): Promise<SubscriptionEntity> {
    const row = await this.repo.findVisible(tenant, id);
    if (!row) throw notFound('subscription', id);
    return row;
  }

  /**
   * An account credential's subscription is its own account's: naming another account is refused (403, whether
   * that account exists or not, so nothing leaks). An admin names any existing account, or none (every account).
   */
  private async accountFor(tenant: Tenant, requested: string | undefined): Promise<string | null> {
    if (tenant.accountId !== null) {
      if (requested !== undefined && requested !== tenant.accountId) throw forbidden('an account credential creates subscriptions for its own account only');
      return tenant.accountId;
    }
    if (requested === undefined) return null;
    if (!(await this.accounts.exists(requested))) throw badRequest('no such account', [{ field: 'accountId', message: 'no account has this id' }]);
    return requested;
  }

  /** The URL as stored (WHATWG-normalised), or 400 naming `url`. */
  private async checkUrl(raw: string): Promise<string> {
    const policy = { allowHttp: this.config.env.SUBSCRIPTIONS_ALLOW_HTTP === 'true', allowPrivate: this.config.env.SUBSCRIPTIONS_ALLOW_PRIVATE === 'true' };
    try {
      return (await checkTargetUrl(raw, policy)).toString();
    } catch (e) {
      if (e instanceof TargetRefused) {
        this.logger.log({ target: describeUrl(raw), why: e.message }, 'subscription target refused');
        throw badRequest(e.message, [{ field: 'url', message: e.message }]);
      }
      throw e;
    }
  }
}
