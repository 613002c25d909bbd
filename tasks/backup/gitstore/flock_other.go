//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package gitstore

import "os"

// tryFlock: no advisory locks here; writers are not kept apart.
func tryFlock(*os.File) (bool, error) { return true, nil }

func unflock(*os.File) {}
