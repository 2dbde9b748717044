package bench

import (
	"fmt"
	"slices"
)

// MedianRun combines repeated runs of one engine on one workload into
// one row: the run with the median rate (IOPS, or OpsPerSec for rows that
// only set that), whole, so that its latencies and CPU time belong to the
// same run as its IOPS. With an even number of runs it is the lower of
// the two middle runs, the conservative choice. Rounds is set to
// len(runs) and, with two runs or more, IOPSMin and IOPSMax to the range
// of the rates. Runs with equal rates keep their order. It returns the
// zero Result for no runs.
func MedianRun(runs []Result) Result {
	if len(runs) == 0 {
		return Result{}
	}
	sorted := slices.Clone(runs)
	slices.SortStableFunc(sorted, func(a, b Result) int {
		switch ra, rb := rate(a), rate(b); {
		case ra < rb:
			return -1
		case ra > rb:
			return 1
		}
		return 0
	})
	r := sorted[(len(sorted)-1)/2]
	r.Rounds = len(runs)
	if len(runs) > 1 {
		r.IOPSMin, r.IOPSMax = rate(sorted[0]), rate(sorted[len(sorted)-1])
	}
	return r
}

// roundsCell is the "IOPS range" column of PrintTable: how many runs a row is
// the median of and the range of their rates, e.g. "n=3 97.1k–112k".
func roundsCell(r Result) string {
	if r.Rounds < 2 {
		return ""
	}
	return fmt.Sprintf("n=%d %s–%s", r.Rounds, fmtNum(r.IOPSMin), fmtNum(r.IOPSMax))
}
