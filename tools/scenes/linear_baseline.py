"""A linear classifier (softmax regression, Adam, 300 steps) on the pixels of a scene
world written by `fovea data scenes`, at 32x32 and 64x64: how far shape-blind pixel
statistics get. Needs numpy and pillow.

    fovea data scenes --out /tmp/sc --train 2000 --val 200 --test 200 --novel 50 --size 128 --seed 1
    python3 tools/scenes/linear_baseline.py /tmp/sc
"""
import json, sys
import numpy as np
from PIL import Image
root = sys.argv[1] if len(sys.argv) > 1 else 'data/scenes'
d=json.load(open(root + '/dataset_scenes.json'))
classes=sorted({im['class'] for im in d['images'] if im['split']=='train'})
def load(split, size):
    X=[];Y=[]
    for im in d['images']:
        if im['split']!=split: continue
        a=np.asarray(Image.open(root + '/' + im['filename']).resize((size,size), Image.BILINEAR),dtype=np.float32)/255
        X.append(a.ravel()); Y.append(classes.index(im['class']))
    return np.array(X),np.array(Y)
for size in (32, 64):
    Xtr,Ytr=load('train',size); Xte,Yte=load('test',size)
    mu=Xtr.mean(0); sd=Xtr.std(0)+1e-3
    Xtr=(Xtr-mu)/sd; Xte=(Xte-mu)/sd
    K=len(classes); W=np.zeros((Xtr.shape[1],K),np.float32); b=np.zeros(K,np.float32)
    m=np.zeros_like(W); v=np.zeros_like(W); lr=1e-3; best=0
    for it in range(300):
        z=Xtr@W+b; z-=z.max(1,keepdims=True); p=np.exp(z); p/=p.sum(1,keepdims=True)
        p[np.arange(len(Ytr)),Ytr]-=1; g=Xtr.T@p/len(Ytr)+1e-3*W; gb=p.mean(0)
        m=0.9*m+0.1*g; v=0.999*v+0.001*g*g; W-=lr*(m/(1-0.9**(it+1)))/(np.sqrt(v/(1-0.999**(it+1)))+1e-8); b-=lr*gb
        if it%50==49:
            acc=((Xte@W+b).argmax(1)==Yte).mean(); tr=((Xtr@W+b).argmax(1)==Ytr).mean(); best=max(best,acc)
            print(size, it+1, 'train %.3f test %.3f'%(tr,acc))
    print('size',size,'best test top-1 %.3f'%best)
