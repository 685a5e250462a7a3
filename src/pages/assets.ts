/** The page's only CSS and only JavaScript (the top-up slider), served from our own origin (CSP 'self'). */
export const CSS = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2430;background:#f5f6f8}
header{background:#1d2430;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
header a{color:#dfe6f0;text-decoration:none}header a[aria-current=page]{color:#fff;font-weight:600;text-decoration:underline}
header .brand{font-weight:700;color:#fff;margin-right:.5rem}header .right{margin-left:auto;display:flex;gap:.8rem;align-items:center}
header form{margin:0}header button{background:none;border:1px solid #8895a7;color:#dfe6f0;padding:.15rem .6rem}
main{max-width:1100px;margin:1.2rem auto;padding:0 1.2rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin:1.4rem 0 .6rem}
.card{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:1rem 1.2rem;margin-bottom:1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.8rem}
.stat b{display:block;font-size:1.4rem}.stat span{color:#5b6675;font-size:.85rem}
table{width:100%;border-collapse:collapse;background:#fff}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e6e9ee;vertical-align:top}
th{font-size:.8rem;color:#5b6675;text-transform:uppercase;letter-spacing:.03em}
label{display:block;font-weight:600;margin:.6rem 0 .2rem}label small{font-weight:400;color:#5b6675}
input,select,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #b9c2cf;border-radius:5px;width:100%;max-width:420px;background:#fff}
input[type=checkbox]{width:auto}input[type=range]{max-width:600px;padding:0}
button,.button{font:inherit;background:#2456c8;color:#fff;border:0;border-radius:5px;padding:.45rem 1rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#5b6675}button.danger{background:#b3261e}
.field-error{color:#b3261e;font-size:.9rem;margin:.15rem 0}.invalid{border-color:#b3261e}
.flash{padding:.6rem 1rem;border-radius:6px;margin-bottom:1rem;background:#e5f4ea;border:1px solid #9ed3ae}
.flash.error{background:#fdecea;border-color:#f0a39d}
.badge{display:inline-block;padding:0 .5rem;border-radius:10px;font-size:.8rem;background:#e6e9ee}
.badge.transferred,.badge.active,.badge.completed,.badge.approved{background:#d5f0dd}.badge.failed,.badge.cancelled{background:#fbd9d6}
.badge.pending,.badge.running{background:#fff1c9}
.req{color:#b3261e}.setting-key{font-size:.75em;color:#5b6675;font-weight:400}.muted{color:#5b6675}.mono{font-family:ui-monospace,monospace;word-break:break-all}
pre{background:#f0f2f5;padding:.6rem;overflow:auto;max-height:420px;font-size:.8rem}
progress{width:100%;max-width:420px;height:1rem}
.row{display:flex;gap:1rem;flex-wrap:wrap;align-items:center}.row form{margin:0}.row>*{flex:0 0 auto}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}@media(max-width:800px){.cols{grid-template-columns:1fr}}
fieldset{border:1px solid #dde2e8;border-radius:6px;margin:.6rem 0}
.price{font-size:1.6rem;font-weight:700}
fieldset.states{display:flex;flex-wrap:wrap;gap:.2rem 1.2rem}fieldset.states legend{font-weight:600}fieldset.invalid{border-color:#b3261e}
label.check{display:flex;gap:.4rem;align-items:center;font-weight:400;margin:.2rem 0}
details.confirm{display:inline-block}details.confirm summary{list-style:none}details.confirm summary::-webkit-details-marker{display:none}
details.confirm[open]{display:block;background:#fff8e6;border:1px solid #e6c877;border-radius:6px;padding:.6rem}
svg text{font-size:10px;fill:#5b6675}
.signin{max-width:380px;margin:4rem auto}
header .muted{color:#c3ccd8}header .nav{display:flex;gap:1.2rem}
.num{text-align:right;white-space:nowrap}
table.totals{width:auto;min-width:50%;margin-top:.6rem}table.totals th{text-transform:none;letter-spacing:0;font-size:.95rem;color:#1d2430}
.filters{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:flex-end}.filters>div{flex:1 1 160px}.filters .wide{flex:2 1 260px}.filters .actions{flex:0 0 auto}
.filters label{margin-top:0}
.pager{justify-content:space-between;margin:1rem 0}
details.raw{margin:1rem 0}details.raw summary{cursor:pointer;color:#2456c8}
ol.steps{display:flex;flex-wrap:wrap;gap:.3rem;list-style:none;padding:0;margin:0 0 1rem}
ol.steps li{padding:.2rem .7rem;border-radius:12px;background:#e6e9ee;color:#3b4655;font-size:.9rem}
ol.steps li+li::before{content:"→ ";color:#5b6675}ol.steps li.done{background:#d5f0dd}ol.steps li.current{background:#2456c8;color:#fff;font-weight:600}
.progress-of{font-size:1.1rem}
.slider{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end}.slider>div:first-child{flex:1 1 300px}.slider>div:last-child{flex:0 0 9rem}
.hint{color:#1d5c2e;font-weight:600;min-height:1.5em}
main{overflow-wrap:break-word}
table.facts th{text-transform:none;letter-spacing:0;font-size:.9rem;width:30%}
@media(max-width:600px){
  header{padding:.4rem .6rem;gap:.2rem .8rem;font-size:.9rem}
  header .nav{order:3;width:100%;overflow-x:auto;white-space:nowrap;gap:1rem;padding:.2rem 0;scrollbar-width:thin}
  header .right{margin-left:auto;gap:.6rem}
  header .right .muted{display:none}
  main{padding:0 .6rem;margin-top:.8rem}
  .card{padding:.8rem}
  table{display:block;overflow-x:auto}
  table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
  table.cards{overflow:visible;background:none}
  table.cards thead{display:none}
  table.cards tr{background:#fff;border:1px solid #dde2e8;border-radius:8px;margin-bottom:.6rem;padding:.4rem .6rem}
  table.cards td{border:0;padding:.15rem 0;text-align:left}
  table.cards td:empty{display:none}
  table.facts th{width:40%}
  table.cards td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:#3b4655}
  table.totals{min-width:100%}
  input,select,textarea{max-width:100%}
  pre{max-width:100%}
}

`;

/**
 * The top-up slider: asks the page's own quote endpoint (the same topUpQuote as the staff API) for the
 * price while the slider moves; the server renders the first price, so without JavaScript it still works.
 */
export const SLIDER_JS = `
(function(){
  var form=document.getElementById('topup');if(!form)return;
  var range=document.getElementById('orders'),box=document.getElementById('orders-n'),out=document.getElementById('topup-orders'),
      unit=document.getElementById('topup-unit'),price=document.getElementById('topup-price'),hint=document.getElementById('topup-hint'),seq=0,timer=null;
  function update(){
    var n=range.value;out.textContent=n;var mine=++seq;
    fetch(form.getAttribute('data-quote')+'?orders='+encodeURIComponent(n),{credentials:'same-origin',headers:{accept:'application/json'}})
      .then(function(r){return r.ok?r.json():null}).then(function(q){
        if(!q||mine!==seq)return;unit.textContent=q.unitPriceText;price.textContent=q.priceText;
        if(hint)hint.textContent=q.hintText||'';
        price.setAttribute('data-orders',String(q.orders));
      }).catch(function(){});
  }
  function later(){clearTimeout(timer);timer=setTimeout(update,60)}
  range.addEventListener('input',function(){out.textContent=range.value;if(box)box.value=range.value;later()});
  range.addEventListener('change',update);
  if(box)box.addEventListener('input',function(){var v=parseInt(box.value,10);if(v>=+range.min&&v<=+range.max){range.value=String(v);out.textContent=range.value;later()}});
})();
`;
