// Package tasks defines the task contract: a task is a plain Go function (Func) that receives a
// *Task for one host and returns a Result. It also holds the error helpers the runner and the
// hooks rely on (Permanent, classes) and the built-in tasks.
//
// It is not for scheduling tasks over hosts: that is package runner.
package tasks
