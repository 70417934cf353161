/**
 * A tablet: the state machine of one Raft group of a table, stored in the server's shared RocksDB.
 *
 * <ul>
 *   <li>{@link basalt.tablet.Schema}, {@link basalt.tablet.PartitionSchema}: what a table is and how its rows
 *       spread over tablets (hash buckets times ranges).</li>
 *   <li>{@link basalt.tablet.KeyEncoder}: primary keys as bytes whose memcmp order is the key order.</li>
 *   <li>{@link basalt.tablet.WriteValidator}: per-row checks at the leader, before replication.</li>
 *   <li>{@link basalt.tablet.TabletStore}: one RocksDB per server, a row column family per tablet,
 *       per-tablet keys in a shared one, RocksDB WAL off.</li>
 *   <li>{@link basalt.tablet.Tablet}: prepare (leader), apply (every replica), MVCC scans and checksums,
 *       tablet copy.</li>
 * </ul>
 *
 * <p>Replicated payload of a NORMAL entry: {@code ReplicatedWritePB} (tablet.proto) with the leader's
 * timestamp, the rows that passed validation (as operations, or as the client's packed block unchanged,
 * {@link basalt.common.row.PackedRows}), their row numbers in the client's request, the refused rows' errors
 * and the request id. Applying it returns the {@code WriteResponsePB} for the whole request.
 */
package basalt.tablet;
