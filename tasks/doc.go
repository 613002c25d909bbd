// Package tasks defines the task contract: a task is a plain Go function (Func) that receives a
// *Task for one host and returns a Result and an error. The returned error is the one way a
// task reports failure; Call (and so the runner and Task.Run) fills Result.Err and Status from
// it. It also holds the error helpers the runner and the hooks rely on (Permanent, which is
// norn's one retry marker, and error classes) and the built-in tasks.
//
// It is not for scheduling tasks over hosts: that is package runner.
package tasks
