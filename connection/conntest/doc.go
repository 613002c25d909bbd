// Package conntest helps test code that uses connections, like net/http/httptest does for HTTP:
//
//   - Plugin is a scripted fake connection plugin (answers per command, errors, delays, dropped
//     sessions, failed opens and authentication failures) that records what was sent, for unit
//     tests of your own tasks;
//   - Exercise is a conformance suite a plugin author runs against a live session (a device, a
//     simulator) to check that the plugin honours the connection package's contracts.
//
// It is not for production use.
package conntest
