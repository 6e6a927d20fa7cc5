/**
 * The console's own static files, kept as strings next to the code (no build step, nothing to copy into dist/).
 * htmx itself is served from node_modules by ConsoleAssetsController.
 */

/** htmx settings, read from <meta name="htmx-config">: no eval, no inline styles (CSP), same-origin only, 4xx swapped (errors show in place). */
export const HTMX_CONFIG = JSON.stringify({
  allowEval: false,
  allowScriptTags: false,
  includeIndicatorStyles: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[23]..', swap: true },
    { code: '[4]..', swap: true, error: false },
    { code: '...', swap: false, error: true },
  ],
});

export const CONSOLE_JS = `// inventory-sync console: the only script besides htmx (served same-origin; CSP forbids inline scripts).
document.addEventListener('click', function (e) {
  var b = e.target.closest && e.target.closest('[data-copy]');
  if (!b) return;
  e.preventDefault();
  var text = b.getAttribute('data-copy');
  var done = function () { b.textContent = 'Copied'; setTimeout(function () { b.textContent = 'Copy'; }, 1500); };
  if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, function () {});
});
// A 5xx or a network error: say so instead of doing nothing.
document.addEventListener('htmx:responseError', function (e) {
  var el = document.getElementById('flash');
  if (el) el.textContent = 'The server could not complete the request (' + e.detail.xhr.status + '). Try again.';
});
document.addEventListener('htmx:sendError', function () {
  var el = document.getElementById('flash');
  if (el) el.textContent = 'The server cannot be reached.';
});
`;

export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1d2330;background:#f5f6f8}
header{display:flex;align-items:center;gap:18px;padding:10px 22px;background:#1f2a44;color:#fff}
header a{color:#cfd8ea;text-decoration:none}header a:hover,header a.on{color:#fff}
header .brand{font-weight:600;color:#fff;margin-right:10px}
header .who{margin-left:auto;color:#cfd8ea;font-size:13px}
header button{background:transparent;border:1px solid #60708f;color:#fff;padding:3px 10px;border-radius:4px;cursor:pointer}
main{padding:18px 22px;max-width:1240px}
h1{font-size:20px;margin:4px 0 14px}h2{font-size:16px;margin:22px 0 8px}
table{border-collapse:collapse;background:#fff;width:100%;margin:6px 0}
th,td{border-bottom:1px solid #e3e6ec;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f6;font-weight:600;font-size:13px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:8px}
.card{background:#fff;border:1px solid #e0e4ea;border-radius:6px;padding:10px 14px;min-width:130px}
.card .n{font-size:22px;font-weight:600}.card .l{color:#5b6578;font-size:12px}
.card.warn .n{color:#b35c00}.card.bad .n{color:#b00020}
form.inline{display:inline}
form.box{background:#fff;border:1px solid #e0e4ea;border-radius:6px;padding:12px 14px;margin:8px 0}
form.box label{display:inline-block;margin:4px 12px 4px 0}
div.box{background:#fff;border:1px solid #e0e4ea;border-radius:6px;padding:12px 14px;margin:8px 0}
input,select{font:inherit;padding:4px 6px;border:1px solid #b9c0cc;border-radius:4px}
button{font:inherit;padding:4px 12px;border:1px solid #3756a6;background:#3d63c9;color:#fff;border-radius:4px;cursor:pointer}
button.secondary{background:#fff;color:#3756a6}button.danger{background:#b00020;border-color:#8a0019}
.status{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;background:#e4e7ee}
.status.done,.status.active{background:#d9f2e1;color:#11612f}.status.failed,.status.pending,.status.processing{background:#fff1d6;color:#7a4a00}
.status.succeeded{background:#d9f2e1;color:#11612f}.status.paused{background:#e4e7ee;color:#3b4355}
.status.dead,.status.revoked,.status.failing{background:#fbdde2;color:#8a0019}.status.held,.status.disabled{background:#e6e0f6;color:#4b2d99}
.flash{margin:8px 0;padding:8px 12px;border-radius:4px;background:#e7f0ff;border:1px solid #bcd0f5}
.flash.error{background:#fde8eb;border-color:#f2b8c1;color:#7a0016}
.flash:empty{display:none}
pre{background:#fff;border:1px solid #e0e4ea;padding:10px;overflow:auto;max-height:480px;font-size:12px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
.muted{color:#6b7486}.pager{margin:10px 0}
.login{max-width:380px;margin:60px auto;background:#fff;border:1px solid #e0e4ea;border-radius:8px;padding:22px}
.login label{display:block;margin:8px 0 2px}.login input{width:100%}.login fieldset{border:0;padding:0;margin:0 0 14px}
.login legend{font-weight:600;margin-bottom:4px}.login hr{border:0;border-top:1px solid #e3e6ec;margin:14px 0}
.grid td{font-size:12px;text-align:center;min-width:58px}.grid td.soldout{background:#fbdde2}.grid td.none{color:#aab}
.chart{background:#fff;border:1px solid #e0e4ea;border-radius:6px;padding:8px}
.legend span{margin-right:12px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
.legend i.s-done{background:#2e9d5b}.legend i.s-pending{background:#e0a526}.legend i.s-processing{background:#4f86d6}.legend i.s-failed{background:#e66b2e}
.legend i.s-dead{background:#b00020}.legend i.s-held{background:#7a5cc9}.legend i.s-ignored{background:#9aa3b2}
`;
