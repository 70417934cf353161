/**
 * Load and correctness workloads run against a live cluster: {@link basalt.cli.workload.LoadGenerator}
 * ({@code perf loadgen}) and {@link basalt.cli.workload.RegisterWorkload} ({@code workload register}).
 * Every loop is bounded by a row count or a deadline.
 */
package basalt.cli.workload;
