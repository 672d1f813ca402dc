# Ablation of the AMNL quick model on FD001 (issue 13, bench/ACCURACY-variants.md section 3): the
# PyTorch mirror of the model (amnl_reference.py) trained on the independent pipeline of
# fd001_baselines.py (same split for the same SEED), with the recipe's loss, AdamW, warm-up, clipping
# and EMA (evaluation on the EMA weights). VARIANT: full | noconv (no CNN front end) | noattn (no
# attention). Overrides are recipe keys with JSON values (optimizer.lr=0.001 data.window=50).
# RECIPES is the meta.json that `bench_vs_reference export` writes (it holds every preset).
#   RECIPES=/tmp/win/meta.json DATA_DIR=../shared/cmapss python3 fd001_ablation.py VARIANT SEED EPOCHS [KEY=VALUE...]
import os, sys, json, copy, time, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0,os.path.dirname(os.path.abspath(__file__))); import amnl_reference as ref
from cmapss_split import R_MAX, load_split
torch.set_num_threads(1)
variant=sys.argv[1]; seed=int(sys.argv[2]); epochs=int(sys.argv[3])
cfg=json.load(open(os.environ['RECIPES']))['recipes']['quick']
for kv in sys.argv[4:]:
  k,v=kv.split('=',1); d=cfg; ks=k.split('.')
  for kk in ks[:-1]: d=d[kk]
  d[ks[-1]]=json.loads(v)
torch.manual_seed(seed); W=cfg['data']['window']; R=R_MAX
split=load_split('FD001', seed, W, drawn_order=True)
(Xtr,ytr),(Xv,yv),(Xte,yte)=split['train'],split['val'],split['test']
htr=torch.where(ytr>80,0,torch.where(ytr>30,1,2))
m=ref.DualTaskModel(cfg['model'],Xtr.shape[2])
if variant=='noconv': m.conv=nn.Identity(); m.lstm=nn.LSTM(Xtr.shape[2],cfg['model']['lstm_hidden'],num_layers=2,batch_first=True,bidirectional=True,dropout=0.3)
if variant=='noattn':
  m.attention=None
  def fwd(x):
    h=m.conv(x.transpose(1,2)); h=m.lstm(h.transpose(1,2))[0]; s=m.funnel(h[:,-1]); return m.rul_head(s).squeeze(-1), m.health_head(s)
  m.forward=fwd
o=cfg['optimizer']; opt=torch.optim.AdamW(m.parameters(),lr=o['lr'],weight_decay=o['weight_decay'])
ema=ref.Ema(m,cfg['ema_decay']); wr=cfg['loss']['rul_weight']; wh=cfg['loss']['health_weight']
unit=R if cfg['loss']['rul_scale']=='cycles' else 1.0
def ev(X,y):
  live=[t.detach().clone() for t in ema.live]
  with torch.no_grad():
    for t,s in zip(ema.live,ema.shadow): t.copy_(s)
  m.eval()
  with torch.no_grad(): p=torch.cat([m(X[i:i+2048])[0] for i in range(0,len(X),2048)])
  m.train()
  with torch.no_grad():
    for t,s in zip(ema.live,live): t.copy_(s)
  return ((p*R-y)**2).mean().sqrt().item()
B=o['batch_size']; best=(1e9,0,0); t0=time.time(); warm=cfg['schedule']['warmup_epochs']
for ep in range(epochs):
  for g in opt.param_groups: g['lr']=o['lr']*(0.1+0.9*ep/warm if ep<warm else 1)
  perm=torch.randperm(len(Xtr))
  for i in range(0,len(perm),B):
    b=perm[i:i+B]; y=ytr[b]/R
    r,lg=m(Xtr[b]); w=1+torch.clamp(1-y,0,1)
    l=wr*(w*((r-y)*unit)**2).mean()+wh*F.cross_entropy(lg,htr[b])
    opt.zero_grad(); l.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(),cfg['grad_clip']); opt.step(); ema.update()
  v=ev(Xv,yv); t=ev(Xte,yte); trr=ev(Xtr[::7],ytr[::7])
  if v<best[0]: best=(v,t,ep)
  print(f'ep {ep} tr {trr:.2f} val {v:.2f} test {t:.2f} t {time.time()-t0:.0f}s',flush=True)
print(f'RESULT {variant} seed {seed} {" ".join(sys.argv[4:])} best_val {best[0]:.2f} test_at_best {best[1]:.2f} ep {best[2]}')
