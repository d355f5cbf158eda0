/** Overview sections that appear when their kinds are served (capacity, services, workloads). */

/** Extra overview panels; empty until the queueing and serving kinds land. */
export function OverviewExtras() {
  return null;
}
