# RocksDB background CPU per row of a TabletWriteBench run kept with --keep: sums the flush and compaction
# CPU that each tablet server's RocksDB LOG reports, divides by the entries flushed (rows + a few per-tablet keys).
# usage: python3 bench/rocksdb_background_cpu.py DIR  -> RocksDB background work per server from the LOG EVENT_LOG lines
import json,re,sys,glob
tot=dict(rows=0,flush_cpu=0,comp_cpu=0,comp_in=0,comp_out=0)
for log in sorted(glob.glob(sys.argv[1]+'/ts-*/data/store/LOG')):
    f=dict(n=0,cpu=0,entries=0,bytes=0); c=dict(n=0,cpu=0,inb=0,outb=0); moves=0
    for line in open(log, errors='replace'):
        m=re.search(r'Flush lasted \d+ microseconds, and (\d+) cpu', line)
        if m: f['cpu']+=int(m.group(1)); f['n']+=1
        if 'Moved #' in line or 'trivial move' in line.lower(): moves+=1
        i=line.find('EVENT_LOG_v1 ')
        if i<0: continue
        try: e=json.loads(line[i+13:])
        except: continue
        if e.get('event')=='flush_started' and e.get('cf_name','default')=='default': f['entries']+=e['num_entries']
        if e.get('event')=='compaction_finished':
            c['n']+=1; c['cpu']+=e['compaction_time_cpu_micros']; c['outb']+=e['total_output_size']
        if e.get('event')=='compaction_started': c['inb']+=e['input_data_size']
    print(log.split('/')[-4], 'flushes',f['n'],'flush cpu ms %.0f'%(f['cpu']/1e3),'entries',f['entries'],
          '| compactions',c['n'],'cpu ms %.0f'%(c['cpu']/1e3),'in MB %.1f out MB %.1f'%(c['inb']/1e6,c['outb']/1e6),'| move lines',moves)
    tot['rows']=max(tot['rows'],f['entries']); tot['flush_cpu']+=f['cpu']; tot['comp_cpu']+=c['cpu']
r=tot['rows'] or 1
print('rows~%d  flush us/row (3 replicas) %.2f  compaction us/row %.2f  total %.2f'%(r,tot['flush_cpu']/r,tot['comp_cpu']/r,(tot['flush_cpu']+tot['comp_cpu'])/r))
