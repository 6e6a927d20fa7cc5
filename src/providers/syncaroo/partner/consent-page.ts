import type { AuthorizeParams } from './syncaroo-partner.contract';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// No script at all; one style block (allowed by the page's CSP), readable without it.
const STYLE = `
  body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: #f4f5f7; color: #1d2430; margin: 0; }
  main { max-width: 26rem; margin: 4rem auto; background: #fff; border-radius: 12px; padding: 2rem 2.25rem; box-shadow: 0 2px 12px rgba(20, 30, 50, .08); }
  h1 { font-size: 1.35rem; margin: 0 0 .75rem; }
  p { margin: 0 0 1rem; color: #3b4556; }
  .who { background: #f0f4ff; border-radius: 8px; padding: .75rem 1rem; margin-bottom: 1.25rem; }
  label { display: block; font-weight: 600; margin: .75rem 0 .25rem; }
  input[type=email], input[type=password] { width: 100%; box-sizing: border-box; padding: .6rem .7rem; border: 1px solid #c5cbd6; border-radius: 6px; font-size: 1rem; }
  .error { background: #fdecea; color: #8a1c12; border-radius: 6px; padding: .6rem .8rem; margin-bottom: 1rem; }
  .actions { display: flex; gap: .75rem; margin-top: 1.5rem; }
  button { flex: 1; padding: .7rem; font-size: 1rem; border-radius: 6px; border: 1px solid #2f5bd3; cursor: pointer; }
  button[value=approve] { background: #2f5bd3; color: #fff; }
  button[value=deny] { background: #fff; color: #2f5bd3; }
  small { display: block; margin-top: 1.25rem; color: #6b7586; }`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export interface ConsentPageInput {
  params: AuthorizeParams;
  csrf: string;
  /** The signed-in account user, if a console session is open: then no credentials are asked for. */
  signedIn: { email: string; accountName: string } | null;
  error?: string;
}

/** The consent page (CONTRACT 9.1): names Syncaroo and the account, asks for sign-in, Approve / Deny. */
export function renderConsentPage({ params, csrf, signedIn, error }: ConsentPageInput): string {
  const hidden = Object.entries(params)
    .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v ?? '')}">`).join('\n  ');
  const who = signedIn
    ? `<div class="who">Signed in as <strong>${escape(signedIn.email)}</strong> of <strong>${escape(signedIn.accountName)}</strong>.</div>`
    : `<p>Sign in with your inventory-sync account to choose which account Syncaroo connects to.</p>
  <label for="email">E-mail</label><input id="email" type="email" name="email" autocomplete="username" required>
  <label for="password">Password</label><input id="password" type="password" name="password" autocomplete="current-password" required>`;
  return page('Connect Syncaroo', `
<h1>Connect Syncaroo</h1>
<p><strong>Syncaroo</strong> asks to connect to your listings on this platform: to send updates of your rooms, desks,
bookings and rates, and to read the list of your locations so you can map them in Syncaroo.</p>
${error ? `<div class="error" role="alert">${escape(error)}</div>` : ''}
<form method="post" action="/oauth/syncaroo/authorize">
  ${hidden}
  <input type="hidden" name="csrf" value="${escape(csrf)}">
  ${who}
  <div class="actions">
    <button type="submit" name="decision" value="approve">Approve</button>
    <button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
  </div>
</form>
<small>Syncaroo can change only the account you approve for, never another team's listings. You can revoke it at any time.</small>`);
}

/** An authorize request that cannot be answered by a redirect (unknown client, unregistered redirect URI). */
export function renderErrorPage(message: string): string {
  return page('Cannot connect', `<h1>This link cannot be used</h1><p>${escape(message)}</p>
<small>Start the connection again from Syncaroo. If it keeps failing, the platform's Syncaroo registration needs checking.</small>`);
}
