/** Every provider module; each registers its handler with ingestion and owns its webhook routes. */
export const PROVIDER_MODULES: any[] = [];
