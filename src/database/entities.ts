import { SyncarooAuthCodeEntity } from '../providers/syncaroo/partner/entities/syncaroo-auth-code.entity';
import { SyncarooGrantEntity } from '../providers/syncaroo/partner/entities/syncaroo-grant.entity';
import { SyncarooTokenEntity } from '../providers/syncaroo/partner/entities/syncaroo-token.entity';
import { ChangeEntity } from '../changes/entities/change.entity';
import { ChangesHorizonEntity } from '../changes/entities/changes-horizon.entity';
import { SubscriptionDeliveryEntity, SubscriptionEntity } from '../subscriptions/entities';
import { AccountUserEntity } from '../accounts/entities/account-user.entity';
import { AccountEntity } from '../accounts/entities/account.entity';
import { ApiKeyEntity } from '../auth/entities/api-key.entity';
import { LoginFailureEntity } from '../auth/entities/login-failure.entity';
import { SessionEntity } from '../auth/entities/session.entity';
import { ConnectionEntity } from '../connections/entities/connection.entity';
import { LocationMappingEntity } from '../connections/entities/location-mapping.entity';
import { OAuthStateEntity } from '../connections/entities/oauth-state.entity';
import { EventPartitionEntity } from '../ingestion/entities/event-partition.entity';
import { HoldCauseEntity } from '../ingestion/entities/hold-cause.entity';
import { InboundEventEntity } from '../ingestion/entities/inbound-event.entity';
import { AvailabilityWindowEntity } from '../inventory/entities/availability-window.entity';
import { BookingEntity } from '../inventory/entities/booking.entity';
import { LocationEntity } from '../inventory/entities/location.entity';
import { LosDatasetEntity } from '../inventory/entities/los-dataset.entity';
import { LosDayEntity } from '../inventory/entities/los-day.entity';
import { RateEntity } from '../inventory/entities/rate.entity';
import { ResourceEntity } from '../inventory/entities/resource.entity';

export const ENTITIES = [
  ConnectionEntity,
  LocationMappingEntity,
  OAuthStateEntity,
  LocationEntity,
  ResourceEntity,
  BookingEntity,
  AvailabilityWindowEntity,
  LosDayEntity,
  LosDatasetEntity,
  InboundEventEntity,
  EventPartitionEntity,
  HoldCauseEntity,
  AccountEntity,
  AccountUserEntity,
  ApiKeyEntity,
  SessionEntity,
  LoginFailureEntity,
  SyncarooGrantEntity,
  SyncarooAuthCodeEntity,
  SyncarooTokenEntity,
  RateEntity,
  ChangeEntity,
  ChangesHorizonEntity,
  SubscriptionEntity,
  SubscriptionDeliveryEntity,
];
