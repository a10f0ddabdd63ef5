//! Inline assets of the page (static: no data ever goes into them).

pub(super) const CSS: &str = r#"
:root{--blocked:#c62828;--snds:#8e5cd0;--listed:#d9661f;--throttled:#fbc02d;--sent:#66bb6a;--silent:#9fb3c2;--notours:#eef1f4;--ink:#1d2329;--muted:#5f6b76;--line:#dde3e8;--bg:#f5f7f9}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
header.top{background:#1d2329;color:#fff;padding:18px 32px 14px}
header.top h1{margin:0;font-size:24px}
header.top p{margin:4px 0 0;color:#c5ced6}
nav{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid var(--line);padding:8px 32px;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:13px}
nav a{color:#1f5f99;text-decoration:none}
nav a:hover{text-decoration:underline}
main{max-width:1320px;margin:0 auto;padding:0 32px 40px}
section{margin-top:30px}
h2{font-size:20px;margin:0 0 12px;padding-bottom:4px;border-bottom:2px solid var(--line)}
h3{font-size:16px;margin:18px 0 8px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
.muted,.none{color:var(--muted)}
.advice{color:#38434d;max-width:100ch}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px}
.card{background:#fff;border:1px solid var(--line);border-top:5px solid #90a4ae;border-radius:8px;padding:10px 14px}
.card .v{font-size:30px;font-weight:700;line-height:1.2;overflow-wrap:anywhere}
.card .l{font-weight:600}
.card .s{color:var(--muted);font-size:12px;overflow-wrap:anywhere}
.card.alert{border-top-color:var(--blocked);background:#fff6f6}
.card.alert .v{color:var(--blocked)}
.card .v.small{font-size:17px;padding:7px 0 6px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px;border:1px solid var(--line)}
th,td{padding:5px 8px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
th{background:#eaeff3;font-weight:600;white-space:nowrap}
.n{text-align:right;font-variant-numeric:tabular-nums}
td.mono{white-space:nowrap}
td.time{white-space:normal;min-width:11ch}
td.list{white-space:normal;overflow-wrap:anywhere;min-width:16ch}
td .badge{font-size:10px;padding:1px 8px}
.chip{display:inline-flex;align-items:center;gap:5px;white-space:nowrap}
.chip .sw{width:12px;height:12px}
td.reply{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow-wrap:anywhere;min-width:30ch}
tbody tr:hover{background:#f3f8fc}
.sub{display:block;color:var(--muted);font-size:11.5px}
html.js table.sortable th{cursor:pointer;user-select:none}
html.js table.sortable th::after{content:" \2195";color:#9aa5ae;font-size:11px}
html.js table.sortable th[aria-sort=ascending]::after{content:" \25B2";color:var(--ink)}
html.js table.sortable th[aria-sort=descending]::after{content:" \25BC";color:var(--ink)}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;font-size:11.5px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;color:#fff;white-space:nowrap;vertical-align:middle}
.b-neighbourhood{background:var(--blocked)}
.b-single_ip,.b-single_customer,.b-several_listed{background:#a35400}
.b-clear{background:#78909c}
.b-snds{background:#5e35b1}
.routes{margin:8px 0 18px}
.routes ul{margin:4px 0 0;padding-left:20px}
.routes li{margin:2px 0;overflow-wrap:anywhere}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:8px 0 4px;font-size:13px}
.legend span{display:inline-flex;align-items:center;gap:6px}
.sw{display:inline-block;width:16px;height:16px;border-radius:3px;border:1px solid rgba(0,0,0,.15)}
.sw.red{border:3px solid #111}
.hm{background:#fff;border:1px solid var(--line);border-left:10px solid #a35400;border-radius:8px;padding:14px 18px;margin:16px 0}
.hm.v-neighbourhood{border-left-color:var(--blocked);box-shadow:0 0 0 2px rgba(198,40,40,.25)}
.hm.v-clear{border-left-color:#5e35b1}
.hm-head{display:flex;flex-wrap:wrap;align-items:center;gap:10px}
.hm-head h3{margin:0;font-size:20px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.v-neighbourhood .hm-head .b-neighbourhood{font-size:14px;padding:4px 14px}
.hm .why{margin:8px 0 2px;font-weight:600}
.v-neighbourhood .why{color:var(--blocked)}
.hm .facts{margin:2px 0;color:var(--muted);font-size:13px}
.hm-body{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start;margin-top:10px}
.hm-body svg{flex:none}
.notable{flex:1 1 420px;min-width:0}
svg.grid .lbl{font-size:10px;fill:#7a8791;text-anchor:middle;font-family:ui-monospace,Menlo,Consolas,monospace}
svg.grid .lbl.row{text-anchor:end}
svg.grid .cell{stroke:rgba(0,0,0,.12);stroke-width:1}
svg.grid .cell:hover{stroke:#000;stroke-width:2}
svg.grid .cell.red{stroke:#111;stroke-width:3.5}
svg.grid .oct{font-size:9.5px;text-anchor:middle;pointer-events:none;fill:#1d2329;font-family:ui-monospace,Menlo,Consolas,monospace}
svg.grid .oct.blocked,svg.grid .oct.snds,svg.grid .oct.listed{fill:#fff;font-weight:700}
.blocked{fill:var(--blocked);background:var(--blocked)}
.snds{fill:var(--snds);background:var(--snds)}
.listed{fill:var(--listed);background:var(--listed)}
.throttled{fill:var(--throttled);background:var(--throttled)}
.sent{fill:var(--sent);background:var(--sent)}
.silent{fill:var(--silent);background:var(--silent)}
.notours{fill:var(--notours);background:var(--notours)}
.outside{fill:#fff;background:#fff}
figure.trend{display:flex;flex-wrap:wrap;align-items:center;gap:8px 18px;margin:10px 0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 12px}
figure.trend svg{flex:none;max-width:100%;height:auto}
figure.trend figcaption{flex:1 1 240px;min-width:0;font-size:13px;color:#38434d}
figure.trend .shape{font-size:15px;color:var(--ink)}
svg.trend text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:10px;fill:#7a8791}
svg.trend .hd{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:11px;font-weight:600;fill:var(--muted)}
svg.trend .y{text-anchor:end}
svg.trend .x{text-anchor:middle}
svg.trend .axis{stroke:#9aa5ae;stroke-width:1}
svg.trend .grid{stroke:var(--line);stroke-width:1;stroke-dasharray:3 3}
svg.trend .tick{stroke:#9aa5ae;stroke-width:1}
svg.trend .bar{fill:var(--blocked)}
svg.trend .zero{fill:#c5ced6}
svg.trend .rej{fill:none;stroke:var(--ink);stroke-width:1.6;stroke-linejoin:round}
svg.trend .pt{fill:var(--ink)}
svg.trend .hit{fill:transparent}
svg.trend .mark{stroke:#7b3fa0;stroke-width:1.4;stroke-dasharray:4 2}
svg.trend .flag{fill:#7b3fa0}
svg.trend .day:hover .hit{fill:rgba(31,95,153,.08)}
dl.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin:0}
dl.stats div{background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px 10px}
dl.stats dt{color:var(--muted);font-size:12px}
dl.stats dd{margin:0;font-size:18px;font-weight:600;font-variant-numeric:tabular-nums}
footer{max-width:1320px;margin:0 auto;padding:16px 32px 32px;color:var(--muted);font-size:12px}
@media print{
body{background:#fff;font-size:11px}
nav{display:none}
header.top{background:#fff;color:#000;padding:0 0 6px;border-bottom:2px solid #000}
header.top p{color:#000}
main,footer{max-width:none;padding:0}
.scroll{overflow:visible}
thead{display:table-header-group}
tr,.card,.hm-body,figure.trend,dl.stats div{break-inside:avoid}
h2,h3,.hm-head{break-after:avoid}
.hm{box-shadow:none}
a{color:inherit;text-decoration:none}
html.js table.sortable th::after{content:none}
tbody tr:hover{background:none}
}
"#;

/// Click (or Enter on) a header to sort its table; a second click reverses. Cells with
/// `data-sort` compare by that key as text (IP keys are fixed-width), others numerically when
/// both are numbers, else in natural order. Without JS the tables simply stay in report order.
pub(super) const SCRIPT: &str = r#"
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  function key(row, i) {
    var c = row.cells[i];
    if (!c) return { k: '', raw: false };
    var k = c.getAttribute('data-sort');
    return k !== null ? { k: k, raw: true } : { k: c.textContent.trim(), raw: false };
  }
  function compare(a, b) {
    if (a.raw || b.raw) return a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
    var num = /^-?\d+(\.\d+)?$/;
    if (num.test(a.k) && num.test(b.k)) return parseFloat(a.k) - parseFloat(b.k);
    return a.k.localeCompare(b.k, undefined, { numeric: true });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    if (!table.tHead || !table.tBodies.length) return;
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, i) {
      th.tabIndex = 0;
      function sort() {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r, s) {
          var c = compare(key(r, i), key(s, i));
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); }
      });
    });
  });
})();
"#;
