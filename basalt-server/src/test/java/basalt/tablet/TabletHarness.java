package basalt.tablet;

import basalt.common.time.Clock;
import basalt.common.time.HybridClock;
import basalt.consensus.core.Entry;
import basalt.consensus.core.EntryType;
import basalt.consensus.core.OpId;
import basalt.proto.ColumnValuePB;
import basalt.proto.OperationType;
import basalt.proto.PartitionPB;
import basalt.proto.PartitionSchemaPB;
import basalt.proto.RowOperationPB;
import basalt.proto.RowPB;
import basalt.proto.ScanRequestPB;
import basalt.proto.ScanResponsePB;
import basalt.proto.TabletMetadataPB;
import basalt.proto.ValuePB;
import basalt.proto.WriteRequestPB;
import basalt.proto.WriteResponsePB;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: a manual clock, rows from positional values, and a replica that prepares and applies. */
final class TabletHarness {
    /** Leaves a column unset in {@link #row}. */
    static final Object UNSET = new Object();

    static final Schema SCHEMA = Schema.parse("id INT64 KEY, name STRING NOT NULL, v DOUBLE");

    private TabletHarness() {}

    static final class ManualClock implements Clock {
        long micros = 1_000_000;

        @Override
        public long monotonicNanos() {
            return micros * 1000;
        }

        @Override
        public long wallMillis() {
            return micros / 1000;
        }

        @Override
        public long wallMicros() {
            return micros;
        }
    }

    static TabletMetadataPB metadata(String tabletId, Schema schema) {
        return metadata(tabletId, schema, PartitionSchemaPB.getDefaultInstance(), PartitionPB.getDefaultInstance());
    }

    static TabletMetadataPB metadata(String tabletId, Schema schema, PartitionSchemaPB partitionSchema,
                                     PartitionPB partition) {
        return TabletMetadataPB.newBuilder().setTabletId(tabletId).setTableId("table-1").setTableName("t")
                .setSchema(schema.toPB()).setPartitionSchema(partitionSchema).setPartition(partition).build();
    }

    static ValuePB value(Object cell) {
        ValuePB.Builder value = ValuePB.newBuilder();
        if (cell instanceof Long || cell instanceof Integer) {
            value.setIntValue(((Number) cell).longValue());
        } else if (cell instanceof String s) {
            value.setStringValue(s);
        } else if (cell instanceof Double d) {
            value.setDoubleValue(d);
        } else if (cell instanceof Float f) {
            value.setFloatValue(f);
        } else if (cell instanceof Boolean b) {
            value.setBoolValue(b);
        } else if (cell instanceof ByteString b) {
            value.setBinaryValue(b);
        } else if (cell != null) {
            throw new IllegalArgumentException("no ValuePB for " + cell);
        }
        return value.build();
    }

    /** A row from positional cells (column i gets cells[i]; UNSET skips it; null is an explicit NULL). */
    static RowPB row(Object... cells) {
        RowPB.Builder row = RowPB.newBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (cells[i] != UNSET) {
                row.addValues(ColumnValuePB.newBuilder().setColumn(i).setValue(value(cells[i])));
            }
        }
        return row.build();
    }

    static RowOperationPB op(OperationType type, Object... cells) {
        return RowOperationPB.newBuilder().setType(type).setRow(row(cells)).build();
    }

    static WriteRequestPB request(String tabletId, RowOperationPB... operations) {
        return WriteRequestPB.newBuilder().setTabletId(tabletId).addAllOperations(List.of(operations)).build();
    }

    /** The cells of a scan result row, in projection order (longs, strings, doubles, or null). */
    static List<List<Object>> rows(ScanResponsePB response) {
        List<List<Object>> rows = new ArrayList<>();
        for (RowPB row : response.getRowsList()) {
            List<Object> cells = new ArrayList<>();
            for (ColumnValuePB value : row.getValuesList()) {
                ValuePB v = value.getValue();
                cells.add(switch (v.getValueCase()) {
                    case INT_VALUE -> v.getIntValue();
                    case STRING_VALUE -> v.getStringValue();
                    case DOUBLE_VALUE -> v.getDoubleValue();
                    case BOOL_VALUE -> v.getBoolValue();
                    case FLOAT_VALUE -> v.getFloatValue();
                    case BINARY_VALUE -> v.getBinaryValue();
                    case VALUE_NOT_SET -> null;
                });
            }
            rows.add(cells);
        }
        return rows;
    }

    /** A tablet replica driven by hand: prepare as leader, then apply at the next index. */
    static final class Replica {
        final ManualClock wall = new ManualClock();
        final HybridClock clock = new HybridClock(wall);
        final Tablet tablet;
        long term = 1;

        Replica(Tablet tablet) {
            this.tablet = tablet;
        }

        Replica(TabletStore store, TabletMetadataPB metadata) {
            this(store, metadata, TabletOptions.DEFAULT);
        }

        Replica(TabletStore store, TabletMetadataPB metadata, TabletOptions options) {
            this.tablet = store.createTablet(metadata, clock, options);
        }

        WriteResponsePB write(RowOperationPB... operations) {
            return write(request(tablet.tabletId(), operations));
        }

        WriteResponsePB write(WriteRequestPB request) {
            PreparedWrite prepared = tablet.prepareWrite(request);
            if (!prepared.needsReplication()) {
                return prepared.responseWithoutReplication();
            }
            return (WriteResponsePB) apply(EntryType.NORMAL, prepared.payload());
        }

        Object apply(EntryType type, ByteString payload) {
            OpId next = new OpId(term, tablet.lastApplied().index() + 1);
            return tablet.apply(new Entry(next, type, payload));
        }

        ScanResponsePB scanAll() {
            return tablet.scan(ScanRequestPB.newBuilder().setTabletId(tablet.tabletId()).build());
        }
    }
}
