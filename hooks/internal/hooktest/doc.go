// Package hooktest holds test helpers shared by the tests of norn's delivering hooks: a
// receiver that accepts connections and never answers, and a goroutine-safe log buffer.
//
// It is for tests only.
package hooktest
