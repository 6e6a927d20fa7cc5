import type { ConnectionView, MappingView } from './dto/connection.dto';
import type { ConnectionEntity } from './entities/connection.entity';
import type { LocationMappingEntity } from './entities/location-mapping.entity';

export function toConnectionView(c: ConnectionEntity, webhookUrl: string | null): ConnectionView {
  return {
    id: c.id,
    provider: c.provider,
    externalId: c.externalId,
    name: c.name,
    accountId: c.accountId,
    status: c.status,
    webhookUrl,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function toMappingView(m: LocationMappingEntity): MappingView {
  return { connectionId: m.connectionId, locationId: m.locationId, externalId: m.externalId, createdAt: m.createdAt.toISOString() };
}
