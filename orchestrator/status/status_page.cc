#include "orchestrator/status/status_page.h"

#include "orchestrator/status/status_format.h"

namespace amnl::orch {

namespace {

const char* const kHead = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>amnl status</title>
<link rel="icon" href="data:,">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d232b;background:#f6f7f9}
h1{font-size:20px;margin:0 0 4px}
#summary{color:#4a5560;margin-bottom:14px;font-size:14px}
#error{display:none;background:#fde8e8;color:#8a1c1c;padding:8px 12px;border-radius:4px;margin-bottom:12px}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.08);font-size:14px}
th,td{padding:7px 10px;text-align:left;border-bottom:1px solid #e4e7eb;white-space:nowrap}
th{background:#eef1f4;font-weight:600;color:#36404a}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.bar{position:relative;width:160px;height:16px;background:#e4e7eb;border-radius:3px;overflow:hidden}
.bar span{position:absolute;left:0;top:0;bottom:0;background:#3b82f6}
.bar em{position:absolute;left:0;right:0;text-align:center;font-style:normal;font-size:11px;line-height:16px;color:#111}
.st{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.st-running{background:#dbeafe;color:#1e40af}.st-done{background:#dcfce7;color:#166534}
.st-failed{background:#fee2e2;color:#991b1b}.st-queued{background:#f1f5f9;color:#475569}
.st-preempted{background:#fef3c7;color:#92400e}
.bar.done span{background:#22c55e}.bar.failed span{background:#ef4444}
#ranks{margin-top:10px;font-size:13px;color:#4a5560}
</style></head><body>
<h1>amnl status</h1>
<div id="summary">loading&hellip;</div>
<div id="error"></div>
<table id="jobs"><thead><tr><th>Job</th><th>State</th><th class="num">Attempt</th><th class="num">Rank</th>
<th>Host</th><th>Progress</th><th class="num">Best val RMSE</th><th class="num" title="latest epoch, every window of the held-out units">Val all windows</th><th class="num">Elapsed</th><th class="num">ETA</th>
</tr></thead><tbody></tbody></table>
<div id="ranks"></div>
<script id="initial" type="application/json">)HTML";

const char* const kTail = R"HTML(</script>
<script>
"use strict";
// Durations in amnl's one form, as format_duration (rundir/utc_time.h) prints them in the CLI.
function dur(s){if(typeof s!=="number"||!isFinite(s)||s<0)return "-";s=Math.round(s);
  const h=Math.floor(s/3600),m=Math.floor(s/60)%60,x=s%60;return h+":"+String(m).padStart(2,"0")+":"+String(x).padStart(2,"0");}
function cell(tr,text,cls){const td=document.createElement("td");td.textContent=text;if(cls)td.className=cls;tr.appendChild(td);return td;}
function show(st){
  const t=st.totals||{};
  document.getElementById("summary").textContent=(st.run_dir||"")+" \u2014 "+st.state+
    (st.session&&st.session.draining?" (draining: "+st.session.draining+")":"")+
    " \u00b7 "+t.done+"/"+t.jobs+" done, "+t.running+" running, "+t.queued+" queued, "+t.failed+" failed"+
    " \u00b7 workers "+t.workers_alive+" alive"+(t.workers_excluded>0?" ("+t.workers_excluded+" excluded)":"")+", "+t.workers_dead+" dead"+
    " \u00b7 elapsed "+dur(st.elapsed_s)+", ETA "+dur(st.eta_s);
  const body=document.querySelector("#jobs tbody");body.textContent="";
  for(const j of st.jobs||[]){
    const tr=document.createElement("tr");
    cell(tr,j.job);
    const s=cell(tr,"");const b=document.createElement("span");b.className="st st-"+j.state;b.textContent=j.state;s.appendChild(b);
    cell(tr,j.attempt>0?String(j.attempt):"-","num");cell(tr,j.rank==null?"-":String(j.rank),"num");cell(tr,j.host||"-");
    const frac=j.state==="done"?1:(j.max_epochs>0?Math.min(1,j.epoch/j.max_epochs):0);
    const p=cell(tr,"");const bar=document.createElement("div");bar.className="bar "+j.state;
    const fill=document.createElement("span");fill.style.width=(100*frac).toFixed(1)+"%";
    const label=document.createElement("em");label.textContent=j.epoch+"/"+(j.max_epochs>0?j.max_epochs:"?");
    bar.appendChild(fill);bar.appendChild(label);p.appendChild(bar);
    cell(tr,typeof j.best_val_rmse==="number"?j.best_val_rmse.toFixed(3):"-","num");
    cell(tr,typeof j.val_all_windows_rmse==="number"?j.val_all_windows_rmse.toFixed(3):"-","num");
    cell(tr,dur(j.elapsed_s),"num");cell(tr,dur(j.eta_s),"num");
    if(j.reason&&j.state!=="done")tr.title=j.reason;
    body.appendChild(tr);
  }
  const dead=(st.ranks||[]).filter(r=>r.state==="dead"||r.state==="left"||r.excluded)
    .map(r=>"rank "+r.rank+" "+(r.excluded&&r.state!=="dead"&&r.state!=="left"?"excluded":r.state)+": "+r.reason);
  document.getElementById("ranks").textContent=dead.length?dead.join(" \u00b7 "):"";
}
function refresh(){
  fetch("status.json",{cache:"no-store"}).then(r=>{if(!r.ok)throw new Error("HTTP "+r.status);return r.json();})
    .then(st=>{document.getElementById("error").style.display="none";show(st);})
    .catch(e=>{const el=document.getElementById("error");el.style.display="block";
      el.textContent="cannot reach the coordinator ("+e.message+"): the run may have ended; showing the last status";});
}
show(JSON.parse(document.getElementById("initial").textContent));
setInterval(refresh,2000);
</script></body></html>
)HTML";

}  // namespace

std::string status_page_html(const nlohmann::json& status) {
  // Inside <script>, "</" could close the element early: JSON allows "<\/" for it.
  std::string data = dump_status_json(status);
  std::string safe;
  safe.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '<' && i + 1 < data.size() && data[i + 1] == '/') safe += "<\\";
    else safe += data[i];
  }
  return kHead + safe + kTail;
}

}  // namespace amnl::orch
