/**
 * Client histories and a linearizability checker for them.
 *
 * <p>An {@link basalt.common.history.Operation} is one client call with its invocation and completion.
 * {@link basalt.common.history.History} builds operations from per-process events, and
 * {@link basalt.common.history.HistoryJson} reads and writes them as the JSON lines of CLI.md
 * (Jepsen's format). {@link basalt.common.history.LinearizabilityChecker} decides whether one object's
 * history is linearizable against a {@link basalt.common.history.Model};
 * {@link basalt.common.history.KeyValueChecker} checks a key-value history key by key.
 *
 * <p>Everything here is pure: no threads, no clock, and every search is bounded by a step budget.
 */
package basalt.common.history;
