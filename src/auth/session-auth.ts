/** What a console / consent-page session carries (express-session's SessionData, augmented). */
export type SessionAuth =
  | { kind: 'user'; userId: string; accountId: string; email: string }
  /** The admin token's hash: a session opened with an old ADMIN_TOKEN ends when the token is changed. */
  | { kind: 'admin'; adminTokenHash: string };

declare module 'express-session' {
  interface SessionData {
    auth?: SessionAuth;
    csrfToken?: string;
  }
}

export const SESSION_COOKIE = 'isid';
