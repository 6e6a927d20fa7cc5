/* eslint-disable max-len */
/**
 * The console's eta templates. `<%= %>` escapes, `<%~ %>` does not (used only for markup built here: the
 * layout's body, the server-rendered SVG chart). No inline script or style anywhere (the CSP forbids both);
 * htmx reads its settings from the meta tag and the CSRF header from hx-headers on <body>.
 */
const PAGE = `<% if (it.layoutName) layout(it.layoutName) %>`;

const layout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="<%= it.htmxConfig %>">
<title><%= it.title %> · inventory-sync</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/htmx.min.js" defer></script>
<script src="/console/assets/console.js" defer></script>
</head>
<body<% if (it.user) { %> hx-headers="<%= JSON.stringify({ 'x-csrf-token': it.user.csrfToken }) %>"<% } %>>
<% if (it.user) { %>
<header>
  <span class="brand">inventory-sync</span>
  <a href="/console" class="<%= it.nav === 'overview' ? 'on' : '' %>">Overview</a>
  <a href="/console/connections" class="<%= it.nav === 'connections' ? 'on' : '' %>">Connections</a>
  <a href="/console/events" class="<%= it.nav === 'events' ? 'on' : '' %>">Events</a>
  <a href="/console/keys" class="<%= it.nav === 'keys' ? 'on' : '' %>">API keys</a>
  <a href="/console/inventory" class="<%= it.nav === 'inventory' ? 'on' : '' %>">Inventory</a>
  <a href="/console/subscriptions" class="<%= it.nav === 'subscriptions' ? 'on' : '' %>">Subscriptions</a>
  <% if (it.user.admin) { %><a href="/console/accounts" class="<%= it.nav === 'accounts' ? 'on' : '' %>">Accounts</a><% } %>
  <span class="who" id="who"><%= it.user.admin ? 'admin' : it.user.email %></span>
  <button type="button" id="logout" hx-post="/console/logout" hx-swap="none">Sign out</button>
</header>
<% } %>
<main>
<% if (it.user) { %><h1><%= it.title %></h1><% } %>
<div id="flash" class="flash error" role="alert"></div>
<%~ it.body %>
</main>
</body>
</html>`;

const login = `${PAGE}
<div class="login">
  <h1>Sign in to inventory-sync</h1>
  <% if (it.error) { %><div class="flash error" id="login-error" role="alert"><%= it.error %></div><% } %>
  <form method="post" action="/console/login" id="login-user">
    <input type="hidden" name="csrf" value="<%= it.csrf %>">
    <fieldset>
      <legend>Account user</legend>
      <label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="username" value="<%= it.email || '' %>">
      <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
    </fieldset>
    <button type="submit" id="sign-in-user">Sign in</button>
  </form>
  <hr>
  <form method="post" action="/console/login" id="login-admin">
    <input type="hidden" name="csrf" value="<%= it.csrf %>">
    <fieldset>
      <legend>Administrator</legend>
      <label for="adminToken">Admin token</label><input id="adminToken" name="adminToken" type="password" autocomplete="off">
    </fieldset>
    <button type="submit" id="sign-in-admin">Sign in with the admin token</button>
  </form>
</div>`;

const error = `${PAGE}
<div class="flash error" id="error" role="alert"><strong><%= it.status %></strong> <%= it.message %></div>
<% if (it.layoutName) { %><p><a href="/console">Back to the overview</a></p><% } %>`;

const flash = `<div class="flash<%= it.kind === 'error' ? ' error' : '' %>" role="status"><%= it.message %><% if (it.errors && it.errors.length) { %><ul><% it.errors.forEach(function (e) { %><li><code><%= e.field %></code>: <%= e.message %></li><% }) %></ul><% } %></div>`;

const statusBadge = `<span class="status <%= it.s %>"><%= it.s %></span>`;

const overview = `${PAGE}
<div id="live" hx-get="/console" hx-trigger="every 15s" hx-select="#live" hx-target="this" hx-swap="outerHTML">
<div class="cards" id="totals">
  <div class="card"><div class="n" id="count-backlog"><%= it.stats.backlog %></div><div class="l">backlog (pending, failed, processing)</div></div>
  <div class="card<%= it.stats.held ? ' warn' : '' %>"><div class="n" id="count-held"><%= it.stats.held %></div><div class="l">held</div></div>
  <div class="card<%= it.stats.dead ? ' bad' : '' %>"><div class="n" id="count-dead"><%= it.stats.dead %></div><div class="l">dead</div></div>
  <div class="card"><div class="n" id="oldest-pending"><%= it.h.age(it.stats.oldestPendingSeconds) %></div><div class="l">lag: age of the oldest waiting event</div></div>
  <div class="card"><div class="n"><%= it.stats.total %></div><div class="l">events in the queue (in line, and recently finished)</div></div>
</div>
<h2>Events by status</h2>
<table id="by-status"><tr><% it.statuses.forEach(function (s) { %><th class="num"><%~ include('@statusBadge', { s: s }) %></th><% }) %></tr>
<tr><% it.statuses.forEach(function (s) { %><td class="num" data-status="<%= s %>"><%= it.stats.byStatus[s] || 0 %></td><% }) %></tr></table>
<h2>By provider (lag = age of the oldest event still waiting)</h2>
<table id="by-provider"><tr><th>provider</th><% it.statuses.forEach(function (s) { %><th class="num"><%= s %></th><% }) %><th class="num" title="age of the oldest waiting (pending, failed, processing) event">lag</th><th></th></tr>
<% it.stats.providers.forEach(function (p) { %><tr data-provider="<%= p.provider %>"><td><%= p.provider %></td><% it.statuses.forEach(function (s) { %><td class="num"><%= p.byStatus[s] || 0 %></td><% }) %><td class="num lag" data-lag="<%= p.oldestPendingSeconds === null ? '' : Math.round(p.oldestPendingSeconds) %>"><%= it.h.age(p.oldestPendingSeconds) %></td><td><a href="/console/events<%= it.h.qs({ provider: p.provider }) %>">events</a><% if (p.byStatus.dead) { %> · <a class="dead-link" href="/console/events<%= it.h.qs({ provider: p.provider, status: 'dead' }) %>">dead</a><% } %></td></tr><% }) %>
<% if (!it.stats.providers.length) { %><tr><td colspan="10" class="muted">no events yet</td></tr><% } %>
</table>
<h2>Events per minute, last hour (by received time, coloured by current status)</h2>
<div class="chart"><%~ it.chart %>
<div class="legend"><% it.statuses.forEach(function (s) { %><span><i class="s-<%= s %>"></i><%= s %></span><% }) %></div></div>
</div>
<p class="muted">Refreshed every 15 s; counts cover <%= it.user && it.user.admin ? 'every account' : 'your account' %>. Connections: <a href="/console/connections"><%= it.connections %></a>.</p>`;

const connections = `${PAGE}
<% if (it.canWrite) { %>
<form class="box" id="create-connection" hx-post="/console/connections" hx-target="#create-result">
  <strong>New connection</strong><br>
  <label>Provider <select name="provider" id="new-provider"><% it.providers.forEach(function (p) { %><option value="<%= p %>"><%= p %></option><% }) %></select></label>
  <label>External id <input name="externalId" id="new-external-id" placeholder="Syncaroo connectionId / Stratech org"></label>
  <label>Name <input name="name" id="new-name"></label>
  <% if (it.user.admin) { %><label>Account <select name="accountId" id="new-account"><option value="">(none)</option><% it.accounts.forEach(function (a) { %><option value="<%= a.id %>"><%= a.name %></option><% }) %></select></label><% } %>
  <button type="submit" id="create-connection-submit">Create</button>
  <div id="create-result"></div>
</form>
<% } %>
<table id="connections">
<tr><th>name</th><th>provider</th><th>external id</th><th>status</th><th>account</th><th>last webhook</th><th>last success</th><th>token</th><th>events</th></tr>
<% it.page.items.forEach(function (c) { %>
<tr data-connection-id="<%= c.id %>">
  <td><a href="/console/connections/<%= c.id %>"><%= c.name || '(unnamed)' %></a></td>
  <td><%= c.provider %></td><td class="mono"><%= c.externalId || '—' %></td>
  <td><%~ include('@statusBadge', { s: c.status }) %></td>
  <td class="mono"><%= it.accountNames[c.accountId] || it.h.short(c.accountId) %></td>
  <td><%= it.h.time(c.lastWebhookAt) %></td><td><%= it.h.time(c.lastSuccessAt) %></td><td><%= c.tokenState %></td>
  <td><a class="events-link" href="/console/events<%= it.h.qs({ connectionId: c.id }) %>">events</a></td>
</tr>
<% }) %>
<% if (!it.page.items.length) { %><tr><td colspan="9" class="muted">no connections</td></tr><% } %>
</table>
<% if (it.page.nextCursor) { %><div class="pager"><a id="next-page" href="/console/connections<%= it.h.qs({ cursor: it.page.nextCursor }) %>">Next page →</a></div><% } %>`;

const connection = `${PAGE}
<table id="connection" data-connection-id="<%= it.c.id %>">
<tr><th>id</th><td class="mono"><%= it.c.id %></td></tr>
<tr><th>provider</th><td><%= it.c.provider %></td></tr>
<tr><th>external id</th><td class="mono"><%= it.c.externalId || '—' %></td></tr>
<tr><th>status</th><td id="connection-status"><%~ include('@statusBadge', { s: it.c.status }) %></td></tr>
<tr><th>account</th><td class="mono"><%= it.c.accountId || '(none)' %></td></tr>
<tr><th>token</th><td><%= it.c.tokenState %></td></tr>
<tr><th>last webhook / last success</th><td><%= it.h.time(it.c.lastWebhookAt) %> / <%= it.h.time(it.c.lastSuccessAt) %></td></tr>
<tr><th>webhook URL</th><td><% if (it.c.webhookUrl) { %><code id="webhook-url"><%= it.c.webhookUrl %></code> <button type="button" class="secondary" data-copy="<%= it.c.webhookUrl %>">Copy</button><% } else if (it.c.provider === 'stratech') { %><span class="muted">{PUBLIC_URL}/webhooks/stratech/{STRATECH_WEBHOOK_SECRET} (the secret is not shown)</span><% } else { %>—<% } %></td></tr>
<tr><th>created / updated</th><td><%= it.h.time(it.c.createdAt) %> / <%= it.h.time(it.c.updatedAt) %></td></tr>
</table>
<p><a href="/console/events<%= it.h.qs({ connectionId: it.c.id }) %>" id="connection-events">Events of this connection</a></p>
<% if (it.canWrite) { %>
<div class="box">
  <% if (it.c.status === 'active') { %><button type="button" class="danger" id="disable" hx-post="/console/connections/<%= it.c.id %>/status" hx-vals='{"status":"disabled"}' hx-target="#action-result">Disable</button><% } %>
  <% if (it.c.status === 'disabled') { %><button type="button" id="enable" hx-post="/console/connections/<%= it.c.id %>/status" hx-vals='{"status":"active"}' hx-target="#action-result">Enable</button><% } %>
  <button type="button" class="secondary" id="resync" hx-post="/console/connections/<%= it.c.id %>/resync" hx-target="#action-result">Resync</button>
  <% if (it.c.provider === 'lockme' && it.lockmeEnabled) { %><a id="lockme-connect" href="/connect/lockme?connectionId=<%= it.h.enc(it.c.id) %>">Connect with Lockme →</a><% } else if (it.c.provider === 'lockme') { %><span class="muted">Lockme connect is off (LOCKME_CLIENT_ID / LOCKME_CLIENT_SECRET unset)</span><% } %>
  <div id="action-result"></div>
</div>
<% } %>
<h2>Mapped locations</h2>
<table id="mappings">
<tr><th>location id</th><th>provider's id</th><th>mapped</th><th></th></tr>
<% it.mappings.items.forEach(function (m) { %>
<tr data-location-id="<%= m.locationId %>"><td><a href="/console/inventory/locations/<%= it.h.enc(m.locationId) %>" class="mono"><%= m.locationId %></a></td><td class="mono"><%= m.externalId || '—' %></td><td><%= it.h.time(m.createdAt) %></td>
<td><% if (it.canWrite) { %><button type="button" class="danger unmap" hx-delete="/console/connections/<%= it.c.id %>/locations/<%= it.h.enc(m.locationId) %>" hx-confirm="Unmap <%= m.locationId %>? The connection's resources there are retired." hx-target="#map-result">Unmap</button><% } %></td></tr>
<% }) %>
<% if (!it.mappings.items.length) { %><tr><td colspan="4" class="muted">no locations mapped</td></tr><% } %>
</table>
<% if (it.mappings.nextCursor) { %><div class="pager"><a href="/console/connections/<%= it.c.id %><%= it.h.qs({ cursor: it.mappings.nextCursor }) %>">More locations →</a></div><% } %>
<% if (it.canWrite) { %>
<form class="box" id="map-location" hx-post="/console/connections/<%= it.c.id %>/locations" hx-target="#map-result">
  <strong>Map a location</strong><br>
  <label>Location id <input name="locationId" id="map-location-id" required></label>
  <label>Provider's id <input name="externalId" id="map-external-id"></label>
  <label>Name <input name="name" id="map-name"></label>
  <label>Time zone <input name="timezone" id="map-timezone" placeholder="Europe/Amsterdam"></label>
  <button type="submit" id="map-submit">Map</button>
</form>
<% } %>
<div id="map-result"></div>`;

const events = `${PAGE}
<form class="box" id="event-filters" method="get" action="/console/events">
  <label>Provider <select name="provider" id="filter-provider"><option value="">any</option><% it.providers.forEach(function (p) { %><option value="<%= p %>"<%= it.q.provider === p ? ' selected' : '' %>><%= p %></option><% }) %></select></label>
  <label>Status <select name="status" id="filter-status"><option value="">any</option><% it.statuses.forEach(function (s) { %><option value="<%= s %>"<%= it.q.status === s ? ' selected' : '' %>><%= s %></option><% }) %></select></label>
  <label>Connection <input name="connectionId" id="filter-connection" value="<%= it.q.connectionId || '' %>" size="38" placeholder="connection id"></label>
  <label>Received from <input name="receivedFrom" id="filter-from" value="<%= it.q.receivedFrom || '' %>" size="22" placeholder="2026-12-01T00:00:00Z"></label>
  <label>to <input name="receivedTo" id="filter-to" value="<%= it.q.receivedTo || '' %>" size="22" placeholder="2026-12-02T00:00:00Z"></label>
  <button type="submit" id="filter-submit">Filter</button> <a href="/console/events">clear</a>
</form>
<% if (it.user.admin) { %>
<form class="box" id="replay-dead" hx-get="/console/events-replay-dead" hx-target="#replay-dead-result">
  <strong>Replay dead events</strong> (every account)<br>
  <label>Provider <select name="provider" id="replay-dead-provider"><option value="">any</option><% it.providers.forEach(function (p) { %><option value="<%= p %>"<%= it.q.provider === p ? ' selected' : '' %>><%= p %></option><% }) %></select></label>
  <button type="submit" class="secondary" id="replay-dead-count">Count matching dead events</button>
  <div id="replay-dead-result"></div>
</form>
<% } %>
<table id="events">
<tr><th>received</th><th>provider</th><th>type</th><th>status</th><th class="num">attempts</th><th>connection</th><th>waiting for / last error</th></tr>
<% it.page.items.forEach(function (e) { %>
<tr data-event-id="<%= e.id %>">
  <td><a href="/console/events/<%= e.id %>"><%= it.h.time(e.receivedAt) %></a></td><td><%= e.provider %></td><td class="mono"><%= e.eventType %></td>
  <td><%~ include('@statusBadge', { s: e.status }) %></td><td class="num"><%= e.attempts %></td>
  <td><% if (e.connectionId) { %><a class="mono" href="/console/connections/<%= e.connectionId %>"><%= it.h.short(e.connectionId) %></a><% } else { %>—<% } %></td>
  <td><% if (e.waitingFor) { %>behind <a class="mono" href="/console/events/<%= e.waitingFor %>"><%= it.h.short(e.waitingFor) %></a><% } else { %><%= e.lastError || '' %><% } %></td>
</tr>
<% }) %>
<% if (!it.page.items.length) { %><tr><td colspan="7" class="muted">no events</td></tr><% } %>
</table>
<% if (it.page.nextCursor) { %><div class="pager"><a id="next-page" href="/console/events<%= it.h.qs({ provider: it.q.provider, status: it.q.status, connectionId: it.q.connectionId, receivedFrom: it.q.receivedFrom, receivedTo: it.q.receivedTo, cursor: it.page.nextCursor }) %>">Older events →</a></div><% } %>`;

const event = `${PAGE}
<table id="event" data-event-id="<%= it.e.id %>">
<tr><th>id</th><td class="mono"><%= it.e.id %></td></tr>
<tr><th>provider / type</th><td><%= it.e.provider %> / <code><%= it.e.eventType %></code></td></tr>
<tr><th>status</th><td id="event-status"><%~ include('@statusBadge', { s: it.e.status }) %></td></tr>
<tr><th>connection</th><td><% if (it.e.connectionId) { %><a class="mono" href="/console/connections/<%= it.e.connectionId %>"><%= it.e.connectionId %></a><% } else { %>—<% } %></td></tr>
<tr><th>received / processed</th><td><%= it.h.time(it.e.receivedAt) %> / <%= it.h.time(it.e.processedAt) %></td></tr>
<tr><th>attempts / next attempt</th><td><%= it.e.attempts %> / <%= it.h.time(it.e.nextAttemptAt) %></td></tr>
<tr><th>why it waits</th><td id="event-why"><%= it.why %><% if (it.e.waitingFor) { %> — <a class="mono" href="/console/events/<%= it.e.waitingFor %>"><%= it.e.waitingFor %></a><% } %></td></tr>
<tr><th>last error / cause</th><td id="event-error"><%= it.e.lastError || '—' %></td></tr>
<tr><th>request id</th><td class="mono"><%= it.e.requestId || '—' %></td></tr>
</table>
<% if (it.canReplay) { %>
<div class="box">
  <button type="button" id="replay" hx-post="/console/events/<%= it.e.id %>/replay" hx-target="#replay-result">Replay</button>
  <button type="button" class="secondary" id="replay-force" hx-post="/console/events/<%= it.e.id %>/replay" hx-vals='{"force":"true"}' hx-confirm="Replay even though a later event of the same item is done (old data over new)?" hx-target="#replay-result">Replay (force)</button>
  <div id="replay-result"></div>
</div>
<% } %>
<h2>Payload (secrets redacted)</h2>
<pre id="payload"><%= it.h.json(it.e.payload) %></pre>
<h2>Headers kept</h2>
<pre id="headers"><%= it.h.json(it.e.headers) %></pre>`;

const keys = `${PAGE}
<form class="box" id="create-key" hx-post="/console/keys" hx-target="#key-result">
  <strong>New API key</strong><br>
  <label>Name <input name="name" id="key-name" required></label>
  <% if (it.user.admin) { %><label>Account <select name="accountId" id="key-account"><option value="">(global key)</option><% it.accounts.forEach(function (a) { %><option value="<%= a.id %>"><%= a.name %></option><% }) %></select></label><% } %>
  <label>Expires <input name="expiresAt" id="key-expires" type="date"></label><br>
  <% it.scopes.forEach(function (s) { %><label><input type="checkbox" name="scopes" value="<%= s %>" id="scope-<%= s.replace(':', '-') %>"> <%= s %></label><% }) %>
  <br><button type="submit" id="create-key-submit">Create key</button>
</form>
<div id="key-result"></div>
<table id="keys">
<tr><th>name</th><th>prefix</th><th>account</th><th>scopes</th><th>created</th><th>expires</th><th>last used</th><th></th></tr>
<% it.page.items.forEach(function (k) { %>
<tr data-key-id="<%= k.id %>"><td><%= k.name %></td><td class="mono"><%= k.prefix %>…</td><td class="mono"><%= it.accountNames[k.accountId] || (k.accountId ? it.h.short(k.accountId) : 'global') %></td>
<td><%= k.scopes.join(', ') %></td><td><%= it.h.time(k.createdAt) %></td><td><%= it.h.time(k.expiresAt) %></td><td><%= it.h.time(k.lastUsedAt) %></td>
<td><button type="button" class="danger revoke" hx-delete="/console/keys/<%= k.id %>" hx-confirm="Revoke <%= k.name %>? It stops working at once." hx-target="#key-result">Revoke</button></td></tr>
<% }) %>
<% if (!it.page.items.length) { %><tr><td colspan="8" class="muted">no API keys</td></tr><% } %>
</table>
<% if (it.page.nextCursor) { %><div class="pager"><a id="next-page" href="/console/keys<%= it.h.qs({ cursor: it.page.nextCursor }) %>">Next page →</a></div><% } %>`;

const keyCreated = `<div class="flash" id="new-key" role="status">Key <strong><%= it.k.name %></strong> created. Copy it now: it is shown only this once.<br>
<code id="new-key-value"><%= it.k.key %></code> <button type="button" class="secondary" data-copy="<%= it.k.key %>">Copy</button>
<br><a href="/console/keys">Done (reload the list)</a></div>`;

const locations = `${PAGE}
<table id="locations">
<tr><th>location id</th><th>name</th><th>time zone</th><th>provider</th><th>connection</th><th>updated</th></tr>
<% it.page.items.forEach(function (l) { %>
<tr data-location-id="<%= l.id %>"><td><a class="mono" href="/console/inventory/locations/<%= it.h.enc(l.id) %>"><%= l.id %></a></td><td><%= l.name || '' %></td><td><%= l.timezone || '' %></td><td><%= l.provider || '—' %></td>
<td><% if (l.connectionId) { %><a class="mono" href="/console/connections/<%= l.connectionId %>"><%= it.h.short(l.connectionId) %></a><% } else { %>—<% } %></td><td><%= it.h.time(l.updatedAt) %></td></tr>
<% }) %>
<% if (!it.page.items.length) { %><tr><td colspan="6" class="muted">no locations</td></tr><% } %>
</table>
<% if (it.page.nextCursor) { %><div class="pager"><a id="next-page" href="/console/inventory<%= it.h.qs({ cursor: it.page.nextCursor }) %>">Next page →</a></div><% } %>`;

const location = `${PAGE}
<p><a href="/console/inventory">← Locations</a> · <%= it.l.name || '' %> <span class="muted"><%= it.l.timezone || '' %> · <%= it.l.provider || 'no provider' %></span></p>
<table id="resources">
<tr><th>resource id</th><th>name</th><th>type</th><th class="num">capacity</th><th>status</th><th>provider id</th><th>updated</th></tr>
<% it.page.items.forEach(function (r) { %>
<tr data-resource-id="<%= r.id %>"><td><a class="mono" href="/console/inventory/resources/<%= it.h.enc(r.id) %>"><%= r.id %></a></td><td><%= r.name || '' %></td><td><%= r.type %></td><td class="num"><%= r.capacity === null ? '' : r.capacity %></td>
<td><%~ include('@statusBadge', { s: r.status }) %></td><td class="mono"><%= r.externalId || '' %></td><td><%= it.h.time(r.updatedAt) %></td></tr>
<% }) %>
<% if (!it.page.items.length) { %><tr><td colspan="7" class="muted">no resources</td></tr><% } %>
</table>
<% if (it.page.nextCursor) { %><div class="pager"><a id="next-page" href="/console/inventory/locations/<%= it.h.enc(it.l.id) %><%= it.h.qs({ cursor: it.page.nextCursor }) %>">Next page →</a></div><% } %>`;

const resource = `${PAGE}
<p><a href="/console/inventory/locations/<%= it.h.enc(it.r.locationId) %>">← <%= it.r.locationId %></a> · <%= it.r.type %> · <%~ include('@statusBadge', { s: it.r.status }) %> · capacity <%= it.r.capacity === null ? '—' : it.r.capacity %> · <%= it.r.provider %> <span class="mono"><%= it.r.externalId || '' %></span></p>
<h2>Bookings</h2>
<table id="bookings"><tr><th>start</th><th>end</th><th>status</th><th class="num">people</th><th class="num">price</th><th>provider id</th></tr>
<% it.bookings.items.forEach(function (b) { %><tr><td><%= it.h.time(b.start) %></td><td><%= it.h.time(b.end) %></td><td><%~ include('@statusBadge', { s: b.status }) %></td><td class="num"><%= b.people === null ? '' : b.people %></td><td class="num"><%= b.price === null ? '' : b.price + ' ' + (b.currency || '') %></td><td class="mono"><%= b.externalId %></td></tr><% }) %>
<% if (!it.bookings.items.length) { %><tr><td colspan="6" class="muted">no bookings</td></tr><% } %></table>
<% if (it.bookings.nextCursor) { %><div class="pager"><a href="/console/inventory/resources/<%= it.h.enc(it.r.id) %><%= it.h.qs({ bookingsCursor: it.bookings.nextCursor }) %>">More bookings →</a></div><% } %>
<h2>Availability</h2>
<table id="availability"><tr><th>from</th><th>to</th></tr>
<% it.availability.items.forEach(function (w) { %><tr><td><%= it.h.time(w.start) %></td><td><%= it.h.time(w.end) %></td></tr><% }) %>
<% if (!it.availability.items.length) { %><tr><td colspan="2" class="muted">no availability windows</td></tr><% } %></table>
<% if (it.availability.nextCursor) { %><div class="pager"><a href="/console/inventory/resources/<%= it.h.enc(it.r.id) %><%= it.h.qs({ availabilityCursor: it.availability.nextCursor }) %>">More windows →</a></div><% } %>
<h2>Rates</h2>
<table id="rates"><tr><th>rate</th><th>unit</th><th class="num">price</th><th>updated</th></tr>
<% it.rates.items.forEach(function (x) { %><tr><td><%= x.name || x.id %></td><td><%= x.unit %></td><td class="num"><%= x.price %> <%= x.currency %></td><td><%= it.h.time(x.updatedAt) %></td></tr><% }) %>
<% if (!it.rates.items.length) { %><tr><td colspan="4" class="muted">no rates</td></tr><% } %></table>
<h2>Length-of-stay grid</h2>
<% if (it.channels.length) { %>
<form class="box" id="los-form" method="get" action="/console/inventory/resources/<%= it.h.enc(it.r.id) %>">
  <label>Channel <select name="channel" id="los-channel"><% it.channels.forEach(function (c) { %><option value="<%= c %>"<%= it.los.channel === c ? ' selected' : '' %>><%= c %></option><% }) %></select></label>
  <label>Arrivals from <input type="date" name="arrivalFrom" id="los-from" value="<%= it.los.arrivalFrom %>"></label>
  <label>days <input type="number" name="days" min="1" max="62" value="<%= it.los.days %>"></label>
  <button type="submit" id="los-submit">Show</button>
</form>
<table id="los-grid" class="grid"><tr><th>arrival \\ nights</th><% it.los.lengths.forEach(function (n) { %><th class="num"><%= n %></th><% }) %></tr>
<% it.los.rows.forEach(function (row) { %><tr><th><%= row.date %></th><% row.cells.forEach(function (c) { %><% if (!c) { %><td class="none">·</td><% } else { %><td class="<%= c.units === 0 ? 'soldout' : '' %>" title="<%= c.units %> units"><%= c.price === null ? '—' : c.price %><br><span class="muted"><%= c.units %>u</span></td><% } %><% }) %></tr><% }) %>
<% if (!it.los.rows.length) { %><tr><td class="muted" colspan="2">no LOS rows in these dates</td></tr><% } %>
</table>
<% if (it.los.truncated) { %><p class="muted">Only the first <%= it.los.cellLimit %> cells are shown; narrow the dates.</p><% } %>
<% } else { %><p class="muted">No length-of-stay rows for this resource.</p><% } %>`;

const replayDeadCount = `<div class="flash" id="replay-dead-count-result" role="status"><strong id="dead-count"><%= it.counts.dead %></strong> dead event<%= it.counts.dead === 1 ? '' : 's' %><%= it.provider ? ' of ' + it.provider : '' %> match<%= it.counts.dead === 1 ? 'es' : '' %><% if (it.counts.stale) { %>; <span id="dead-stale"><%= it.counts.stale %></span> of them would be skipped as stale (a later event of the same item is done)<% } %>.
<% if (it.counts.dead > it.counts.stale) { %><br><button type="button" class="danger" id="replay-dead-confirm" hx-post="/console/events-replay-dead" hx-vals="<%= JSON.stringify({ provider: it.provider || '' }) %>" hx-target="#replay-dead-result">Replay <%= it.counts.dead - it.counts.stale %> dead event<%= it.counts.dead - it.counts.stale === 1 ? '' : 's' %></button><% } else { %><br><span class="muted">Nothing to replay.</span><% } %></div>`;

const subscriptions = `${PAGE}
<p class="muted">Outbound webhooks of the change feed (docs/subscriptions.md): the server POSTs <%= it.user.admin ? 'the chosen account\\'s changes (every account\\'s without one)' : 'your account\\'s changes' %> to the URL, signed the Standard Webhooks way.</p>
<form class="box" id="create-subscription" hx-post="/console/subscriptions" hx-target="#subscription-result">
  <strong>New subscription</strong><br>
  <label>URL <input name="url" id="sub-url" size="50" placeholder="https://hooks.example.com/inventory" required></label>
  <label>Description <input name="description" id="sub-description" size="24"></label>
  <% if (it.user.admin) { %><label>Account <select name="accountId" id="sub-account"><option value="">(every account)</option><% it.accounts.forEach(function (a) { %><option value="<%= a.id %>"><%= a.name %></option><% }) %></select></label><% } %>
  <br>Types (none = every type): <% it.types.forEach(function (t) { %><label><input type="checkbox" name="types" value="<%= t %>" id="sub-type-<%= t %>"> <%= t %></label><% }) %>
  <br><button type="submit" id="create-subscription-submit">Create subscription</button>
</form>
<div id="subscription-result"></div>
<table id="subscriptions">
<tr><th>description</th><th>URL</th><th>types</th><th>account</th><th>status</th><th>created</th></tr>
<% it.page.items.forEach(function (s) { %>
<tr data-subscription-id="<%= s.id %>"><td><a href="/console/subscriptions/<%= s.id %>"><%= s.description || '(no description)' %></a></td><td class="mono"><%= s.url %></td>
<td><%= s.types ? s.types.join(', ') : 'every type' %></td><td class="mono"><%= s.accountId ? (it.accountNames[s.accountId] || it.h.short(s.accountId)) : 'every account' %></td>
<td><%~ include('@statusBadge', { s: s.status }) %><% if (s.failingReason) { %> <span class="muted"><%= s.failingReason %></span><% } %></td><td><%= it.h.time(s.createdAt) %></td></tr>
<% }) %>
<% if (!it.page.items.length) { %><tr><td colspan="6" class="muted">no subscriptions</td></tr><% } %>
</table>
<% if (it.page.nextCursor) { %><div class="pager"><a id="next-page" href="/console/subscriptions<%= it.h.qs({ cursor: it.page.nextCursor }) %>">Next page →</a></div><% } %>`;

const secretShown = `<div class="flash" id="new-secret" role="status"><strong><%= it.title %></strong>. Copy the signing secret now: it is shown only this once<%= it.rotated ? '; the previous secret keeps signing beside it for 24 h' : '' %>.<br>
<code id="new-secret-value"><%= it.secret %></code> <button type="button" class="secondary" data-copy="<%= it.secret %>">Copy</button>
<br><% if (it.s) { %><a id="new-subscription-link" href="/console/subscriptions/<%= it.s.id %>">Open the subscription</a> · <a href="/console/subscriptions">Done (reload the list)</a><% } else { %><a href="">Done (reload)</a><% } %></div>`;

const subscription = `${PAGE}
<p><a href="/console/subscriptions">← Subscriptions</a></p>
<table id="subscription" data-subscription-id="<%= it.s.id %>">
<tr><th>id</th><td class="mono"><%= it.s.id %></td></tr>
<tr><th>URL</th><td class="mono"><%= it.s.url %></td></tr>
<tr><th>types</th><td><%= it.s.types ? it.s.types.join(', ') : 'every type' %></td></tr>
<tr><th>account</th><td><%= it.s.accountId ? (it.accountNames[it.s.accountId] || it.s.accountId) : 'every account' %></td></tr>
<tr><th>status</th><td id="subscription-status"><%~ include('@statusBadge', { s: it.s.status }) %><% if (it.s.failingReason) { %> <span id="failing-reason"><%= it.s.failingReason %></span><% } %></td></tr>
<tr><th>description</th><td><%= it.s.description || '—' %></td></tr>
<tr><th>created / updated</th><td><%= it.h.time(it.s.createdAt) %> / <%= it.h.time(it.s.updatedAt) %></td></tr>
</table>
<div class="box">
  <% if (it.s.status === 'active') { %><button type="button" class="secondary" id="pause" hx-post="/console/subscriptions/<%= it.s.id %>/status" hx-vals='{"status":"paused"}' hx-target="#subscription-action">Pause</button><% } else { %><button type="button" id="activate" hx-post="/console/subscriptions/<%= it.s.id %>/status" hx-vals='{"status":"active"}' hx-target="#subscription-action"><%= it.s.status === 'failing' ? 'Activate (resume with the failed batch)' : 'Activate' %></button><% } %>
  <button type="button" class="secondary" id="rotate" hx-post="/console/subscriptions/<%= it.s.id %>/rotate-secret" hx-confirm="Rotate the signing secret? The previous one keeps signing beside the new one for 24 h." hx-target="#subscription-action">Rotate secret</button>
  <button type="button" class="danger" id="delete-subscription" hx-delete="/console/subscriptions/<%= it.s.id %>" hx-confirm="Delete this subscription and its delivery log?" hx-target="#subscription-action">Delete</button>
  <div id="subscription-action"></div>
</div>
<h2>Deliveries (newest first)</h2>
<table id="deliveries">
<tr><th>created</th><th>status</th><th class="num">attempts</th><th class="num">changes</th><th class="num">last status</th><th>last error</th><th>next attempt</th><th>delivered</th><th>webhook-id</th></tr>
<% it.deliveries.items.forEach(function (d) { %>
<tr data-delivery-id="<%= d.id %>"><td><%= it.h.time(d.createdAt) %></td><td class="delivery-status"><%~ include('@statusBadge', { s: d.status }) %></td><td class="num"><%= d.attempts %></td><td class="num"><%= d.changeCount %></td>
<td class="num"><%= d.lastStatus === null ? '—' : d.lastStatus %></td><td><%= d.lastError || '' %></td><td><%= it.h.time(d.nextAttemptAt) %></td><td><%= it.h.time(d.deliveredAt) %></td><td class="mono"><%= d.webhookId %></td></tr>
<% }) %>
<% if (!it.deliveries.items.length) { %><tr><td colspan="9" class="muted">no deliveries yet (a delivery is made when a change of the subscription's account and types is committed)</td></tr><% } %>
</table>
<div class="pager"><% if (it.cursor) { %><a href="/console/subscriptions/<%= it.s.id %>">← Newest</a> <% } %><% if (it.deliveries.nextCursor) { %><a id="next-page" href="/console/subscriptions/<%= it.s.id %><%= it.h.qs({ cursor: it.deliveries.nextCursor }) %>">Older deliveries →</a><% } %></div>`;

const accounts = `${PAGE}
<form class="box" id="create-account" hx-post="/console/accounts" hx-target="#account-result">
  <strong>New account</strong><br>
  <label>Name <input name="name" id="account-name" required></label>
  <label>External id <input name="externalId" id="account-external-id" placeholder="your own id (optional, unique)"></label>
  <button type="submit" id="create-account-submit">Create account</button>
</form>
<div id="account-result"></div>
<table id="accounts">
<tr><th>name</th><th>external id</th><th class="num">listings</th><th class="num">connections</th><th class="num">users</th><th>created</th></tr>
<% it.page.items.forEach(function (a) { var c = it.counts[a.id] || { locations: 0, connections: 0, users: 0 }; %>
<tr data-account-id="<%= a.id %>"><td><a href="/console/accounts/<%= a.id %>"><%= a.name %></a></td><td class="mono"><%= a.externalId || '—' %></td>
<td class="num"><%= c.locations %></td><td class="num"><%= c.connections %></td><td class="num"><%= c.users %></td><td><%= it.h.time(a.createdAt) %></td></tr>
<% }) %>
<% if (!it.page.items.length) { %><tr><td colspan="6" class="muted">no accounts</td></tr><% } %>
</table>
<% if (it.page.nextCursor) { %><div class="pager"><a id="next-page" href="/console/accounts<%= it.h.qs({ cursor: it.page.nextCursor }) %>">Next page →</a></div><% } %>`;

const account = `${PAGE}
<p><a href="/console/accounts">← Accounts</a> · <span class="mono"><%= it.a.id %></span><% if (it.a.externalId) { %> · external id <span class="mono"><%= it.a.externalId %></span><% } %> · created <%= it.h.time(it.a.createdAt) %></p>
<div id="account-action"></div>
<h2>Listings (locations)</h2>
<table id="account-locations">
<tr><th>location id</th><th>name</th><th>time zone</th><th>mapped by</th><th></th></tr>
<% it.locations.items.forEach(function (l) { var m = it.mapped[l.locationId]; %>
<tr data-location-id="<%= l.locationId %>"><td><a class="mono" href="/console/inventory/locations/<%= it.h.enc(l.locationId) %>"><%= l.locationId %></a></td><td><%= l.name || '' %></td><td><%= l.timezone || '' %></td>
<td><% if (m) { %><a class="mono" href="/console/connections/<%= m %>"><%= it.h.short(m) %></a><% } else { %>—<% } %></td>
<td><% if (m) { %><span class="muted">unmap it from the connection to release it</span><% } else { %><button type="button" class="danger release" hx-delete="/console/accounts/<%= it.a.id %>/locations/<%= it.h.enc(l.locationId) %>" hx-confirm="Release <%= l.locationId %>? It stays, with no account." hx-target="#account-action">Release</button><% } %></td></tr>
<% }) %>
<% if (!it.locations.items.length) { %><tr><td colspan="5" class="muted">no listings</td></tr><% } %>
</table>
<% if (it.locations.nextCursor) { %><div class="pager"><a href="/console/accounts/<%= it.a.id %><%= it.h.qs({ locationsCursor: it.locations.nextCursor }) %>">More listings →</a></div><% } %>
<form class="box" id="claim-location" hx-post="/console/accounts/<%= it.a.id %>/locations" hx-target="#account-action">
  <strong>Claim a listing</strong> (created if new; a location of no account is given to this one; another account's → 409)<br>
  <label>Location id <input name="locationId" id="claim-location-id" required></label>
  <label>Name <input name="name" id="claim-name"></label>
  <label>Time zone <input name="timezone" id="claim-timezone" placeholder="Europe/Amsterdam"></label>
  <button type="submit" id="claim-submit">Claim</button>
</form>
<h2>Users</h2>
<table id="account-users">
<tr><th>e-mail</th><th>created</th><th></th></tr>
<% it.users.items.forEach(function (u) { %>
<tr data-user-id="<%= u.id %>"><td><%= u.email %></td><td><%= it.h.time(u.createdAt) %></td>
<td><button type="button" class="danger delete-user" hx-delete="/console/users/<%= u.id %>" hx-confirm="Delete <%= u.email %>? Its sessions end at once." hx-target="#account-action">Delete</button></td></tr>
<% }) %>
<% if (!it.users.items.length) { %><tr><td colspan="3" class="muted">no users</td></tr><% } %>
</table>
<% if (it.users.nextCursor) { %><div class="pager"><a href="/console/accounts/<%= it.a.id %><%= it.h.qs({ usersCursor: it.users.nextCursor }) %>">More users →</a></div><% } %>
<form class="box" id="create-user" hx-post="/console/accounts/<%= it.a.id %>/users" hx-target="#account-action">
  <strong>New user</strong> (signs in to this console with e-mail and password; sees this account only)<br>
  <label>E-mail <input name="email" id="user-email" type="email" required autocomplete="off"></label>
  <label>Password <input name="password" id="user-password" type="password" minlength="12" required autocomplete="new-password"></label>
  <button type="submit" id="create-user-submit">Create user</button>
</form>`;

export const TEMPLATES: Record<string, string> = {
  layout, login, error, flash, statusBadge, overview, connections, connection, events, event, keys, keyCreated, locations, location, resource,
  replayDeadCount, subscriptions, secretShown, subscription, accounts, account,
};
