# Independent leak-free baselines on C-MAPSS, written from the raw files without amnl's pipeline
# (issue 13, bench/ACCURACY-variants.md section 3): z-score on the training units, windows of W
# cycles, RUL capped at 125, 20% of the training units held out (split by SEED), a plain model
# regressing RUL / 125 with MSE, Adam lr 1e-3, batch 64, 1 thread. Prints one line per epoch
# (train, validation over all held-out windows, held-out last windows, test last-cycle RMSE) and
# a RESULT line with the test RMSE at the best validation epoch. Benchmark tool, never run by ctest.
#   DATA_DIR=../shared/cmapss python3 fd001_baselines.py [DATASET=FD001] [cnn|lstm] [SEED=1]
#                                                       [EPOCHS=30] [W=30] [z|minmax] [noops]
import os, sys, time
import torch, torch.nn as nn
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cmapss_split import R_MAX, load_split
torch.set_num_threads(1)
ds=sys.argv[1] if len(sys.argv)>1 else 'FD001'
model_kind=sys.argv[2] if len(sys.argv)>2 else 'cnn'; seed=int(sys.argv[3]) if len(sys.argv)>3 else 1
epochs=int(sys.argv[4]) if len(sys.argv)>4 else 30; W=int(sys.argv[5]) if len(sys.argv)>5 else 30
norm=sys.argv[6] if len(sys.argv)>6 else 'z'
torch.manual_seed(seed)
split=load_split(ds, seed, W, norm, with_settings=len(sys.argv)<=7 or sys.argv[7]!='noops')
(Xtr,ytr),(Xv,yv),(Xvl,yvl),(Xte,yte)=split['train'],split['val'],split['val_last'],split['test']
R=R_MAX
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
