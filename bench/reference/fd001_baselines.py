# Independent leak-free baselines on C-MAPSS, written from the raw files without amnl's pipeline
# (issue 13, bench/ACCURACY-variants.md section 3): z-score on the training units, windows of W
# cycles, RUL capped at 125, 20% of the training units held out (split by SEED), a plain model
# regressing RUL / 125 with MSE, Adam lr 1e-3, batch 64, 1 thread. Prints one line per epoch
# (train, validation over all held-out windows, held-out last windows, test last-cycle RMSE) and
# a RESULT line with the test RMSE at the best validation epoch. Benchmark tool, never run by ctest.
#   DATA_DIR=../shared/cmapss python3 fd001_baselines.py [DATASET=FD001] [cnn|lstm] [SEED=1]
#                                                       [EPOCHS=30] [W=30] [z|minmax] [noops]
import os, sys, numpy as np, torch, torch.nn as nn, time
torch.set_num_threads(1)
D=os.environ.get('DATA_DIR', os.path.join(os.path.dirname(__file__), '../../../shared/cmapss')); ds=sys.argv[1] if len(sys.argv)>1 else 'FD001'
model_kind=sys.argv[2] if len(sys.argv)>2 else 'cnn'; seed=int(sys.argv[3]) if len(sys.argv)>3 else 1
epochs=int(sys.argv[4]) if len(sys.argv)>4 else 30; W=int(sys.argv[5]) if len(sys.argv)>5 else 30
norm=sys.argv[6] if len(sys.argv)>6 else 'z'
torch.manual_seed(seed); rng=np.random.default_rng(seed)
tr=np.loadtxt(f'{D}/train_{ds}.txt'); te=np.loadtxt(f'{D}/test_{ds}.txt'); rul=np.loadtxt(f'{D}/RUL_{ds}.txt')
drop={1,5,6,10,16,18,19}; cols=([2,3,4] if len(sys.argv)<=7 or sys.argv[7]!="noops" else [])+[4+i for i in range(1,22) if i not in drop]
R=125
units=np.unique(tr[:,0]); rng.shuffle(units); nval=int(round(0.2*len(units))); val_u=set(units[:nval])
trm=np.array([u not in val_u for u in tr[:,0]])
X=tr[:,cols]; mu=X[trm].mean(0); sd=X[trm].std(0); sd[sd<1e-8]=1
if norm=='z': f=lambda a:(a-mu)/sd
else:
  lo=X[trm].min(0); hi=X[trm].max(0); rngv=np.where(hi-lo<1e-8,1,hi-lo); f=lambda a:2*(a-lo)/rngv-1
def windows(data, units_sel, last_only=False, rul_end=None):
  xs=[];ys=[]
  for k,u in enumerate(units_sel):
    d=data[data[:,0]==u]; x=f(d[:,cols]).astype(np.float32); n=len(d)
    end_rul = rul_end[k] if rul_end is not None else 0
    y=np.minimum(end_rul+(n-1-np.arange(n)),R).astype(np.float32)
    if n<W: x=np.vstack([np.repeat(x[:1],W-n,0),x]); y=np.concatenate([np.repeat(y[:1],W-n),y])
    if last_only: xs.append(x[-W:]); ys.append(y[-1]); continue
    for e in range(W,len(x)+1): xs.append(x[e-W:e]); ys.append(y[e-1])
  return torch.tensor(np.array(xs)), torch.tensor(np.array(ys))
tu=[u for u in np.unique(tr[:,0]) if u not in val_u]; vu=sorted(val_u)
Xtr,ytr=windows(tr,tu); Xv,yv=windows(tr,vu); Xvl,yvl=windows(tr,vu,True)
teu=np.unique(te[:,0]); Xte,yte=windows(te,teu,True,rul)
yte=torch.clamp(yte,max=R)
F=Xtr.shape[2]
class CNN(nn.Module):
  def __init__(s):
    super().__init__()
    s.c=nn.Sequential(nn.Conv1d(F,32,5,padding=2),nn.ReLU(),nn.Conv1d(32,32,5,padding=2),nn.ReLU(),nn.Conv1d(32,32,5,padding=2),nn.ReLU())
    s.h=nn.Sequential(nn.Flatten(),nn.Dropout(0.3),nn.Linear(32*W,64),nn.ReLU(),nn.Linear(64,1))
  def forward(s,x): return s.h(s.c(x.transpose(1,2))).squeeze(1)
class LSTM(nn.Module):
  def __init__(s):
    super().__init__(); s.l=nn.LSTM(F,48,2,batch_first=True,dropout=0.2); s.h=nn.Sequential(nn.Linear(48,32),nn.ReLU(),nn.Linear(32,1))
  def forward(s,x): return s.h(s.l(x)[0][:,-1]).squeeze(1)
m={'cnn':CNN,'lstm':LSTM}[model_kind]()
opt=torch.optim.Adam(m.parameters(),1e-3)
def rmse(X,y):
  m.eval()
  with torch.no_grad(): p=torch.cat([m(X[i:i+4096]) for i in range(0,len(X),4096)])
  m.train(); return ((p*R-y)**2).mean().sqrt().item()
best=(1e9,None,0); t0=time.time()
for ep in range(epochs):
  perm=torch.randperm(len(Xtr))
  for i in range(0,len(perm),64):
    b=perm[i:i+64]; opt.zero_grad(); l=((m(Xtr[b])-ytr[b]/R)**2).mean(); l.backward(); opt.step()
  v=rmse(Xv,yv); vl=rmse(Xvl,yvl); t=rmse(Xte,yte); trr=rmse(Xtr[:4000],ytr[:4000])
  if v<best[0]: best=(v,t,ep)
  print(f'ep {ep} tr {trr:.2f} val_all {v:.2f} val_last {vl:.2f} test {t:.2f} t {time.time()-t0:.0f}s',flush=True)
print(f'RESULT {ds} {model_kind} seed {seed} W {W} norm {norm} best_val {best[0]:.2f} test_at_best {best[1]:.2f} ep {best[2]}')
