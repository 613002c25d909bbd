package devsim

// Temporary: NETCONF lands in the next commit.


func platformReady(Platform) bool { return true }

// referenced by code still to land
var _ = []any{numArg, (*Device).commitConfig, removeBlock, macColon}
