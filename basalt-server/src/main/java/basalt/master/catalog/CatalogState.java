package basalt.master.catalog;

import basalt.common.check.Check;
import basalt.proto.CatalogOpPB;
import basalt.proto.RequestIdPB;
import basalt.proto.RequestOutcomePB;
import basalt.proto.TableRecordPB;
import basalt.proto.TableState;
import basalt.proto.TabletRecordPB;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The catalog as every master holds it in memory: tables, tablets, and the first outcome of each DDL
 * request. Pure: it changes only through {@link #apply} of committed {@link CatalogOpPB}s, in log order,
 * so every master (leader or follower) holds the same catalog at the same index, and a new leader needs
 * no reload. Not thread-safe: the catalog group's thread applies; readers take {@link #copy()}-free views
 * through the manager's lock.
 *
 * <p>Names: a table's name is taken from the op that creates it until the op that removes it or marks
 * it DELETING, so a name is unique among live tables and free again as soon as a delete is accepted.
 */
public final class CatalogState {
    private final TreeMap<String, TableRecordPB> tablesById = new TreeMap<>();
    private final TreeMap<String, String> tableIdByName = new TreeMap<>();
    private final TreeMap<String, TabletRecordPB> tabletsById = new TreeMap<>();
    private final TreeMap<String, TreeSet<String>> tabletIdsByTable = new TreeMap<>();
    /** Replicas placed per tablet server uuid, kept as tablets change: placement reads it on every create. */
    private final TreeMap<String, Integer> replicaCounts = new TreeMap<>();
    /** Where every master is, by uuid; replicated so that a joining master and tablet servers learn it. */
    private final TreeMap<String, basalt.proto.PeerPB> masterAddresses = new TreeMap<>();
    /** First outcome of each DDL request, by client id then sequence number. */
    private final TreeMap<String, TreeMap<Long, RequestOutcomePB>> outcomesByClient = new TreeMap<>();

    /**
     * Applies one committed catalog operation; every master calls this with the same ops in the same order.
     *
     * <p>Exactly once, by construction: an op that carries the outcome of a request which already has one
     * is a second proposal of a DDL that took effect (a leader proposes again when a retry arrives after
     * its first proposal timed out but before it committed), and none of it is applied. Without this the
     * second create of the same table would fail the name check on every master, in a committed entry,
     * forever. Returns whether the op was applied.
     */
    public boolean apply(CatalogOpPB op) {
        for (RequestOutcomePB outcome : op.getOutcomesList()) {
            if (outcome(outcome.getRequestId()).isPresent()) {
                return false;
            }
        }
        for (String tableId : op.getRemoveTablesList()) {
            TableRecordPB removed = tablesById.remove(tableId);
            if (removed != null) {
                tableIdByName.remove(removed.getName(), tableId);
            }
        }
        for (String tabletId : op.getRemoveTabletsList()) {
            TabletRecordPB removed = tabletsById.remove(tabletId);
            if (removed != null) {
                countReplicas(removed, -1);
                TreeSet<String> ofTable = tabletIdsByTable.get(removed.getTableId());
                if (ofTable != null) {
                    ofTable.remove(tabletId);
                    if (ofTable.isEmpty()) {
                        tabletIdsByTable.remove(removed.getTableId());
                    }
                }
            }
        }
        for (TableRecordPB table : op.getUpsertTablesList()) {
            TableRecordPB previous = tablesById.put(table.getTableId(), table);
            if (previous != null && !previous.getName().equals(table.getName())) {
                tableIdByName.remove(previous.getName(), table.getTableId());
            }
            if (table.getState() == TableState.TABLE_DELETING) {
                tableIdByName.remove(table.getName(), table.getTableId());
            } else {
                String holder = tableIdByName.putIfAbsent(table.getName(), table.getTableId());
                Check.state(holder == null || holder.equals(table.getTableId()),
                        "catalog op gives name %s to table %s, but table %s holds it", table.getName(),
                        table.getTableId(), holder);
            }
        }
        for (TabletRecordPB tablet : op.getUpsertTabletsList()) {
            TabletRecordPB previous = tabletsById.put(tablet.getTabletId(), tablet);
            if (previous != null) {
                countReplicas(previous, -1);
            }
            countReplicas(tablet, 1);
            tabletIdsByTable.computeIfAbsent(tablet.getTableId(), ignored -> new TreeSet<>()).add(tablet.getTabletId());
        }
        if (op.hasMasterAddressBook()) {
            masterAddresses.clear();
            for (basalt.proto.PeerPB master : op.getMasterAddressBook().getMastersList()) {
                masterAddresses.put(master.getUuid(), master);
            }
        }
        for (RequestOutcomePB outcome : op.getOutcomesList()) {
            RequestIdPB id = outcome.getRequestId();
            TreeMap<Long, RequestOutcomePB> ofClient =
                    outcomesByClient.computeIfAbsent(id.getClientId(), ignored -> new TreeMap<>());
            ofClient.putIfAbsent(id.getSequence(), outcome);
            // The client has every answer below its first incomplete sequence: those can go.
            ofClient.headMap(id.getFirstIncompleteSequence(), false).clear();
        }
        return true;
    }

    /** The replicated address book of the masters, by uuid. */
    public Map<String, basalt.proto.PeerPB> masterAddresses() {
        return Collections.unmodifiableMap(new TreeMap<>(masterAddresses));
    }

    public Optional<TableRecordPB> tableById(String tableId) {
        return Optional.ofNullable(tablesById.get(tableId));
    }

    /** A live (not DELETING) table by name. */
    public Optional<TableRecordPB> tableByName(String name) {
        String id = tableIdByName.get(name);
        return id == null ? Optional.empty() : Optional.ofNullable(tablesById.get(id));
    }

    public List<TableRecordPB> tables() {
        return List.copyOf(tablesById.values());
    }

    public List<TabletRecordPB> tabletsOf(String tableId) {
        List<TabletRecordPB> tablets = new ArrayList<>();
        for (String tabletId : tabletIdsByTable.getOrDefault(tableId, new TreeSet<>())) {
            tablets.add(tabletsById.get(tabletId));
        }
        return tablets;
    }

    public Optional<TabletRecordPB> tablet(String tabletId) {
        return Optional.ofNullable(tabletsById.get(tabletId));
    }

    public int tabletCount() {
        return tabletsById.size();
    }

    /** The first outcome recorded for this request, if the catalog has one. */
    public Optional<RequestOutcomePB> outcome(RequestIdPB requestId) {
        NavigableMap<Long, RequestOutcomePB> ofClient = outcomesByClient.get(requestId.getClientId());
        return ofClient == null ? Optional.empty() : Optional.ofNullable(ofClient.get(requestId.getSequence()));
    }

    /** Replicas placed per tablet server uuid, for spreading new replicas by load. A copy. */
    public Map<String, Integer> replicasPerServer() {
        return Collections.unmodifiableMap(new TreeMap<>(replicaCounts));
    }

    private void countReplicas(TabletRecordPB tablet, int delta) {
        for (String server : tablet.getReplicasList()) {
            replicaCounts.merge(server, delta, (a, b) -> a + b == 0 ? null : a + b);
        }
    }

    public SortedSet<String> tableNames() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(tableIdByName.keySet()));
    }

    /** The whole catalog as one op that recreates it: what a snapshot file and a tablet copy carry. */
    public ByteString snapshot() {
        return snapshotOp().toByteString();
    }

    /**
     * As {@link #snapshot()}, not yet serialized: building it copies references only, so a caller holding a
     * lock over this state can serialize (the slow part, megabytes at 100,000 tablets) after releasing it.
     */
    public CatalogOpPB snapshotOp() {
        CatalogOpPB.Builder all = CatalogOpPB.newBuilder().addAllUpsertTables(tablesById.values())
                .addAllUpsertTablets(tabletsById.values());
        if (!masterAddresses.isEmpty()) {
            all.setMasterAddressBook(basalt.proto.MasterAddressBookPB.newBuilder().addAllMasters(masterAddresses.values()));
        }
        for (TreeMap<Long, RequestOutcomePB> ofClient : outcomesByClient.values()) {
            all.addAllOutcomes(ofClient.values());
        }
        return all.build();
    }

    public static CatalogState fromSnapshot(ByteString snapshot) {
        CatalogState state = new CatalogState();
        if (!snapshot.isEmpty()) {
            try {
                CatalogOpPB all = CatalogOpPB.parseFrom(snapshot);
                // Outcomes go in without their GC: the snapshot holds exactly what survived it.
                CatalogOpPB withoutOutcomes = all.toBuilder().clearOutcomes().build();
                state.apply(withoutOutcomes);
                for (RequestOutcomePB outcome : all.getOutcomesList()) {
                    state.outcomesByClient.computeIfAbsent(outcome.getRequestId().getClientId(), ignored -> new TreeMap<>())
                            .putIfAbsent(outcome.getRequestId().getSequence(), outcome);
                }
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalArgumentException("catalog snapshot does not parse: " + e.getMessage(), e);
            }
        }
        return state;
    }
}
