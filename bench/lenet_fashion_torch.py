"""The `fovea train lenet` recipe trained by PyTorch on Fashion-MNIST, to compare accuracy.

Network: conv 6@5x5 same - batch norm - relu - maxpool 2 - conv 16@5x5 same - batch norm -
relu - maxpool 2 - dense 120 - relu - dropout - dense 84 - relu - dropout - dense 10;
Glorot-uniform weights and zero biases as Keras (the convs keep a bias here; PyTorch batch-norm
momentum 0.1, Keras 0.01 of fovea: small differences from fovea's recipe); Adam 1e-3 with a per-step cosine decay to 0;
batch 64; test accuracy printed after each epoch. One thread, so it can run beside fovea.

Usage (venv as in compare_lenet.py; Debian's dataset-fashion-mnist installed):
    SEED=0 ~/.cache/fovea-bench/venv/bin/python bench/lenet_fashion_torch.py DROPOUT EPOCHS cos|const 0
Measured 2026-11-30: dropout 0.3, 20 epochs, cos: 0.9158 (SEED=0), 0.9196 (SEED=1).
"""
import gzip, numpy as np, torch, sys, time, math
from torch import nn
torch.set_num_threads(1)
D='/usr/share/datasets/fashion-mnist/'
def imgs(f): return np.frombuffer(gzip.open(D+f).read(),np.uint8,offset=16).reshape(-1,1,28,28).astype(np.float32)/255
def labs(f): return np.frombuffer(gzip.open(D+f).read(),np.uint8,offset=8).astype(np.int64)
xtr,ytr,xte,yte=map(torch.tensor,(imgs('train-images-idx3-ubyte.gz'),labs('train-labels-idx1-ubyte.gz'),imgs('t10k-images-idx3-ubyte.gz'),labs('t10k-labels-idx1-ubyte.gz')))
drop=float(sys.argv[1]); epochs=int(sys.argv[2]); sched=sys.argv[3]; aug=sys.argv[4]=='1'
import os; torch.manual_seed(int(os.environ.get("SEED","0")))
m=nn.Sequential(nn.Conv2d(1,6,5,padding=2),nn.BatchNorm2d(6),nn.ReLU(),nn.MaxPool2d(2),nn.Conv2d(6,16,5,padding=2),nn.BatchNorm2d(16),nn.ReLU(),nn.MaxPool2d(2),nn.Flatten(),
 nn.Linear(784,120),nn.ReLU(),nn.Dropout(drop),nn.Linear(120,84),nn.ReLU(),nn.Dropout(drop),nn.Linear(84,10))
for p in m.modules():
  if isinstance(p,(nn.Conv2d,nn.Linear)): nn.init.xavier_uniform_(p.weight); nn.init.zeros_(p.bias)
opt=torch.optim.Adam(m.parameters(),1e-3)
steps=math.ceil(60000/64)*epochs; it=0
for ep in range(epochs):
  m.train(); perm=torch.randperm(60000)
  for i in range(0,60000,64):
    idx=perm[i:i+64]; x=xtr[idx]; y=ytr[idx]
    if aug:
      flip=torch.rand(len(x))<0.5; x=torch.where(flip[:,None,None,None],x.flip(3),x)
      dx,dy=np.random.randint(-2,3,2); x=torch.roll(x,(int(dy),int(dx)),(2,3))
    if sched=='cos':
      for g in opt.param_groups: g['lr']=1e-3*0.5*(1+math.cos(math.pi*it/steps))
    it+=1
    loss=nn.functional.cross_entropy(m(x),y); opt.zero_grad(); loss.backward(); opt.step()
  m.eval()
  with torch.no_grad(): acc=(m(xte).argmax(1)==yte).float().mean().item()
  print(ep,round(acc,4),flush=True)
