# Per-thread CPU of every running basalt tserver over a window (the coordinator's tool, copied here).
# usage: python3 bench/threadcpu.py DELAY_S WINDOW_S [substring of the tserver command line, e.g. the bench --dir]; prints user+sys per thread kind and the sys share
import os,sys,time,re,collections
def snap():
    res={}
    for pid in os.listdir('/proc'):
        if not pid.isdigit(): continue
        try: cmd=open(f'/proc/{pid}/cmdline').read()
        except: continue
        if 'basalt.cli.BasaltMain' not in cmd or 'tserver' not in cmd: continue
        if len(sys.argv)>3 and sys.argv[3] not in cmd: continue
        for tid in os.listdir(f'/proc/{pid}/task'):
            try:
                name=open(f'/proc/{pid}/task/{tid}/comm').read().strip()
                st=open(f'/proc/{pid}/task/{tid}/stat').read().rsplit(')',1)[1].split()
                res[(pid,tid,name)]=(int(st[11]),int(st[12]))
            except: pass
    return res
time.sleep(float(sys.argv[1])); a=snap(); t0=time.time(); time.sleep(float(sys.argv[2])); b=snap(); dt=time.time()-t0
agg=collections.Counter(); sy=collections.Counter(); perpid=collections.Counter()
for k,v in b.items():
    a0=a.get(k,v); du=v[0]-a0[0]; ds=v[1]-a0[1]
    n=re.sub(r'\d+','N',k[2]); agg[n]+=du+ds; sy[n]+=ds; perpid[k[0]]+=du+ds
tot=sum(agg.values())
print('total cores %.3f  (sys %.3f)'%(tot/100/dt, sum(sy.values())/100/dt))
for p,c in perpid.items(): print(' pid',p,'%.2f cores'%(c/100/dt))
for k,c in agg.most_common(8): print('  %5.1f%% %-18s sys %5.1f%%'%(100*c/tot,k,100*sy[k]/max(c,1)))
