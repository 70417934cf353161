# Per-thread CPU of every running basalt tserver over a window (the coordinator's tool, copied here).
# usage: python3 /tmp/threadcpu.py DELAY_S WINDOW_S [substring of the tserver command line, e.g. the bench --dir]
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
                res[(pid,tid,name)]=int(st[11])+int(st[12])
            except: pass
    return res
time.sleep(float(sys.argv[1])); a=snap(); t0=time.time(); time.sleep(float(sys.argv[2])); b=snap(); dt=time.time()-t0
agg=collections.Counter(); perpid=collections.Counter()
for k,v in b.items():
    d=v-a.get(k,v)
    agg[re.sub(r'\d+','N',k[2])]+=d; perpid[k[0]]+=d
tot=sum(agg.values())
print('total cpu seconds/s (cores):', tot/100/dt)
for p,c in perpid.items(): print(' pid',p,'%.2f cores'%(c/100/dt))
for k,c in agg.most_common(25): print('  %5.1f%% %s'%(100*c/tot,k))
