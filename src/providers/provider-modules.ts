import { LockmeModule } from './lockme/lockme.module';
import { StratechModule } from './stratech/stratech.module';
import { SyncarooModule } from './syncaroo/syncaroo.module';

/** Every provider module; each registers its handler with ingestion and owns its webhook routes. */
export const PROVIDER_MODULES = [SyncarooModule, LockmeModule, StratechModule];
