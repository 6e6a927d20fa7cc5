export { SubscriptionEntity } from './subscription.entity';
export { SubscriptionDeliveryEntity } from './subscription-delivery.entity';
