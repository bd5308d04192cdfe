/**
 * The console's stylesheet and script, served from memory with an ETag. The script is optional:
 * it fills the sign-in form's time zone, ticks elapsed times, and swaps in the live fragments of
 * the "Now" page; every page works without it.
 */
import { createHash } from 'node:crypto';

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#5a6270;--line:#d5d9e0;--card:#f5f7fa;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--link:#0550ae}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#30363d;--card:#161b22;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--link:#58a6ff}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:var(--bg);padding:4px 8px;z-index:2}
header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:8px;padding:8px 16px;border-bottom:1px solid var(--line)}
nav a{display:inline-block;padding:10px 12px;text-decoration:none;font-weight:600}
nav a[aria-current=page]{border-bottom:3px solid var(--link)}
.who{display:flex;gap:8px;align-items:center}
main{padding:8px 16px 32px;max-width:1200px;margin:0 auto}
main.narrow{max-width:26em}
footer{color:var(--muted);font-size:.85em;padding:8px 16px}
h1{font-size:1.5em;margin:.6em 0}h2{font-size:1.2em;margin:1.2em 0 .5em}h3{margin:0 0 .2em;font-size:1.05em}
button{font:inherit;font-weight:600;padding:10px 16px;min-height:44px;border-radius:6px;border:1px solid var(--line);background:var(--card);color:var(--fg);cursor:pointer}
button.acknowledge{background:var(--ok);color:#fff;border-color:var(--ok)}
button.resolve{background:var(--link);color:#fff;border-color:var(--link)}
input,select{font:inherit;padding:8px;min-height:44px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);max-width:100%}
label{display:inline-flex;flex-direction:column;gap:2px;font-size:.9em;margin:0 8px 8px 0}
form.inline{display:inline-flex;flex-wrap:wrap;gap:6px;align-items:flex-end;margin:2px 6px 2px 0}
:focus-visible{outline:3px solid var(--link);outline-offset:2px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px}
.levels{padding-left:1.2em;margin:.4em 0}.level{font-weight:600}.until{color:var(--muted);font-size:.9em;display:block}
.muted{color:var(--muted)}.small{font-size:.85em}.ok{color:var(--ok)}.warn{color:var(--warn)}.bad{color:var(--bad)}
.scroll{overflow-x:auto}
#live-calls caption,#open-pages caption{position:absolute;left:-9999px}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em}caption{text-align:left;font-weight:600;padding:4px 0}
th,td{text-align:left;padding:8px;border-bottom:1px solid var(--line);vertical-align:top}
.legs,.attempts,.health,.handoffs{list-style:none;padding:0;margin:0}
.status{font-weight:600}.status-triggered{color:var(--bad)}.status-acknowledged{color:var(--warn)}.status-resolved{color:var(--ok)}
.health li{padding:4px 0}.health li.ok strong::before{content:"\\2714  ";color:var(--ok)}.health li.bad strong::before{content:"\\2716  ";color:var(--bad)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}.facts dt{font-weight:600}.facts dd{margin:0}
.timeline{padding-left:1.2em}.timeline li{margin:4px 0}.via{font-size:.85em;color:var(--muted)}
.flash{padding:8px 12px;border-left:4px solid var(--ok);background:var(--card)}
.tabs a{padding:8px 10px}.tabs a[aria-current=page]{font-weight:700;border-bottom:3px solid var(--link)}
.chart{overflow-x:auto}
svg.gantt{width:100%;min-width:640px;height:auto;font-size:12px}
svg .tick{stroke:var(--line)}svg .axis{fill:var(--muted);font-size:11px}svg .row-label{fill:var(--fg);font-weight:600}
svg .bar-label{fill:#fff;font-size:11px;pointer-events:none}
svg .bar rect{fill:#6e7781}svg .bar.ok rect{fill:var(--ok)}svg .bar.warn rect{fill:var(--warn)}svg .bar.bad rect{fill:var(--bad)}svg .bar.idle rect{fill:#8c959f}
svg .tone-0 rect{fill:#0969da}svg .tone-1 rect{fill:#8250df}svg .tone-2 rect{fill:#bf3989}svg .tone-3 rect{fill:#1a7f37}svg .tone-4 rect{fill:#bc4c00}
svg .tone-5 rect{fill:#0a7b83}svg .tone-6 rect{fill:#6639ba}svg .tone-7 rect{fill:#9a6700}svg .tone-8 rect{fill:#cf222e}svg .tone-9 rect{fill:#57606a}
svg .mark circle{fill:var(--bg);stroke:var(--fg);stroke-width:2}
audio{width:100%;max-width:480px}
@media (max-width:600px){th,td{padding:6px 4px}main{padding:4px 8px 24px}nav a{padding:10px 8px}}
`;

const SCRIPT = `
(function(){
  var zone = document.querySelector('input[name=zone]');
  if (zone && window.Intl) zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  function format(ms){var s=Math.max(0,Math.round(ms/1000));if(s<60)return s+'s';var m=Math.floor(s/60);if(m<60)return m+'m '+String(s%60).padStart(2,'0')+'s';return Math.floor(m/60)+'h '+String(m%60).padStart(2,'0')+'m';}
  function tick(){document.querySelectorAll('.elapsed[data-since]').forEach(function(el){el.textContent=format(Date.now()-Number(el.getAttribute('data-since')));});}
  setInterval(tick, 1000);
  if (document.body.getAttribute('data-section') === 'now' && window.EventSource) {
    var source = new EventSource('/console/events');
    var status = document.getElementById('live-status');
    var stopped = function(text){ source.close(); if (status) { status.textContent = text; status.hidden = false; } };
    source.addEventListener('signed-out', function(){ stopped('Signed out: live updates stopped. Reload the page to sign in again.'); });
    source.onerror = function(){ if (source.readyState === EventSource.CLOSED) stopped('Live updates stopped: reload the page (you may have to sign in again).'); };
    source.addEventListener('update', function(event){
      var parts = JSON.parse(event.data);
      Object.keys(parts).forEach(function(id){var el=document.getElementById(id);if(el)el.innerHTML=parts[id];});
      document.body.setAttribute('data-live', String(Date.now()));
    });
  }
})();
`;

interface Asset {
  body: string;
  type: string;
  etag: string;
}

const asset = (body: string, type: string): Asset => ({
  body,
  type,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`,
});

export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['console.css', asset(CSS, 'text/css; charset=utf-8')],
  ['console.js', asset(SCRIPT, 'text/javascript; charset=utf-8')],
]);
