// Package scraplitest helps test code against simulated devices over real SSH, like
// net/http/httptest does for HTTP: StartFleet starts a devsim fleet, loads the inventory the
// fleet writes and returns it with a connection registry holding the scrapli plugins, ready for
// a runner or a connection.Manager.
//
// It is not for production use, and it builds no runner: tests configure their own.
package scraplitest
