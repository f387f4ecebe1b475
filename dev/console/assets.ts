// The console's two same-origin static files. Kept as strings so that the build (tsc) ships them with the
// code; the strict CSP allows scripts and styles from 'self' only, never inline.
export const CONSOLE_CSS = `:root{--blue:#0f6cbd;--ink:#1b1b1b;--muted:#5c5c5c;--line:#d6d6d6;--busy:#fde7e9;--ok:#0b6a0b;--bad:#a4262c}
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--ink);background:#f3f3f3}
header.top{background:#1f2937;color:#fff;padding:14px 28px;display:flex;gap:16px;align-items:center;justify-content:space-between}
header.top h1{font-size:1.3rem;margin:0}header.top p{margin:0;color:#d1d5db;font-size:.9rem}
header.top form button{background:#374151;border:1px solid #6b7280}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 440px;gap:20px;padding:20px 28px;max-width:1500px;margin:0 auto}
@media (max-width:1100px){.layout{grid-template-columns:1fr}}
section.step,aside section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin-bottom:16px}
section h2,aside h2{font-size:1.05rem;margin:0 0 8px}aside h3{font-size:.95rem;margin:12px 0 6px}
.step.done h2::after{content:" ✓";color:var(--ok)}.step.todo{opacity:.65}
p{margin:6px 0}.hint{color:var(--muted);font-size:.88rem}code,.mono{font-family:ui-monospace,Consolas,monospace;font-size:.85rem;word-break:break-all}
form.inline{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end;margin:8px 0}
.field{display:flex;flex-direction:column;gap:3px}.field label{font-size:.85rem;color:var(--muted)}
input,select{font:inherit;padding:5px 7px;border:1px solid #8a8a8a;border-radius:4px;color:var(--ink)}
button,a.button{font:inherit;padding:6px 16px;border-radius:4px;border:0;background:var(--blue);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.danger{background:var(--bad)}
:focus-visible{outline:3px solid #ffb900;outline-offset:2px}
.secret{background:#fff8e1;border:1px solid #f0c36d;padding:8px 10px;border-radius:4px}
.flash{padding:8px 12px;border-radius:4px;margin:0 0 14px}.flash.ok{background:#e7f4e4;border:1px solid #9fd89f}.flash.error{background:#fde7e9;border:1px solid #f1a1a8}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid var(--line);vertical-align:top;font-size:.86rem}
table.week{table-layout:fixed}table.week td,table.week th{border:1px solid var(--line);height:34px}table.week thead th{background:#f7f7f7}
table.week tbody th{width:56px;color:var(--muted);font-weight:normal}table.week caption{text-align:left;color:var(--muted);padding:4px 0;font-size:.88rem}
td.busy{background:var(--busy)}
.event{border-left:4px solid var(--blue);background:#deecf9;border-radius:3px;padding:2px 5px;margin:1px 0;font-size:.8rem}
.event.outlook{border-left-color:#8764b8;background:#efe9f8}.event .when{font-weight:600}.event .origin{display:block;color:var(--muted);font-size:.72rem}
.badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:.78rem;background:#eee}.badge.ok{background:#dff6dd;color:var(--ok)}.badge.bad{background:#fde7e9;color:var(--bad)}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
ul.plain{list-style:none;padding:0;margin:4px 0}ul.plain li{padding:3px 0;border-bottom:1px solid #eee;font-size:.86rem}
.live-note{color:var(--muted);font-size:.8rem}`;

/**
 * Live status without reloading: every 2 seconds (while the tab is visible) the console's live fragment is
 * fetched and each [data-live] region whose content changed is updated in place, so forms keep what the
 * user typed and aria-live regions announce new content.
 */
export const CONSOLE_JS = `'use strict';
(function () {
  var body = document.body;
  var url = body.getAttribute('data-live-url');
  if (!url) return;
  var running = false;
  function regions() { return Array.prototype.slice.call(document.querySelectorAll('[data-live]')); }
  function refresh() {
    if (running || document.hidden) return;
    running = true;
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(new Error(String(res.status))); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        regions().forEach(function (el) {
          var next = doc.getElementById(el.id);
          if (next && next.innerHTML !== el.innerHTML) el.innerHTML = next.innerHTML;
        });
        body.setAttribute('data-refreshed-at', new Date().toISOString());
      })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { running = false; });
  }
  setInterval(refresh, 2000);
})();
`;
