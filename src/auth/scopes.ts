export const SCOPES = ['inventory:read', 'connections:read', 'connections:write', 'events:read', 'events:write', 'changes:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
/** What an account-bound credential may hold: everything but `admin` (which spans every account). */
export const ACCOUNT_SCOPES: readonly Scope[] = SCOPES.filter((s) => s !== 'admin');
